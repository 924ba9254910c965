"""Example questions for an empty chat, drawn from the headings of the manuals the user may read.

A new user does not know what the knowledge base holds; its own section headings do. A heading that is a question
(an FAQ: 「在宅勤務は誰が利用できますか？」) is used as it stands; another becomes 「{heading}について教えてください」 /
"Tell me about {heading}". Headings are taken round-robin over the documents (one manual does not
fill the list), in the UI's language, without chapter numbers or generic headings (目的, 総則, Introduction), and
each candidate is kept only when the question path would answer it (it is searched and judged like any question),
so an example never leads to "not found".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from assistant.core.identity import Principal
from assistant.core.language import language_of
from assistant.retrieval import Searcher

NUMBERING = re.compile(
    r"^\s*(?:第[0-9０-９一二三四五六七八九十百]+[章条節項部編]\s*|[0-9０-９]+(?:[.．][0-9０-９]+)*[.．]?\s+|[A-Z][.)]\s+)"
)
GENERIC = frozenset(
    "目的 総則 はじめに 概要 目次 附則 付則 用語 定義 適用範囲 改訂履歴 問い合わせ先 introduction contents overview "
    "purpose scope definitions glossary appendix index revision history".split()
)


def candidates(searcher: Searcher, principal: Principal, lang: str) -> list[str]:
    """Headings of the readable documents in `lang`, round-robin over documents, most specific first."""
    readable = searcher.readable(principal)
    rows = searcher.kb.conn.execute("SELECT doc_id, heading_path FROM chunks ORDER BY doc_id, ordinal").fetchall()
    per_doc: dict[int, list[str]] = {}
    for doc_id, raw in rows:
        if readable is not None and doc_id not in readable:
            continue
        path = json.loads(raw)
        if len(path) < 2:
            continue  # a document's title alone says too little
        topic = NUMBERING.sub("", path[-1]).strip()
        if (not topic or topic.lower() in GENERIC or len(topic) > 40 or language_of(topic) != lang
                or (lang == "en" and len(topic) < 4)):
            continue
        seen = per_doc.setdefault(doc_id, [])
        if topic not in seen:
            seen.append(topic)
    out: list[str] = []
    lists = list(per_doc.values())
    for i in range(max((len(v) for v in lists), default=0)):
        out += [v[i] for v in lists if i < len(v)]
    return out


def as_question(topic: str, lang: str) -> str:
    if topic.endswith(("？", "?")):
        return topic
    return f"{topic}について教えてください" if lang == "ja" else f"Tell me about {topic}"


def example_questions(
    searcher: Searcher, principal: Principal, lang: str, answerable: Callable[[str], bool], n: int = 4,
    tries: int = 12,
) -> list[str]:
    out: list[str] = []
    for topic in candidates(searcher, principal, lang)[:tries]:
        question = as_question(topic, lang)
        if answerable(question):
            out.append(question)
        if len(out) == n:
            break
    return out
