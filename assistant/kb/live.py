"""The knowledge base as a long-running server sees it: always the live generation, switched without restart.

Each request holds the generation it started on until it is done (`acquire`); the next request sees a new
CURRENT as soon as the admin's ingestion has switched it (one `stat` per request notices). A generation the
server no longer serves is closed when its last request lets go, which gives up the lease and prunes what no
one reads any more, so a server running for weeks keeps neither old files nor removed documents.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from assistant.kb.generations import POINTER, current_generation, prune
from assistant.kb.reader import KnowledgeBase

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class _Served(Generic[T]):
    kb: KnowledgeBase
    view: T
    refs: int = 0
    retired: bool = False


class LiveKnowledgeBase(Generic[T]):
    """`build` turns an opened generation into what requests use (a searcher); it runs once per generation."""

    def __init__(self, kb_dir: Path, build: Callable[[KnowledgeBase], T], keep_generations: int = 2):
        self.kb_dir = kb_dir
        self.build = build
        self.keep_generations = keep_generations
        self._lock = threading.Lock()
        self._served: _Served[T] | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._closed = False

    @property
    def generation(self) -> str | None:
        """The generation new requests get (None before the first ingestion)."""
        with self.acquire_kb() as kb:
            return kb.generation

    @contextmanager
    def acquire(self) -> Iterator[T]:
        """The live generation's view, held (and its files kept) until the block ends."""
        with self._holding() as served:
            yield served.view

    @contextmanager
    def acquire_kb(self) -> Iterator[KnowledgeBase]:
        """The live generation itself (documents, counts), held the same way."""
        with self._holding() as served:
            yield served.kb

    def close(self) -> None:
        with self._lock:
            self._closed = True
            served, self._served = self._served, None
            if served is not None:
                served.retired = True
                if served.refs == 0:
                    served.kb.close()

    # --- internals ---------------------------------------------------------------------------------------
    def _pointer_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.kb_dir / POINTER)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    @contextmanager
    def _holding(self) -> Iterator[_Served[T]]:
        served = self._hold()
        try:
            yield served
        finally:
            self._let_go(served)

    def _hold(self) -> _Served[T]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the knowledge base was closed")
            stamp = self._pointer_stamp()
            if self._served is None or stamp != self._stamp or stamp is None:
                self._follow(stamp)
            assert self._served is not None
            self._served.refs += 1
            return self._served

    def _follow(self, stamp: tuple[int, int, int] | None) -> None:
        """Switch to the generation CURRENT names now (repairing CURRENT when it is missing or damaged)."""
        if self._served is not None and current_generation(self.kb_dir) == self._served.kb.generation:
            self._stamp = self._pointer_stamp()
            return
        kb = KnowledgeBase.open(self.kb_dir)
        try:
            view = self.build(kb)
        except BaseException:
            kb.close()
            raise
        old, self._served = self._served, _Served(kb, view)
        self._stamp = self._pointer_stamp() if stamp is None else stamp
        if old is not None:
            log.info("knowledge base: now serving %s (was %s)", kb.generation, old.kb.generation)
            old.retired = True
            if old.refs == 0:
                self._retire(old)

    def _let_go(self, served: _Served[T]) -> None:
        with self._lock:
            served.refs -= 1
            done = served.retired and served.refs == 0
        if done:
            self._retire(served)

    def _retire(self, served: _Served[T]) -> None:
        served.kb.close()
        removed = prune(self.kb_dir, self.keep_generations)
        if removed:
            log.info("knowledge base: pruned %s", ", ".join(removed))
