"""The ingestion run: decide what changed, parse it in isolated processes, chunk, embed what is new,
and write it all as one new knowledge-base generation.

Every file ends with one outcome (ingested, replaced, skipped, updated, removed, failed) and one bad
file never stops the batch. Unchanged files are recognised by content hash without loading the
embedding model; vectors are looked up by the hash of the text they embed, so nothing is embedded twice.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.config import Settings
from assistant.core.errors import EmbedderMismatch, KnowledgeBaseError, disk_full
from assistant.core.faults import arm, crash_point
from assistant.embeddings import BaseEmbedder
from assistant.kb import ChunkRecord, DocumentRecord, GenerationWriter, KnowledgeBase, ingestion_lock
from assistant.kb.keywords import get_tokenizer
from assistant.kb.schema import IDENTITY_KEYS
from assistant.kb.vector_index import IndexSpec
from ingest.chunking import CHUNKER_VERSION, Chunk, Chunker, text_hash
from ingest.document import ParsedDocument
from ingest.failures import PARSER_VERSION, UNCHANGED_FAILURE, FailureMemo, options_key
from ingest.isolation import parse_files
from ingest.loaders import LoadOptions
from ingest.ocr import installed_models

STATUSES = ("ingested", "replaced", "updated", "skipped", "removed", "failed")


@dataclass
class FileOutcome:
    path: str
    status: str
    reason: str | None = None
    chunks: int = 0
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ocr_pages: int = 0  # pages whose text came from OCR

    @property
    def label(self) -> str:
        if self.status == "skipped":
            return "skipped (unchanged)"
        if self.status == "failed":
            return f"failed: {self.reason}"
        notes = [n for n in (self.reason, f"{self.ocr_pages} pages by OCR" if self.ocr_pages else None) if n]
        return self.status + (f" ({'; '.join(notes)})" if notes else "")


@dataclass
class IngestReport:
    outcomes: list[FileOutcome]
    generation: str | None
    dry_run: bool
    chunks_embedded: int = 0
    chunks_reused: int = 0
    pages: int = 0
    ocr_pages: int = 0
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for o in self.outcomes if o.status == s) for s in STATUSES}

    @property
    def ok(self) -> bool:
        return not any(o.status == "failed" for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "generation": self.generation,
            "counts": self.counts,
            "chunks_embedded": self.chunks_embedded,
            "chunks_reused": self.chunks_reused,
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "seconds": round(self.seconds, 2),
            "files": [asdict(o) | {"label": o.label} for o in self.outcomes],
        }


class IngestProgress:
    """Callbacks for a progress display; the default shows nothing."""

    def files_total(self, n: int) -> None: ...

    def file_done(self, outcome: FileOutcome) -> None: ...

    def chunks_added(self, n: int) -> None: ...


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def doc_key_for(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def collect_files(paths: Iterable[Path], extensions: list[str]) -> tuple[list[Path], list[FileOutcome]]:
    """Expand folders (recursively, hidden and editor lock files left out); report missing paths."""
    files: list[Path] = []
    problems: list[FileOutcome] = []
    for p in paths:
        p = p.expanduser()
        if not p.exists():
            problems.append(FileOutcome(str(p), "failed", "not found"))
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if (
                    f.is_file()
                    and f.suffix.lower() in extensions
                    and not any(part.startswith((".", "~$")) for part in rel)
                ):
                    files.append(f.resolve())
        else:
            files.append(p.resolve())
    return list(dict.fromkeys(files)), problems


class Ingestor:
    """Runs ingestion against the knowledge base in `settings.paths.kb_dir`.

    The embedder is created through `embedder_factory` only when something must be embedded.
    """

    def __init__(
        self,
        settings: Settings,
        embedder_factory: Callable[[], BaseEmbedder],
        progress: IngestProgress | None = None,
    ):
        self.settings = settings
        self.kb_dir = settings.paths.kb_dir
        self._embedder_factory = embedder_factory
        arm(settings.faults.crash_at)
        self._embedder: BaseEmbedder | None = None
        self.progress = progress or IngestProgress()
        self._digests: dict[str, str] = {}
        self._failures: FailureMemo | None = None  # read when a run or a dry run classifies files

    @property
    def index_spec(self) -> IndexSpec:
        r = self.settings.retrieval
        return IndexSpec(r.index_type, r.ann_threshold, r.hnsw_m, r.ivf_nprobe, r.hnsw_ef_search)

    def _commit(self, writer: GenerationWriter) -> str:
        return writer.commit(self.settings.ingest.keep_generations, self.index_spec)

    def _records(self, chunks: list[Chunk]) -> list[ChunkRecord]:
        tokenizer = get_tokenizer(self.settings.retrieval.sudachi_mode)
        return [_record(c, " ".join(tokenizer.index_terms(c.embed_text))) for c in chunks]

    @property
    def embedder(self) -> BaseEmbedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    def _check_configured_model(self, kb: KnowledgeBase) -> None:
        """Refuse a model change before any work, without loading the model (dim is checked once loaded)."""
        stored = kb.embedder_identity
        if stored is None:
            return
        s = self.settings.embedding
        configured = {
            "backend": s.backend,
            "model": s.model,
            "normalize": s.normalize,
            "passage_prefix": s.passage_prefix,
        }
        if any(stored.get(k) != configured[k] for k in configured if k in IDENTITY_KEYS):
            kb.check_embedder(configured | {"dim": stored.get("dim")})

    # --- ingest -------------------------------------------------------------------------------------
    def run(
        self,
        paths: list[Path],
        *,
        groups: list[str] | None = None,
        tags: list[str] | None = None,
        prune: bool = False,
        dry_run: bool = False,
        passwords: list[str] | None = None,
    ) -> IngestReport:
        t0 = time.monotonic()
        files, outcomes = collect_files(paths, self.settings.ingest.extensions)
        if dry_run:
            return self._plan(files, outcomes, paths, (groups, tags), prune, t0)
        with ingestion_lock(self.kb_dir):
            try:
                report = self._run_locked(files, outcomes, paths, (groups, tags), prune, passwords or [])
            except (OSError, sqlite3.Error, RuntimeError) as e:
                if not disk_full(e):
                    raise
                raise KnowledgeBaseError(
                    f"the disk holding {self.kb_dir} is full ({e}): nothing was changed, the knowledge base is as "
                    "before. Free some space (a new generation needs about the size of the current one plus the "
                    "new documents) and run the ingestion again."
                ) from e
        report.seconds = time.monotonic() - t0
        return report

    def _classify(
        self, kb: KnowledgeBase, files: list[Path], labels: tuple[list[str] | None, list[str] | None]
    ) -> tuple[
        list[tuple[Path, str, DocumentRecord | None]], list[tuple[DocumentRecord, list[str]]], list[FileOutcome]
    ]:
        """Split files into (to parse, group-only updates, final outcomes such as skipped/too large)."""
        cfg = self.settings.ingest
        to_parse: list[tuple[Path, str, DocumentRecord | None]] = []
        regroup: list[tuple[DocumentRecord, list[str]]] = []
        outcomes: list[FileOutcome] = []
        for f in files:
            if f.suffix.lower() not in cfg.extensions:
                outcomes.append(FileOutcome(str(f), "failed", f"unsupported file type '{f.suffix or '(none)'}'"))
                continue
            try:
                size = f.stat().st_size
                if size > cfg.max_file_mb * 1024 * 1024:
                    outcomes.append(
                        FileOutcome(
                            str(f), "failed", f"too large: {size / 1e6:.1f} MB > ingest.max_file_mb = {cfg.max_file_mb}"
                        )
                    )
                    continue
                if size == 0:
                    outcomes.append(FileOutcome(str(f), "failed", "empty file (0 bytes)"))
                    continue
                digest = sha256_file(f)
            except OSError as e:
                outcomes.append(FileOutcome(str(f), "failed", f"cannot read: {e.strerror or e}"))
                continue
            self._digests[str(f)] = digest
            if self._failures is not None and (reason := self._failures.known(str(f), digest)) is not None:
                outcomes.append(FileOutcome(str(f), "failed", reason, warnings=[UNCHANGED_FAILURE]))
                continue
            old = kb.document_by_source(str(f))
            # A file chunked another way (another chunk size, an older chunker) is chunked again, once.
            if old is not None and old.content_hash == digest and old.metadata.get("chunking") == self._chunking:
                groups, tags = labels
                new_groups = groups if groups is not None else old.groups
                new_tags = tags if tags is not None else old.tags
                if sorted(set(new_groups)) != sorted(set(old.groups)) or sorted(set(new_tags)) != sorted(set(old.tags)):
                    regroup.append((old, (new_groups, new_tags)))
                else:
                    outcomes.append(FileOutcome(str(f), "skipped", chunks=old.chunk_count, pages=old.pages))
                continue
            to_parse.append((f, digest, old))
        return to_parse, regroup, outcomes

    @property
    def _chunking(self) -> str:
        """How chunks and their keywords are made: stored with each document, so a change re-chunks it."""
        c = self.settings.chunking
        tables = "t" if self.settings.ingest.pdf_tables else "-"
        return f"{CHUNKER_VERSION}/{PARSER_VERSION}{tables}/{c.chunk_tokens}/{c.overlap_tokens}/{c.min_chunk_chars}"

    def _prunable(self, kb: KnowledgeBase, roots: list[Path]) -> list[DocumentRecord]:
        """Documents under the given folders (or at the given file paths) whose files are gone."""
        resolved = [r.expanduser().resolve() for r in roots]
        out = []
        for d in kb.documents():
            src = Path(d.source)
            if src.exists():
                continue
            if any(src == r or r in src.parents for r in resolved):
                out.append(d)
        return out

    def _plan(self, files, outcomes, roots, labels, prune, t0) -> IngestReport:  # noqa: ANN001
        self._failures = self._failure_memo([])
        kb = KnowledgeBase.open(self.kb_dir)
        try:
            self._check_configured_model(kb)
            to_parse, regroup, final = self._classify(kb, files, labels)
            outcomes += final
            for f, _, old in to_parse:
                outcomes.append(FileOutcome(str(f), "replaced" if old else "ingested", "dry run"))
            for old, _ in regroup:
                outcomes.append(FileOutcome(old.source, "updated", "dry run: groups/tags"))
            if prune:
                outcomes += [
                    FileOutcome(d.source, "removed", "dry run: file is gone") for d in self._prunable(kb, roots)
                ]
            return IngestReport(outcomes, kb.generation, dry_run=True, seconds=time.monotonic() - t0)
        finally:
            kb.close()

    def _run_locked(self, files, outcomes, roots, labels, prune, passwords) -> IngestReport:  # noqa: ANN001
        self._failures = self._failure_memo(passwords)
        report = self._run_remembering(files, outcomes, roots, labels, prune, passwords)
        self._failures.update(report.outcomes, self._digests)
        self._failures.save()
        return report

    def _failure_memo(self, passwords: list[str]) -> FailureMemo:
        return FailureMemo(self.kb_dir / "failed-files.json", options_key(self._parse_options(passwords)))

    def _parse_options(self, passwords: list[str]) -> dict[str, Any]:
        """Everything that can change a file's parse result, for the failure memo's key."""
        cfg = self.settings.ingest
        return {
            "passwords": sorted(passwords), "ocr": cfg.ocr, "ocr_languages": cfg.ocr_languages, "ocr_dpi": cfg.ocr_dpi,
            "ocr_models": sorted(installed_models()) if cfg.ocr != "off" else [],
            "max_page_chars": cfg.max_page_chars, "garbled_ratio": cfg.garbled_ratio, "pdf_tables": cfg.pdf_tables,
        }

    def _run_remembering(self, files, outcomes, roots, labels, prune, passwords) -> IngestReport:  # noqa: ANN001
        kb = KnowledgeBase.open(self.kb_dir)
        self._check_configured_model(kb)
        to_parse, regroup, final = self._classify(kb, files, labels)
        outcomes = outcomes + final
        prunable = self._prunable(kb, roots) if prune else []
        self.progress.files_total(len(files) + len(outcomes) - len(final) + len(prunable))
        for o in outcomes:
            self.progress.file_done(o)
        report = IngestReport(outcomes, kb.generation, dry_run=False)
        if not (to_parse or regroup or prunable):
            kb.close()
            return report

        if to_parse:
            identity = self.embedder.identity
        else:
            identity = kb.embedder_identity or {}
        kb.close()
        writer = GenerationWriter(self.kb_dir, identity)
        try:
            for old, (new_groups, new_tags) in regroup:
                writer.update_labels(old.id, new_groups, new_tags)  # type: ignore[arg-type]
                reason = "groups: " + ", ".join(new_groups) + ("; tags: " + ", ".join(new_tags) if new_tags else "")
                self._done(report, FileOutcome(old.source, "updated", reason))
            if to_parse:
                self._ingest_parsed(writer, to_parse, labels, passwords, report)
            for d in prunable:
                writer.remove_document(d.id)  # type: ignore[arg-type]
                self._done(report, FileOutcome(d.source, "removed", "file is gone", chunks=d.chunk_count))
            writer.record_run(report.to_json() | {"files": None}, [asdict(o) for o in report.outcomes])
            report.generation = self._commit(writer)
        except BaseException:
            writer.abort()
            raise
        return report

    def _done(self, report: IngestReport, outcome: FileOutcome) -> None:
        report.outcomes.append(outcome)
        self.progress.file_done(outcome)

    def _ingest_parsed(self, writer, to_parse, labels, passwords, report) -> None:  # noqa: ANN001
        cfg = self.settings.ingest
        info = {f: (digest, old) for f, digest, old in to_parse}
        opts = LoadOptions(
            passwords=passwords,
            max_page_chars=cfg.max_page_chars,
            garbled_ratio=cfg.garbled_ratio,
            header_footer_min_pages=cfg.header_footer_min_pages,
            ocr=cfg.ocr,
            ocr_languages=cfg.ocr_languages,
            ocr_dpi=cfg.ocr_dpi,
            pdf_tables=cfg.pdf_tables,
            ocr_budget_s=cfg.file_timeout_s * 0.8,  # OCR stops in time for the file to be kept, not timed out
        )
        chunker = Chunker(
            self.embedder.count_tokens,
            self.settings.chunking.chunk_tokens,
            self.settings.chunking.overlap_tokens,
            self.settings.chunking.min_chunk_chars,
        )
        results = parse_files(
            info,
            opts,
            workers=cfg.workers,
            timeout_s=cfg.file_timeout_s,
            memory_mb=cfg.file_memory_mb,
            fault=self.settings.faults.crash_at or None,
        )
        for res in results:
            digest, old = info[res.path]
            t = time.monotonic()
            if res.document is None:
                reason = res.error or "unknown error"
                if old is not None:
                    reason += " (the previously ingested version is kept)"
                self._done(report, FileOutcome(str(res.path), "failed", reason, seconds=res.seconds))
                continue
            outcome = self._store(writer, res.path, digest, old, res.document, labels, chunker, report)
            outcome.seconds = res.seconds + time.monotonic() - t
            self._done(report, outcome)

    def _store(
        self, writer, path, digest, old, parsed: ParsedDocument, labels, chunker: Chunker, report
    ) -> FileOutcome:  # noqa: ANN001
        crash_point("ingest.after_parse")
        source = str(path)
        key = doc_key_for(source)
        chunks = chunker.chunk(parsed, key)
        if not chunks:
            return FileOutcome(
                source,
                "failed",
                "no text left after removing page numbers and running headers/footers",
                warnings=parsed.warnings,
            )
        vectors = self._vectors_for(writer, chunks, report)
        crash_point("ingest.after_embed")
        groups, tags = labels
        doc_groups = groups if groups is not None else (old.groups if old else self.settings.ingest.default_groups)
        doc_tags = tags if tags is not None else (old.tags if old else [])
        stat = path.stat()
        record = DocumentRecord(
            doc_key=key,
            source=source,
            name=path.name,
            format=parsed.format,
            title=parsed.title,
            content_hash=digest,
            size_bytes=stat.st_size,
            mtime=stat.st_mtime,
            pages=parsed.pages,
            paginated=parsed.paginated,
            groups=list(dict.fromkeys(doc_groups)),
            tags=list(dict.fromkeys(doc_tags)),
            metadata=parsed.metadata | {"chunking": self._chunking},
            warnings=parsed.warnings,
        )
        writer.add_document(record, self._records(chunks), vectors)
        report.pages += parsed.pages
        ocr_pages = str(parsed.metadata.get("page_engines", "")).count("O")
        report.ocr_pages += ocr_pages
        return FileOutcome(
            source, "replaced" if old else "ingested", None, len(chunks), parsed.pages, parsed.warnings,
            ocr_pages=ocr_pages,
        )

    def _vectors_for(
        self, writer: GenerationWriter, chunks: list[Chunk], report: IngestReport
    ) -> dict[str, np.ndarray]:
        hashes = {text_hash(c.embed_text): c.embed_text for c in chunks}
        vectors = writer.cached_vectors(hashes)
        missing = [h for h in hashes if h not in vectors]
        report.chunks_reused += len(chunks) - len(missing)
        bs = self.settings.embedding.batch_size
        for i in range(0, len(missing), bs):
            part = missing[i : i + bs]
            embedded = self.embedder.embed_passages([hashes[h] for h in part])
            vectors.update(zip(part, embedded, strict=True))
            report.chunks_embedded += len(part)
            self.progress.chunks_added(len(part))
        return vectors

    # --- maintenance --------------------------------------------------------------------------------
    def remove(self, docs: list[DocumentRecord]) -> str:
        with ingestion_lock(self.kb_dir):
            kb = KnowledgeBase.open(self.kb_dir)
            identity = kb.embedder_identity or {}
            kb.close()
            writer = GenerationWriter(self.kb_dir, identity)
            try:
                outcomes = []
                for d in docs:
                    writer.remove_document(d.id)  # type: ignore[arg-type]
                    outcomes.append(FileOutcome(d.source, "removed", "by admin", chunks=d.chunk_count))
                writer.record_run({"command": "docs remove"}, [asdict(o) for o in outcomes])
                return self._commit(writer)
            except BaseException:
                writer.abort()
                raise

    def reindex(self) -> IngestReport:
        """Rebuild every vector with the configured model from the stored chunk texts (no source files needed)."""
        t0 = time.monotonic()
        with ingestion_lock(self.kb_dir):
            kb = KnowledgeBase.open(self.kb_dir)
            writer = GenerationWriter(self.kb_dir, self.embedder.identity, fresh=True)
            report = IngestReport([], kb.generation, dry_run=False)
            try:
                docs = kb.documents()
                self.progress.files_total(len(docs))
                for d in docs:
                    stored = kb.chunks_of(d.id)  # type: ignore[arg-type]
                    chunks = [
                        Chunk(
                            c["chunk_id"],
                            c["ordinal"],
                            c["text"],
                            c["heading_path"],
                            c["page_start"],
                            c["page_end"],
                            self.embedder.count_tokens(c["text"]),
                            d.title or "",
                        )
                        for c in stored
                    ]
                    vectors = self._vectors_for(writer, chunks, report)
                    writer.add_document(d, self._records(chunks), vectors)
                    report.pages += d.pages
                    self._done(report, FileOutcome(d.source, "replaced", "re-embedded", len(chunks), d.pages))
                writer.record_run(report.to_json() | {"files": None, "command": "reindex"}, [])
                report.generation = self._commit(writer)
            except BaseException:
                writer.abort()
                raise
            finally:
                kb.close()
        report.seconds = time.monotonic() - t0
        return report


def _record(c: Chunk, keywords: str) -> ChunkRecord:
    return ChunkRecord(
        chunk_id=c.chunk_id,
        ordinal=c.ordinal,
        text=c.text,
        heading_path=c.heading_path,
        page_start=c.page_start,
        page_end=c.page_end,
        n_tokens=c.n_tokens,
        text_hash=text_hash(c.embed_text),
        keywords=keywords,
    )


__all__ = ["EmbedderMismatch", "FileOutcome", "IngestProgress", "IngestReport", "Ingestor", "collect_files"]
