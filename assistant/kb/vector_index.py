"""FAISS index types for the knowledge base: exact for small stores, IVF or HNSW for large ones.

Vectors are always stored in SQLite too, so any index can be rebuilt from them (when the store
crosses `ann_threshold`, or after removals from HNSW, which cannot delete) without re-embedding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import faiss
import numpy as np


@dataclass(frozen=True)
class IndexSpec:
    type: str = "auto"  # auto | flat | ivf | hnsw
    ann_threshold: int = 50_000
    hnsw_m: int = 32
    ivf_nprobe: int = 32
    hnsw_ef_search: int = 64


def desired_kind(spec: IndexSpec, n: int) -> str:
    if spec.type != "auto":
        return spec.type
    return "ivf" if n >= spec.ann_threshold else "flat"


def kind_of(index: faiss.Index) -> str:
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index
    if isinstance(inner, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(inner, faiss.IndexIVF) or isinstance(index, faiss.IndexIVF):
        return "ivf"
    return "flat"


def empty_flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def build(kind: str, dim: int, ids: np.ndarray, vectors: np.ndarray, spec: IndexSpec) -> faiss.Index:
    """A fresh index of `kind` holding `vectors` under `ids` (inner product on normalised vectors = cosine)."""
    n = len(ids)
    if kind == "ivf" and n >= 1000:
        nlist = int(min(65536, max(16, 4 * math.sqrt(n))))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)  # deterministic training sample -> deterministic index
        sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
        index.train(sample)
        index.nprobe = spec.ivf_nprobe
        index.add_with_ids(vectors, ids)
        return index
    if kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index = faiss.IndexIDMap2(inner)
        if n:
            index.add_with_ids(vectors, ids)
        return index
    index = empty_flat(dim)
    if n:
        index.add_with_ids(vectors, ids)
    return index


def search_params(index: faiss.Index, spec: IndexSpec, selector: faiss.IDSelector | None):
    """Search parameters carrying the access filter (an ID selector) and the ANN knobs."""
    kind = kind_of(index)
    if kind == "ivf":
        return faiss.SearchParametersIVF(sel=selector, nprobe=spec.ivf_nprobe)
    if kind == "hnsw":
        return faiss.SearchParametersHNSW(sel=selector, efSearch=spec.hnsw_ef_search)
    return faiss.SearchParameters(sel=selector) if selector is not None else None
