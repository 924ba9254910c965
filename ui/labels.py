"""Every label of the web app in Japanese and English; a view asks `t(lang, key)` and never spells text itself."""

from __future__ import annotations

LANGUAGES = ("ja", "en")

LABELS: dict[str, dict[str, str]] = {
    "title": {"ja": "社内文書アシスタント", "en": "Document assistant"},
    "signed_in_as": {"ja": "ログイン中: {user}（{role}）", "en": "Signed in as {user} ({role})"},
    "logout": {"ja": "ログアウト", "en": "Log out"},
    "switch_language": {"ja": "English", "en": "日本語"},
    "role.staff": {"ja": "スタッフ", "en": "staff"},
    "role.writer": {"ja": "ライター", "en": "writer"},
    "role.admin": {"ja": "管理者", "en": "admin"},
    # login page
    "login.title": {"ja": "ログイン", "en": "Log in"},
    "login.user": {"ja": "ユーザー名", "en": "User name"},
    "login.password": {"ja": "パスワード", "en": "Password"},
    "login.submit": {"ja": "ログイン", "en": "Log in"},
    "login.wrong": {"ja": "ユーザー名またはパスワードが違います。", "en": "Wrong user name or password."},
    "login.locked": {
        "ja": "ログインの失敗が続いたため、{seconds} 秒後に再度お試しください。",
        "en": "Too many failed logins: try again in {seconds} s.",
    },
    # chat
    "tab.chat": {"ja": "質問", "en": "Ask"},
    "chat.input": {"ja": "マニュアルについて質問してください", "en": "Ask about the manuals"},
    "chat.send": {"ja": "送信", "en": "Send"},
    "chat.new": {"ja": "新しい会話", "en": "New conversation"},
    "chat.sources": {"ja": "出典", "en": "Sources"},
    "chat.no_sources": {"ja": "出典はまだありません。", "en": "No sources yet."},
    "chat.preview": {"ja": "ページのプレビュー", "en": "Page preview"},
    "chat.preview_pick": {"ja": "出典を選ぶとページを表示します", "en": "Pick a source to see its page"},
    "chat.preview_none": {
        "ja": "この出典はPDFではないため、ページ画像はありません。",
        "en": "This source is not a PDF: there is no page image.",
    },
    "chat.preview_found": {"ja": "根拠の文を黄色で示しています。", "en": "The evidence is highlighted in yellow."},
    "chat.preview_notfound": {
        "ja": "ページ内で根拠の文の位置を特定できませんでした。",
        "en": "The evidence could not be located on the page image.",
    },
    "chat.busy": {"ja": "順番待ち: 前に {ahead} 件あります…", "en": "Waiting for the model: {ahead} ahead of you…"},
    "chat.busy_full": {
        "ja": "アシスタントは現在ほかの質問に回答中で混み合っています。少し待ってから再度お試しください。",
        "en": "The assistant is busy answering other questions. Please try again shortly.",
    },
    "chat.empty_kb": {
        "ja": "ナレッジベースにまだ文書がありません。管理者に文書の登録を依頼してください。",
        "en": "The knowledge base has no documents yet. Ask an admin to add some.",
    },
    "chat.error": {"ja": "エラーが発生しました: {error}", "en": "Something went wrong: {error}"},
    "chat.not_found_note": {
        "ja": "マニュアルに該当する記載が見つかりませんでした。",
        "en": "The manuals do not cover this.",
    },
    "chat.evidence_label": {"ja": "根拠", "en": "evidence"},
    "chat.page": {"ja": "ページ", "en": "page"},
    "chat.section": {"ja": "節", "en": "section"},
    "chat.also_in": {"ja": "同じ内容", "en": "also in"},
    "feedback.comment": {
        "ja": "評価した回答へのコメント（任意）", "en": "Comment on the answer you rated (optional)"},
    "feedback.save": {"ja": "コメントを送る", "en": "Send comment"},
    "feedback.thanks": {"ja": "フィードバックを記録しました。", "en": "Feedback recorded."},
    "feedback.rated_up": {"ja": "「役に立った」を記録しました。コメントもどうぞ。",
                          "en": "Recorded as helpful. Add a comment if you like."},
    "feedback.rated_down": {"ja": "「役に立たなかった」を記録しました。理由をお書きいただけると助かります。",
                            "en": "Recorded as not helpful. A comment on why helps us most."},
    "feedback.nothing": {"ja": "まず回答の下の 👍 / 👎 で評価してください。",
                         "en": "Rate an answer first with the thumbs under it."},
    "feedback.not_rateable": {"ja": "この回答は評価できません。", "en": "This message cannot be rated."},
    "chat.stop": {"ja": "停止", "en": "Stop"},
    "chat.status_searching": {"ja": "マニュアルを検索しています… {s} 秒", "en": "Searching the manuals… {s} s"},
    "chat.status_writing": {"ja": "根拠を表示しました。要約を作成しています… {s} 秒",
                            "en": "Evidence shown; writing the summary… {s} s"},
    "chat.status_waiting": {"ja": "順番待ち（前に {ahead} 件）… {s} 秒",
                            "en": "Waiting for the model ({ahead} ahead)… {s} s"},
    "chat.status_done": {"ja": "回答しました（{s} 秒）。", "en": "Answered in {s} s."},
    "chat.status_stopped": {"ja": "停止しました。表示済みの根拠はそのまま残ります。",
                            "en": "Stopped. The evidence already shown stays."},
    "chat.history": {"ja": "会話履歴", "en": "Conversations"},
    "chat.history_empty": {"ja": "保存された会話はまだありません。", "en": "No saved conversations yet."},
    "chat.rename": {"ja": "名前を変更", "en": "Rename"},
    "chat.rename_to": {"ja": "新しい名前", "en": "New name"},
    "chat.delete": {"ja": "削除", "en": "Delete"},
    "chat.deleted": {"ja": "会話を削除しました。", "en": "Conversation deleted."},
    "chat.renamed": {"ja": "名前を変更しました。", "en": "Renamed."},
    "chat.pick_first": {"ja": "先に会話を選んでください。", "en": "Pick a conversation first."},
    "chat.placeholder": {"ja": "### マニュアルについて質問できます\n"
                               "回答はマニュアルの文そのものと、その出典ページです。例:",
                         "en": "### Ask about the company's manuals\nAnswers quote the manuals and show the page. "
                               "For example:"},
    "chat.near": {"ja": "近い記載（この質問には答えていません）", "en": "Nearby passages (they do not answer this)"},
    # admin
    "tab.admin": {"ja": "文書管理", "en": "Documents"},
    "admin.upload": {"ja": "ファイルをアップロード", "en": "Upload files"},
    "admin.groups": {"ja": "アクセスグループ（カンマ区切り）", "en": "Access groups (comma-separated)"},
    "admin.tags": {"ja": "タグ（カンマ区切り）", "en": "Tags (comma-separated)"},
    "admin.ingest": {"ja": "取り込む", "en": "Ingest"},
    "admin.progress": {"ja": "取り込み中", "en": "Ingesting"},
    "admin.results": {"ja": "取り込み結果", "en": "Ingestion results"},
    "admin.documents": {"ja": "登録済みの文書", "en": "Documents in the knowledge base"},
    "admin.refresh": {"ja": "更新", "en": "Refresh"},
    "admin.doc_ref": {"ja": "文書ID", "en": "Document id"},
    "admin.inspect": {"ja": "詳細", "en": "Inspect"},
    "admin.remove": {"ja": "削除", "en": "Remove"},
    "admin.removed": {"ja": "削除しました: {name}", "en": "Removed: {name}"},
    "admin.status": {"ja": "インデックスの状態", "en": "Index status"},
    "admin.check": {"ja": "整合性チェック", "en": "Consistency check"},
    "admin.no_files": {"ja": "ファイルを選んでください。", "en": "Choose files first."},
    "admin.forbidden": {"ja": "管理者のみ利用できます。", "en": "Only admins may do this."},
    "col.file": {"ja": "ファイル", "en": "file"},
    "col.status": {"ja": "結果", "en": "result"},
    "col.chunks": {"ja": "チャンク", "en": "chunks"},
    "col.pages": {"ja": "ページ", "en": "pages"},
    "col.reason": {"ja": "理由", "en": "reason"},
    "col.id": {"ja": "ID", "en": "id"},
    "col.groups": {"ja": "グループ", "en": "groups"},
    "col.tags": {"ja": "タグ", "en": "tags"},
    "col.ingested": {"ja": "登録日時", "en": "ingested"},
    # drafting
    "tab.drafting": {"ja": "マニュアル作成", "en": "Drafting"},
    "draft.title": {"ja": "タイトル", "en": "Title"},
    "draft.purpose": {"ja": "目的", "en": "Purpose"},
    "draft.audience": {"ja": "対象読者", "en": "Audience"},
    "draft.language": {"ja": "言語", "en": "Language"},
    "draft.sources": {"ja": "使う文書（未選択ならすべて）", "en": "Source documents (none selected: all)"},
    "draft.style": {"ja": "文体・トーン", "en": "Style and tone"},
    "draft.outline_in": {
        "ja": "目次の案（任意・1行に1セクション）",
        "en": "Your outline (optional, one section per line)",
    },
    "draft.propose": {"ja": "目次を提案", "en": "Propose an outline"},
    "draft.outline": {
        "ja": "目次（編集できます。「見出し: 内容」を1行に1つ）",
        "en": "Outline (edit it: one 'title: what it covers' per line)",
    },
    "draft.build": {"ja": "本文を作成", "en": "Draft the sections"},
    "draft.progress": {"ja": "セクション {i} / {n}: {title}", "en": "Section {i} of {n}: {title}"},
    "draft.done": {"ja": "完了: {n} セクション（要入力 {missing}）", "en": "Done: {n} sections ({missing} need input)"},
    "draft.section_no": {"ja": "セクション番号", "en": "Section number"},
    "draft.rebuild": {"ja": "このセクションを再作成", "en": "Rebuild this section"},
    "draft.load": {"ja": "編集する", "en": "Edit"},
    "draft.editor": {
        "ja": "セクション本文（出典は [ファイル名 p.番号] の形で残してください）",
        "en": "Section text (keep the sources as [file p.N])",
    },
    "draft.save": {"ja": "編集を保存", "en": "Save the edit"},
    "draft.review": {"ja": "レビュー", "en": "Review"},
    "draft.review_clean": {
        "ja": "用語の揺れ、出典間の矛盾、出典のない記述は見つかりませんでした。",
        "en": "No inconsistent terms, conflicting figures or unsourced statements found.",
    },
    "draft.review_terms": {"ja": "用語の揺れ", "en": "Terms written two ways"},
    "draft.review_conflicts": {"ja": "出典間で数値が異なる記載", "en": "Sources giving different figures"},
    "draft.review_unsourced": {"ja": "出典で確認できない記述", "en": "Statements no source backs"},
    "draft.docx": {"ja": "DOCXをダウンロード", "en": "Download DOCX"},
    "draft.md": {"ja": "Markdownをダウンロード", "en": "Download Markdown"},
    "draft.saved": {"ja": "保存済みの草稿", "en": "Saved drafts"},
    "draft.open": {"ja": "開く", "en": "Open"},
    "draft.none": {"ja": "先に目次を提案してください。", "en": "Propose an outline first."},
    "draft.empty_outline": {
        "ja": "マニュアルにこの内容に合う記載が見つかりません。目次を入力してください。",
        "en": "Nothing in the manuals matches this brief: type an outline.",
    },
    # usage
    "tab.usage": {"ja": "利用状況", "en": "Usage"},
    "usage.days": {"ja": "期間（日）", "en": "Period (days)"},
    "usage.show": {"ja": "表示", "en": "Show"},
    "usage.download": {"ja": "HTMLレポートをダウンロード", "en": "Download the HTML report"},
    "usage.unrecorded": {
        "ja": "このサーバーの起動後、{n} 件の回答を利用ログに記録できませんでした（{reason}）。"
        "集計はその分少なくなっています。",
        "en": "Since this server started, {n} answers could not be written to the usage log ({reason}): "
        "the figures below leave them out.",
    },
}


def t(lang: str, key: str, **values: object) -> str:
    entry = LABELS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def other(lang: str) -> str:
    return "en" if lang == "ja" else "ja"
