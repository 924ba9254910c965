"""What the Q&A workflow hands back: the answer, its numbered sources, the turns of a conversation, the stream."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from assistant.answering.citations import CitationReport
from assistant.answering.evidence import Evidence
from assistant.answering.injection import Finding
from assistant.answering.short_answer import ShortAnswer
from assistant.retrieval import Hit


@dataclass
class Source:
    number: int
    file: str
    path: str
    title: str | None
    page: int | None
    page_end: int | None
    section: str
    snippet: str
    score: float
    chunk_id: str
    doc_id: int
    cited: bool = False
    passage: str = ""  # the text given to the model; evidence offsets point into it
    ocr: bool = False  # read by OCR from a scanned page: said with the page, as the text may hold OCR errors
    also_in: list[str] = field(default_factory=list)  # the same section in other manuals, "file p.N"

    @property
    def pages(self) -> str:
        if self.page is None:
            return ""
        pages = f"p.{self.page}" if self.page == self.page_end else f"pp.{self.page}-{self.page_end}"
        return pages + (", OCR" if self.ocr else "")

    @property
    def label(self) -> str:
        return f"{self.file}, {self.pages}" if self.pages else self.file

    @classmethod
    def from_hit(cls, number: int, hit: Hit, snippet_chars: int) -> Source:
        text = " ".join(hit.text.split())
        return cls(
            number=number,
            file=hit.name,
            path=hit.source,
            title=hit.title,
            page=hit.page_start if hit.paginated else None,
            page_end=hit.page_end if hit.paginated else None,
            section=" > ".join(hit.heading_path[-2:]),
            snippet=text[:snippet_chars] + ("…" if len(text) > snippet_chars else ""),
            score=round(hit.score, 4),
            chunk_id=hit.chunk_id,
            doc_id=hit.doc_id,
            passage=hit.context or hit.text,
            ocr=hit.ocr,
            also_in=[f"{c.name} {c.pages}".strip() for c in hit.copies],
        )


@dataclass(frozen=True)
class Turn:
    """One earlier exchange, as a follow-up needs it: the question, what was searched, and what the manuals said
    (the evidence, not the model's text: a garbled summary must not steer the next search)."""

    question: str
    answer: str
    query: str = ""


@dataclass
class Answer:
    question: str
    user: str | None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    query: str = ""
    language: str = "en"
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    # answered (evidence from the manuals, or a checked summary) | closest (the closest passages, which may not
    # answer) | not_found (retrieval found nothing close) | declined (the model said so) | no_documents | cancelled
    outcome: str = "answered"
    evidence: list[Evidence] = field(default_factory=list)
    evidence_confident: bool = False
    answer_type: str | None = None
    # What the evidence is, as its heading says: answered | partly | related | figure | not_found (labels.py)
    label: str = ""
    parts: list[dict[str, Any]] = field(default_factory=list)  # a multi-part question: each part, found or not
    figure_page: int | None = None  # label "figure": the page whose figure may hold the number asked for
    # The words that answer, cut from a cited source (short_answer.py), and what the model said, shown or not.
    short_answer: ShortAnswer | None = None
    short_answer_check: dict[str, Any] = field(default_factory=dict)
    summary: str = ""  # the model's checked text, shown after the evidence ("" when the model was not used)
    relevance: dict[str, Any] = field(default_factory=dict)
    citations: CitationReport = field(default_factory=CitationReport)
    screened: list[Finding] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""
    backend: str = ""
    error: str | None = None
    stopped: bool = False  # the reader pressed Stop while the model wrote: the evidence stands, the summary is cut
    finish_reason: str | None = None  # why the model's text ended, as the runtime said: stop | length | cancelled

    @property
    def abstained(self) -> bool:
        """No answer from the manuals: only the closest passages, or nothing (a part answered is an answer)."""
        return self.outcome not in ("answered", "quoted", "partly")

    @property
    def evidence_text(self) -> str:
        """The evidence sentences alone: what a follow-up question is understood from."""
        return " ".join(e.text for e in self.evidence)

    def turn(self) -> Turn:
        return Turn(self.question, self.evidence_text, self.query)

    @property
    def cited_sources(self) -> list[Source]:
        return [s for s in self.sources if s.cited]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"abstained": self.abstained}


class AnswerStream:
    """Iterate for the answer's text as it is produced; `answer` is complete once iteration has ended.

    `close` (or leaving a `with` block, or dropping the stream) stops the answer where it is: the model is
    released at once and stops generating, so a closed browser tab never holds it for the next person.
    """

    def __init__(self, answer: Answer, pieces: Generator[str, None, None], cancel: threading.Event | None = None):
        self.answer = answer
        self._pieces = pieces
        self._cancel = cancel or threading.Event()

    def stop(self) -> None:
        """Stop the model at its next token, from any thread (the Stop button): the stream then ends normally,
        the answer keeps its evidence and whatever checked text was shown, and the model is let go."""
        self.answer.stopped = True
        self._cancel.set()

    def __iter__(self) -> Iterator[str]:
        return self._pieces

    def __enter__(self) -> AnswerStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pieces.close()

    def result(self) -> Answer:
        for _ in self._pieces:
            pass
        return self.answer
