"""The admin's operations on the document library, shared by the admin view and the admin REST API.

Uploads are kept under data_dir/uploads and ingested from there with the groups and tags the admin chose;
ingestion writes a new generation while questions keep being answered from the current one, and the live
knowledge base switches when it commits. Every call here is for admins: callers check the role first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError, DocumentError
from assistant.kb import DocumentRecord
from assistant.kb.status import knowledge_base_status
from assistant.services import Assistant
from ingest.pipeline import FileOutcome, Ingestor, IngestProgress, IngestReport
from ingest.uploads import check_count, check_upload, shown, store_upload


@dataclass
class Upload:
    filename: str
    data: bytes | None  # None: not read, because its announced size is already over the limit
    size: int | None = None


class _Callbacks(IngestProgress):
    def __init__(self, on_progress: Callable[[int, int, str], None] | None):
        self.on_progress = on_progress
        self.total = 0
        self.done = 0

    def files_total(self, n: int) -> None:
        self.total = n
        if self.on_progress:
            self.on_progress(0, n, "")

    def file_done(self, outcome: FileOutcome) -> None:
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.total, Path(outcome.path).name)


class Library:
    def __init__(self, service: Assistant):
        self.service = service
        self.settings = service.settings

    def ingest_uploads(
        self,
        uploads: Sequence[Upload],
        groups: Sequence[str] = (),
        tags: Sequence[str] = (),
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> tuple[IngestReport | None, list[FileOutcome]]:
        """Store the acceptable uploads and ingest them; refused files come back as failed outcomes, with why.
        Too many files at once is refused whole (DocumentError), before anything is stored."""
        check_count(self.settings, len(uploads))
        stored, refused = [], []
        for u in uploads:
            try:
                if u.data is None:  # refused before it was read (too large)
                    check_upload(self.settings, u.filename, u.size or 0)
                stored.append(store_upload(self.settings, u.filename, u.data or b""))
            except DocumentError as e:
                refused.append(FileOutcome(shown(u.filename), "failed", str(e)))
        if not stored:
            return None, refused
        return self.ingest(stored, groups, tags, on_progress), refused

    def ingest(
        self,
        paths: Sequence[Path],
        groups: Sequence[str] = (),
        tags: Sequence[str] = (),
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> IngestReport:
        ingestor = Ingestor(self.settings, lambda: self.service.embedder, _Callbacks(on_progress))
        report = ingestor.run(list(paths), groups=list(groups) or None, tags=list(tags) or None)
        return report

    def documents(self) -> list[DocumentRecord]:
        with self.service.kb.acquire_kb() as kb:
            return kb.documents() if kb.exists else []

    def document(self, doc_id: int) -> tuple[DocumentRecord, list[dict[str, Any]]]:
        with self.service.kb.acquire_kb() as kb:
            docs = [d for d in (kb.documents() if kb.exists else []) if d.id == doc_id]
            if not docs:
                raise AssistantError(f"no document with id {doc_id}")
            return docs[0], kb.chunks_of(doc_id)

    def remove(self, doc_id: int) -> DocumentRecord:
        doc, _ = self.document(doc_id)
        Ingestor(self.settings, lambda: self.service.embedder).remove([doc])
        return doc

    def status(self, check: bool = False) -> dict[str, Any]:
        return knowledge_base_status(self.settings, check)


def outcome_rows(report: IngestReport | None, refused: Sequence[FileOutcome]) -> list[list[Any]]:
    """The per-file result table: file, result, chunks, pages, reason."""
    outcomes = list(refused) + (report.outcomes if report else [])
    return [[Path(o.path).name, o.status, o.chunks, o.pages, o.reason or "; ".join(o.warnings)] for o in outcomes]
