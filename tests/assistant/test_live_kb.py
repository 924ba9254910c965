"""A knowledge base that one long-running server can stand on: it follows the admin's ingestions without restart,
keeps the files of requests in flight, prunes what nobody reads, survives a killed reader and a lost CURRENT."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.errors import KnowledgeBaseError
from assistant.core.identity import Principal
from assistant.kb import KnowledgeBase, prune
from assistant.kb.generations import POINTER, generation_names, is_read, read_pointer
from assistant.kb.schema import DB_NAME
from assistant.services import Assistant
from ingest.pipeline import Ingestor

ADMIN = Principal.everything()
DOCS = {
    "canteen.md": "# Canteen\n\nThe canteen opens at 11:30. Its menu codeword is CAMELLIA.\n",
    "parking.md": "# Parking\n\nVisitors park in lot A next to the main gate. Permit codeword BEGONIA.\n",
    "merger.md": "# Merger\n\nThe merger project codeword is DAHLIA. It is confidential.\n",
}


def names(hits) -> set[str]:
    return {h.name for h in hits}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def service(settings, embedder):
    settings.usage.enabled = False
    s = Assistant(settings, embedder=embedder)
    yield s
    s.close()


def test_a_long_lived_service_follows_ingestions_and_never_serves_a_removed_document(settings, embedder, docs, service):
    kb_dir = settings.paths.kb_dir
    ingest = Ingestor(settings, lambda: embedder)
    assert not service.has_documents  # started before the first ingestion
    ingest.run([docs])
    assert service.has_documents and "merger.md" in names(service.search("DAHLIA", 5, principal=ADMIN))

    with service.kb.acquire() as in_flight:  # a request that started before the removal and is still running
        first = in_flight.kb.generation
        (docs / "merger.md").unlink()
        assert ingest.run([docs], prune=True).counts["removed"] == 1
        for i in range(3):
            (docs / f"notice-{i}.md").write_text(f"# Notice {i}\n\nNotice codeword ZINNIA{i}.\n", encoding="utf-8")
            ingest.run([docs], prune=True)
            # Every request after the commit sees the new generation: the removed document is gone for good.
            assert "merger.md" not in names(service.search("DAHLIA merger", 5, principal=ADMIN))
            assert f"notice-{i}.md" in names(service.search(f"ZINNIA{i}", 5, principal=ADMIN))
            assert service.kb.generation == read_pointer(kb_dir)[0]
        # The request in flight still reads its own generation, whose files are all still there.
        assert (kb_dir / "generations" / first / DB_NAME).is_file() and is_read(kb_dir / "generations" / first)
        assert "merger.md" in names(in_flight.search("DAHLIA", 5, principal=ADMIN))

    # Its last reader is gone: the generation is pruned; the live one and `keep_generations` older ones remain.
    left = generation_names(kb_dir)
    assert first not in left
    assert left[-1] == read_pointer(kb_dir)[0] and len(left) <= 1 + settings.ingest.keep_generations


def test_a_reader_killed_with_minus_9_does_not_pin_a_generation(settings, embedder, docs):
    kb_dir = settings.paths.kb_dir
    ingest = Ingestor(settings, lambda: embedder)
    ingest.run([docs])
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from assistant.kb import KnowledgeBase\n"
            "kb = KnowledgeBase.open(Path(sys.argv[1])); print(kb.generation, flush=True); sys.stdin.read()",
            str(kb_dir),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        held = reader.stdout.readline().strip()
        for i in range(settings.ingest.keep_generations + 2):
            (docs / f"extra-{i}.md").write_text(f"# Extra {i}\n\nExtra codeword YARROW{i}.\n", encoding="utf-8")
            ingest.run([docs])
        assert held in generation_names(kb_dir)  # beyond what is kept, but read: not deleted
    finally:
        reader.kill()  # SIGKILL: no clean-up code of the reader runs
        reader.wait()
    assert not is_read(kb_dir / "generations" / held)  # the kernel dropped its lease
    assert held in prune(kb_dir, settings.ingest.keep_generations)
    assert held not in generation_names(kb_dir)


@pytest.mark.parametrize("damage", ["deleted", "garbage", "names a missing generation", "empty"])
def test_a_lost_or_damaged_current_is_repaired_and_nothing_is_deleted(settings, embedder, docs, damage):
    kb_dir = settings.paths.kb_dir
    ingest = Ingestor(settings, lambda: embedder)
    ingest.run([docs / "canteen.md"])
    ingest.run([docs / "parking.md"])
    before = generation_names(kb_dir)
    newest = before[-1]
    pointer = kb_dir / POINTER
    if damage == "deleted":
        pointer.unlink()
    else:
        pointer.write_text({"garbage": "\x00\x01 not a name", "empty": ""}.get(damage, "g999999\n"))

    with Assistant(settings, embedder=embedder, usage=None) as service:
        hits = service.search("BEGONIA CAMELLIA", 5, principal=ADMIN)
    assert names(hits) == {"canteen.md", "parking.md"}  # the newest complete generation is served
    assert read_pointer(kb_dir) == (newest, None)  # and CURRENT was repaired to it
    assert generation_names(kb_dir) == before  # no generation was deleted to repair it

    if damage == "deleted":  # a writer finding CURRENT missing repairs it too, and keeps every document
        pointer.unlink()
        ingest.run([docs / "merger.md"])
        kb = KnowledgeBase.open(kb_dir)
        assert sorted(d.name for d in kb.documents()) == ["canteen.md", "merger.md", "parking.md"]
        kb.close()


def test_without_a_complete_generation_a_lost_current_is_a_clear_error_and_nothing_is_deleted(settings, embedder, docs):
    kb_dir = settings.paths.kb_dir
    Ingestor(settings, lambda: embedder).run([docs])
    gen = generation_names(kb_dir)[-1]
    (kb_dir / "generations" / gen / "COMPLETE").unlink()  # as if the marker never made it to disk
    (kb_dir / POINTER).unlink()
    with pytest.raises(KnowledgeBaseError, match="no complete generation.*nothing was deleted"):
        KnowledgeBase.open(kb_dir)
    assert generation_names(kb_dir) == [gen]


def test_revoking_a_group_applies_to_the_next_question_without_restart(settings, embedder, docs, tmp_path):
    settings.access.users = {"admin": ["*"], "Bob": ["all", "mgmt"]}
    ingest = Ingestor(settings, lambda: embedder)
    ingest.run([docs / "canteen.md"])
    ingest.run([docs / "merger.md"], groups=["mgmt"])
    settings.usage.enabled = False
    with Assistant(settings, embedder=embedder) as service:
        assert "merger.md" in names(service.search("DAHLIA", 5, principal=service.principal("Bob")))
        service.users.set("Bob", ["all"])  # the admin revokes mgmt
        assert "merger.md" not in names(service.search("DAHLIA", 5, principal=service.principal("Bob")))
        assert [u.name for u in service.users.users()] == ["Bob", "admin"]  # the name keeps its case
        service.users.set("Bob", ["all", "mgmt"])
        assert "merger.md" in names(service.search("DAHLIA", 5, principal=service.principal("Bob")))
    # The admin's change outlives a restart; config.toml no longer overrides a user the admin changed.
    with Assistant(settings, embedder=embedder) as service:
        assert service.users.get("Bob").managed_by == "admin"


def test_a_service_call_without_a_principal_is_refused(service):
    from assistant.core.errors import AccessDenied

    for bad in (None, "admin", {"groups": ["*"]}):
        with pytest.raises(AccessDenied, match="needs a principal"):
            service.search("anything", 5, principal=bad)
        with pytest.raises(AccessDenied, match="needs a principal"):
            service.ask("anything?", principal=bad)
    with pytest.raises(ValueError, match="only an admin may see every document"):
        Principal("mallory", None, "staff")
