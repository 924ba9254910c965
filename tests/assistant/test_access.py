"""Access groups: a user never receives a chunk of a document outside their groups, whatever the query,
whatever the ranker, including through neighbour expansion, the keyword index and the CLI."""

import itertools
import json
import subprocess
import sys

import pytest

from assistant.core.config import Settings
from assistant.core.identity import Principal
from assistant.kb import KnowledgeBase
from assistant.retrieval import Searcher
from ingest.pipeline import Ingestor

DOCS = {
    # name: (groups, text) — each document has a secret word only it contains, and shared vocabulary.
    "hr-salaries.md": (
        ["hr"],
        "# Salary bands\n\nThe salary band for engineers is confidential: codeword AZALEA.\n\n"
        "給与テーブルは人事部のみ閲覧できる。合言葉はアジサイ。\n\nPolicy on travel and expenses applies.",
    ),
    "eng-roadmap.md": (
        ["eng"],
        "# Roadmap\n\nProject codeword BEGONIA ships the new press controller.\n\n"
        "新型プレス制御装置の開発コードはボタン。\n\nPolicy on travel and expenses applies.",
    ),
    "all-canteen.md": (
        ["all"],
        "# Canteen\n\nThe canteen menu codeword CAMELLIA is public.\n\n"
        "食堂のメニューは誰でも見られる。合言葉はツバキ。\n\nPolicy on travel and expenses applies.",
    ),
    "board-minutes.md": (
        ["board", "hr"],
        "# Board minutes\n\nThe merger codeword DAHLIA is restricted.\n\n"
        "取締役会の議事録。合併の合言葉はダリア。\n\nPolicy on travel and expenses applies.",
    ),
}
SECRETS = {
    "hr-salaries.md": ["AZALEA", "アジサイ"],
    "eng-roadmap.md": ["BEGONIA", "ボタン"],
    "all-canteen.md": ["CAMELLIA", "ツバキ"],
    "board-minutes.md": ["DAHLIA", "ダリア"],
}
USERS = {"alice": ["hr"], "bob": ["eng"], "carol": ["all"], "dave": ["hr", "eng"], "erin": [], "frank": ["board"]}
QUERIES = [
    "codeword",
    "salary band confidential",
    "travel expenses policy",
    "合言葉",
    "給与テーブル",
    "press controller",
    "merger",
    "AZALEA",
    "BEGONIA",
    "DAHLIA",
    "ダリア",
    "アジサイ",
]


def _longer(text: str, name: str) -> str:
    """The document with routine paragraphs after it, so the shipped 60-token chunks give several per document
    (and the neighbour expansion has neighbours to bring in)."""
    topic = name.removesuffix(".md").replace("-", " ")
    extra = [
        f"Paragraph {i} about {topic}: the owners review this page every quarter, record each change in the "
        f"revision table, and tell the affected teams by e-mail one week before the change takes effect."
        for i in range(1, 5)
    ]
    return text + "\n\n" + "\n\n".join(extra)


def _allowed(groups):
    return {name for name, (g, _) in DOCS.items() if set(g) & set(groups)}


@pytest.fixture(scope="module")
def acl_kb(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("acl")
    s = Settings()
    s.paths.data_dir = root / "data"
    s.retrieval.neighbours = 2
    s.access.users = USERS  # chunking as shipped: the documents are long enough for several chunks each
    for name, (groups, text) in DOCS.items():
        (root / name).write_text(_longer(text, name), encoding="utf-8")
        Ingestor(s, lambda: embedder).run([root / name], groups=groups)
    kb = KnowledgeBase.open(s.paths.kb_dir)
    assert all(d.chunk_count >= 3 for d in kb.documents())  # neighbours exist for the expansion to bring in
    return s, kb, root


@pytest.mark.parametrize("user", sorted(USERS))
def test_acl_matrix_leaks_nothing_through_any_ranker(acl_kb, embedder, user):
    s, kb, _ = acl_kb
    searcher = Searcher(kb, embedder, s.retrieval)
    allowed = _allowed(USERS[user])
    forbidden_words = [w for name, words in SECRETS.items() if name not in allowed for w in words]
    for query, mode in itertools.product(QUERIES, ("hybrid", "dense", "keyword")):
        hits = searcher.search(query, 10, principal=as_user(user), mode=mode)
        assert {h.name for h in hits} <= allowed, (user, query, mode)
        for h in hits:  # neighbour context comes from the same, allowed document only
            assert not any(w in h.context for w in forbidden_words), (user, query, mode, h.context)
        raw = searcher.keyword(query, 50, searcher_scope(USERS[user]))
        names = {
            kb.conn.execute(
                "SELECT d.name FROM chunks c JOIN documents d ON d.id=c.doc_id WHERE c.id=?", (cid,)
            ).fetchone()[0]
            for cid, _ in raw
        }
        assert names <= allowed
    # Each user does find their own secrets.
    for name in allowed:
        assert any(h.name == name for h in searcher.search(SECRETS[name][0], 5, principal=as_user(user)))


def as_user(user):
    return Principal.of(user, USERS[user])


def searcher_scope(groups):
    from assistant.retrieval.searcher import Scope

    return Scope(groups=frozenset(groups))


def test_relabelled_document_follows_its_new_groups(acl_kb, embedder, tmp_path):
    s, _, root = acl_kb
    s2 = s.model_copy(deep=True)
    s2.paths.data_dir = tmp_path / "data"
    Ingestor(s2, lambda: embedder).run([root / "eng-roadmap.md"], groups=["eng"])
    Ingestor(s2, lambda: embedder).run([root / "eng-roadmap.md"], groups=["hr"])
    searcher = Searcher(KnowledgeBase.open(s2.paths.kb_dir), embedder, s2.retrieval)
    for mode in ("hybrid", "keyword", "dense"):
        assert searcher.search("BEGONIA", 5, principal=Principal.of("e", ["eng"]), mode=mode) == []
        assert searcher.search("BEGONIA", 5, principal=Principal.of("h", ["hr"]), mode=mode)


def test_cli_search_as_user_is_filtered(acl_kb):
    s, _, root = acl_kb
    cfg = root / "c.toml"
    users = ", ".join(f"{u} = {json.dumps(g)}" for u, g in USERS.items())
    cfg.write_text(
        f'[paths]\ndata_dir = "{s.paths.data_dir}"\n'
        f"[access]\nusers = {{ {users} }}\n"
    )
    for user in ("alice", "bob", "erin"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "assistant.cli.main",
                "--config",
                str(cfg),
                "search",
                "codeword",
                "--user",
                user,
                "--json",
                "-k",
                "10",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
        names = {row["file"] for row in json.loads(out.stdout or "[]")}
        assert names <= _allowed(USERS[user])
    unknown = subprocess.run(
        [sys.executable, "-m", "assistant.cli.main", "--config", str(cfg), "search", "x", "--user", "mallory"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert unknown.returncode == 2 and "unknown user 'mallory'" in unknown.stderr
