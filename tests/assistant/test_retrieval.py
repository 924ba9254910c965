"""Hybrid retrieval on the sample manuals: right chunk for ja/en questions, no access leaks, determinism."""

import json

import pytest

from assistant.answering.context_budget import fit_to_budget
from assistant.core.identity import Principal
from assistant.kb import KnowledgeBase
from assistant.kb.keywords import get_tokenizer
from assistant.retrieval import Searcher
from assistant.retrieval.langchain_retriever import KnowledgeBaseRetriever

EVERYONE = Principal.everything()


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory, embedder):
    """The sample manuals ingested once for the module (read-only in the tests)."""
    from conftest import SAMPLES

    from assistant.core.config import Settings
    from ingest.pipeline import Ingestor

    s = Settings()
    s.paths.data_dir = tmp_path_factory.mktemp("kb")
    Ingestor(s, lambda: embedder).run([SAMPLES], tags=["manual"])
    return s, KnowledgeBase.open(s.paths.kb_dir)


@pytest.fixture(scope="module")
def searcher(sample_kb, embedder):
    s, kb = sample_kb
    return Searcher(kb, embedder, s.retrieval)


@pytest.mark.parametrize(
    ("query", "file", "section", "fact"),
    [
        ("日帰り出張の日当はいくらですか？", "expense-travel-policy.pdf", "第10条 日当", "2,000円"),
        ("領収書の原本はいつ提出が必要ですか", "expense-travel-policy.pdf", "第3条 領収書", "3万円以上"),
        ("プレス機の作動油はいつ交換しますか", "press-machine-safety-manual.pdf", "第6章 保守", "2,000運転時間"),
        ("非常停止ボタンはどこにありますか", "press-machine-safety-manual.pdf", "2.1 非常停止ボタン", "3か所"),
        ("在宅勤務手当はいくら支給されますか", "remote-work-faq.md", "在宅勤務手当はありますか?", "3,000円"),
        ("How many wrong password attempts lock my account?", "it-helpdesk-guide.pdf", "2.2 Locked account", "5 wrong"),
        ("What does VPN error 809 mean?", "it-helpdesk-guide.pdf", "3. Remote Access (VPN)", "error 809"),
        ("How long are nightly backups kept?", "it-helpdesk-guide.pdf", "7. Backups and File Storage", "90 days"),
        ("What time should I arrive on my first day?", "onboarding-handbook.docx", "Your First Day", "9:00"),
    ],
)
def test_questions_find_the_right_chunk_with_file_and_page(searcher, query, file, section, fact):
    hits = searcher.search(query, 3, principal=EVERYONE)
    top = hits[0]
    assert (top.name, top.heading_path[-1]) == (file, section), [(h.name, h.heading_path[-1]) for h in hits]
    assert fact in top.context  # small chunks match; the reader gets the section around the best one
    if top.paginated:
        assert top.page_start >= 1 and top.pages.startswith("p")
    assert top.keyword_rank is not None and top.score > 0


def test_japanese_keywords_are_words_not_characters(searcher):
    assert get_tokenizer("B").tokens("経費精算システムで申請する") == ["経費", "精算", "システム", "申請", "為る"]

    # "精算" (settlement) shares a character with "精密" (precision) but is another word: no match.
    def indexed_text(chunk_id: int) -> str:  # what the keyword index saw: heading path + chunk text
        row = searcher.kb.conn.execute("SELECT heading_path, text FROM chunks WHERE id=?", (chunk_id,)).fetchone()
        return "".join(json.loads(row[0])) + row[1]

    assert searcher.keyword("精密", 10) == []  # no chunk has the word, though many have the character 精
    settle = [i for i, _ in searcher.keyword("精算", 50)]
    assert settle and all("精算" in indexed_text(i) for i in settle)
    assert not any("精算" in indexed_text(i) for i, _ in searcher.keyword("精度", 50))


