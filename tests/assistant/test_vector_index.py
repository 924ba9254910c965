"""Approximate index types: chosen by size or config, rebuilt from stored vectors, same answers."""

import pytest

from assistant.core.errors import ModelLoadError
from assistant.core.identity import Principal
from assistant.kb import KnowledgeBase
from assistant.kb.vector_index import IndexSpec, desired_kind, kind_of
from assistant.retrieval.rerank import CrossEncoderReranker
from assistant.retrieval.searcher import Searcher


def test_auto_switches_to_ivf_above_the_threshold():
    spec = IndexSpec("auto", ann_threshold=1000)
    assert desired_kind(spec, 999) == "flat" and desired_kind(spec, 1000) == "ivf"
    assert desired_kind(IndexSpec("hnsw"), 10) == "hnsw"


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_forced_index_kind_answers_like_exact_search_and_survives_removal(
    make_ingestor, settings, samples_copy, embedder, kind
):
    settings.retrieval.index_type = kind
    if kind == "ivf":  # IVF needs training data: below 1000 vectors it stays exact, so give it more than that
        _filler(samples_copy / "inventory", sections=1100)
    make_ingestor().run([samples_copy])
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kind_of(kb.index) == kind and kb.counts()["chunks"] >= (1000 if kind == "ivf" else 1)
    question = "How many wrong password attempts lock my account?"
    hit = Searcher(kb, embedder, settings.retrieval).search(question, 1, principal=Principal.everything())[0]
    assert hit.heading_path[-1] == "2.2 Locked account"
    # Removing a document from HNSW (which cannot delete) rebuilds it from the stored vectors.
    (samples_copy / "it-helpdesk-guide.pdf").unlink()
    make_ingestor().run([samples_copy], prune=True)
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.verify() == []
    hits = Searcher(kb, embedder, settings.retrieval).search("VPN", 5, principal=Principal.everything())
    assert all(h.name != "it-helpdesk-guide.pdf" for h in hits)


def test_below_its_training_minimum_ivf_stays_exact(make_ingestor, settings, samples_copy):
    settings.retrieval.index_type = "ivf"
    make_ingestor().run([samples_copy])
    assert kind_of(KnowledgeBase.open(settings.paths.kb_dir).index) == "flat"  # nothing to cluster yet


def _filler(folder, sections: int) -> None:  # noqa: ANN001
    """Markdown files of short, distinct inventory sections: one chunk each."""
    folder.mkdir()
    per_file = 100
    for f in range(0, sections, per_file):
        lines = [f"# Warehouse inventory list {f // per_file}"]
        for n in range(f, min(f + per_file, sections)):
            lines.append(f"## Bin {n}\n\nBin {n} in aisle {n % 37} holds spare part P-{n:05d}, counted {n % 12 + 1} "
                         f"times a year by shift {n % 3}.")
        (folder / f"inventory-{f // per_file:02d}.md").write_text("\n\n".join(lines), encoding="utf-8")


def test_reranker_needs_a_local_model_folder(tmp_path):
    with pytest.raises(ModelLoadError, match="not a local folder"):
        CrossEncoderReranker(str(tmp_path / "missing"))
    with pytest.raises(ModelLoadError, match="cannot load the cross-encoder"):
        CrossEncoderReranker(str(tmp_path))


def test_ivf_built_from_stored_vectors_finds_what_exact_search_finds():
    import numpy as np

    from assistant.kb.vector_index import build, search_params

    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((3000, 64)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(10, 3010, dtype=np.int64)
    spec = IndexSpec("ivf", ivf_nprobe=16)
    ivf, flat = build("ivf", 64, ids, vecs, spec), build("flat", 64, ids, vecs, spec)
    assert kind_of(ivf) == "ivf" and kind_of(flat) == "flat"
    queries = vecs[:50] + 0.05 * rng.standard_normal((50, 64)).astype(np.float32)
    _, top_ivf = ivf.search(queries, 1, params=search_params(ivf, spec, None))
    _, top_flat = flat.search(queries, 1)
    assert (top_ivf[:, 0] == top_flat[:, 0]).mean() >= 0.95
    assert (top_flat[:, 0] == ids[:50]).all()
