"""Generations on disk: which one is live, which are complete, who reads them, and which may be deleted.

Layout of `kb_dir`:
    CURRENT                    name of the live generation, replaced atomically (os.replace + fsync)
    generations/gNNNNNN/       kb.sqlite + vectors.faiss; COMPLETE is written last, before the switch
    generations/gNNNNNN/readers.lock   a shared flock per process reading that generation (its lease)
    ingest.lock                held (flock) by the one process allowed to write

Readers hold a shared `flock` on the lease file of the generation they read. The kernel drops it when the
reader's process ends, kill -9 included, so a dead reader never pins a generation. A generation is deleted
only by whoever gets the exclusive lock without waiting, which proves nobody reads it; it is renamed out of
the generations' namespace first, so no reader can open it half-deleted. A missing or damaged CURRENT is
repaired from the newest complete generation; nothing is ever deleted to repair it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.core.errors import KnowledgeBaseError, KnowledgeBaseLocked
from assistant.core.files import write_text_atomic
from assistant.kb.schema import DB_NAME, now_iso

log = logging.getLogger(__name__)

POINTER = "CURRENT"
GENERATIONS = "generations"
COMPLETE = "COMPLETE"
LEASE = "readers.lock"
TRASH_PREFIX = ".trash-"
_NAME = re.compile(r"^g(\d{6,})$")


def generation_number(name: str) -> int:
    """gNNNNNN -> NNNNNN; -1 for anything else (trash, stray files)."""
    m = _NAME.match(name)
    return int(m.group(1)) if m else -1


def generations_dir(kb_dir: Path) -> Path:
    return kb_dir / GENERATIONS


def generation_names(kb_dir: Path) -> list[str]:
    """Generation folders, oldest first."""
    gens = generations_dir(kb_dir)
    if not gens.is_dir():
        return []
    names = [p.name for p in gens.iterdir() if p.is_dir() and generation_number(p.name) >= 0]
    return sorted(names, key=generation_number)


def is_complete(gen_dir: Path) -> bool:
    return (gen_dir / COMPLETE).is_file() and (gen_dir / DB_NAME).is_file()


def mark_complete(gen_dir: Path) -> None:
    """Written after every file of the generation is on disk and before CURRENT names it."""
    write_text_atomic(gen_dir / COMPLETE, now_iso() + "\n", durable=True)


def read_pointer(kb_dir: Path) -> tuple[str | None, str | None]:
    """(generation named by CURRENT, problem). Problem is None when CURRENT names a readable generation."""
    pointer = kb_dir / POINTER
    if not pointer.is_file():
        return None, "missing" if generation_names(kb_dir) else None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        return None, f"unreadable ({e})"
    if generation_number(name) < 0:
        return None, f"damaged (holds {name[:40]!r}, not a generation name)"
    if not (generations_dir(kb_dir) / name / DB_NAME).is_file():
        return None, f"names {name}, which is not on disk"
    return name, None


def write_pointer(kb_dir: Path, name: str) -> None:
    """The switch: one atomic rename of a fully written, fsynced pointer file."""
    write_text_atomic(kb_dir / POINTER, name + "\n", durable=True)


def newest_complete(kb_dir: Path) -> str | None:
    gens = generations_dir(kb_dir)
    return next((n for n in reversed(generation_names(kb_dir)) if is_complete(gens / n)), None)


def current_generation(kb_dir: Path, repair: bool = True) -> str | None:
    """The live generation; None for a knowledge base never ingested into.

    A missing or damaged CURRENT is repaired from the newest complete generation (under the ingestion lock,
    so it can never undo a writer's switch); while a writer holds the lock, that generation is read without
    rewriting CURRENT, and the writer repairs it. Nothing is deleted here.
    """
    name, problem = read_pointer(kb_dir)
    if problem is None:
        return name
    candidate = newest_complete(kb_dir)
    if candidate is None:
        raise KnowledgeBaseError(
            f"the knowledge base pointer {kb_dir / POINTER} is {problem} and no complete generation was found "
            f"under {generations_dir(kb_dir)}; nothing was deleted. Run `assistant ingest` to build a new one."
        )
    if repair:
        with writer_lock_if_free(kb_dir) as held:
            if held:
                name, problem = read_pointer(kb_dir)  # a writer may have switched before we got the lock
                if problem is None:
                    return name
                write_pointer(kb_dir, candidate)
                log.warning("knowledge base pointer was %s: repaired to %s", problem, candidate)
    return candidate


# --- the writer's lock -----------------------------------------------------------------------------------
@contextmanager
def ingestion_lock(kb_dir: Path) -> Iterator[None]:
    """One writer at a time. flock is released by the kernel when the holder dies, so kill -9 leaves no stale lock."""
    kb_dir.mkdir(parents=True, exist_ok=True)
    info = kb_dir / "ingest.lock.info"
    lock = FileLock(str(kb_dir / "ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = info.read_text(encoding="utf-8").strip() if info.exists() else "another process"
        raise KnowledgeBaseLocked(
            f"another ingestion is running on {kb_dir} ({holder}); wait for it to finish and try again"
        ) from None
    try:
        info.write_text(f"pid {os.getpid()}, started {now_iso()}", encoding="utf-8")
        yield
    finally:
        lock.release()


@contextmanager
def writer_lock_if_free(kb_dir: Path) -> Iterator[bool]:
    """The ingestion lock when nobody holds it (True), else False at once."""
    try:
        with ingestion_lock(kb_dir):
            yield True
    except KnowledgeBaseLocked:
        yield False


# --- reader leases ---------------------------------------------------------------------------------------
class Lease:
    """A shared lock on a generation's lease file, held while this reader uses the generation."""

    def __init__(self, gen_dir: Path):
        self.gen_dir = gen_dir
        self._fd: int | None = os.open(gen_dir / LEASE, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_SH)  # waits only while a pruner renames the folder away
        if not (gen_dir / DB_NAME).is_file():  # it was pruned between our open and our lock
            self.release()
            raise FileNotFoundError(gen_dir)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:  # noqa: BLE001 - at interpreter exit `os` may be gone; the kernel drops the lock anyway
            pass


def lease_current(kb_dir: Path, attempts: int = 5) -> tuple[str | None, Lease | None]:
    """The live generation with a lease on it; retried when a switch and a prune pass between the two steps."""
    for _ in range(attempts):
        name = current_generation(kb_dir)
        if name is None:
            return None, None
        try:
            return name, Lease(generations_dir(kb_dir) / name)
        except FileNotFoundError:
            continue
    raise KnowledgeBaseError(f"the knowledge base at {kb_dir} kept changing while it was opened; try again")


@contextmanager
def _unread(gen_dir: Path) -> Iterator[bool]:
    """Holds the exclusive lock on a generation's lease file when no reader holds it (True), else False at once."""
    try:
        fd = os.open(gen_dir / LEASE, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:  # the folder is gone
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def is_read(gen_dir: Path) -> bool:
    """Whether any live process holds a lease on the generation."""
    if not gen_dir.is_dir():
        return False
    with _unread(gen_dir) as unread:
        return not unread


def delete_if_unread(gen_dir: Path) -> bool:
    """Delete a generation nobody reads; False (and untouched) while a reader holds it."""
    trash = gen_dir.with_name(f"{TRASH_PREFIX}{gen_dir.name}-{uuid.uuid4().hex[:8]}")
    with _unread(gen_dir) as unread:
        if not unread:
            return False
        try:
            os.rename(gen_dir, trash)  # while we hold the lock: no reader can lease it half-deleted
        except FileNotFoundError:
            return False  # another pruner was first
    shutil.rmtree(trash, ignore_errors=True)
    return True


def prune(kb_dir: Path, keep: int) -> list[str]:
    """Delete generations older than the live one beyond the `keep` newest of them, skipping any still read.

    Safe beside a writer and beside other pruners: it never touches the live generation or newer ones, and
    does nothing at all while CURRENT is missing or damaged.
    """
    live, problem = read_pointer(kb_dir)
    if live is None or problem is not None:
        return []
    gens = generations_dir(kb_dir)
    older = [n for n in generation_names(kb_dir) if generation_number(n) < generation_number(live)]
    removed = [n for n in older[: max(0, len(older) - keep)] if delete_if_unread(gens / n)]
    for trash in gens.glob(TRASH_PREFIX + "*"):  # left by a pruner that died mid-delete
        shutil.rmtree(trash, ignore_errors=True)
    return removed