def test_the_keyword_index_adds_bigrams_of_japanese_text_only(sample_kb):
    tok = get_tokenizer("B")
    assert tok.index_terms("VPN error 809") == tok.tokens("VPN error 809") == ["vpn", "error", "809"]
    terms = tok.index_terms("始業前点検")
    assert terms[: len(tok.tokens("始業前点検"))] == tok.tokens("始業前点検")
    assert [t for t in terms if t.startswith("bg")] == ["bg始業", "bg業前", "bg前点", "bg点検"]
    # Word counts used elsewhere (coverage, idf) stay words.
    assert not any(t.startswith("bg") for t in tok.tokens("始業前点検"))
    # The index holds them: a compound the dictionary splits otherwise is still found by its characters.
    _, kb = sample_kb
    row = kb.conn.execute("SELECT terms FROM chunk_fts WHERE terms LIKE '%bg点検%' LIMIT 1").fetchone()
    assert row is not None


def test_scores_are_deterministic(sample_kb, embedder, searcher):
    s, kb = sample_kb
    q = "タクシーを利用できるのはどんな場合ですか"
    first = [(h.chunk_id, round(h.score, 12)) for h in searcher.search(q, 5, principal=EVERYONE)]
    fresh = Searcher(kb, embedder, s.retrieval)
    again = [(h.chunk_id, round(h.score, 12)) for h in fresh.search(q, 5, principal=EVERYONE)]
    assert first == again


def test_filters_by_document_and_tag(sample_kb, searcher):
    _, kb = sample_kb
    doc = kb.find_documents("it-helpdesk-guide.pdf")[0]
    hits = searcher.search("申請", 5, principal=EVERYONE, doc_ids=[doc.id])
    assert hits and {h.name for h in hits} == {"it-helpdesk-guide.pdf"}
    assert searcher.search("password", 5, principal=EVERYONE, tags=["manual"])
    assert searcher.search("password", 5, principal=EVERYONE, tags=["no-such-tag"]) == []


def test_context_budget_and_langchain_retriever(searcher, embedder):
    hits = searcher.search("出張の宿泊費の上限", 5, principal=EVERYONE)
    fitted = fit_to_budget(hits, 150, embedder.count_tokens)
    assert fitted and sum(embedder.count_tokens(h.context) for h in fitted) <= 150
    docs = KnowledgeBaseRetriever(searcher=searcher, principal=EVERYONE, k=2).invoke("MFA lost phone")
    assert len(docs) == 2 and docs[0].metadata["file"] == "it-helpdesk-guide.pdf"
    assert docs[0].metadata["page"] >= 1 and docs[0].metadata["heading_path"]


def test_a_hits_context_is_its_own_section(searcher, sample_kb):
    _, kb = sample_kb
    for query in ("What does VPN error 809 mean?", "プレス機の始業前点検では何を確認しますか？"):
        for hit in searcher.search(query, 5, principal=EVERYONE):
            # (a table's header row, which the chunker repeats before its later rows, is in the context once)
            assert all(line in hit.context for line in hit.text.split("\n")) and hit.id in hit.covered_ids
            assert hit.context.count("コード | 内容 | 処置") <= 1
            paths = {
                r[0]
                for r in kb.conn.execute(
                    f"SELECT heading_path FROM chunks WHERE id IN ({','.join('?' * len(hit.covered_ids))})",
                    hit.covered_ids,
                )
            }
            assert paths == {json.dumps(hit.heading_path, ensure_ascii=False)}, (query, hit.heading_path)


def test_a_search_without_a_principal_is_refused(searcher):
    from assistant.core.errors import AccessDenied

    with pytest.raises(TypeError):
        searcher.search("VPN", 3)  # no principal at all: not even callable
    with pytest.raises(AccessDenied, match="principal"):
        searcher.search("VPN", 3, principal=None)
    with pytest.raises(AccessDenied, match="principal"):
        searcher.search("VPN", 3, principal="staff")  # a bare name is not an identity
