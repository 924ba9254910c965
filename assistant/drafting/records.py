"""What a draft is made of, as stored and exported. Pydantic models: the store keeps them as JSON, and a brief
from the CLI, the web form or the API is validated in one place."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Language = Literal["ja", "en"]
# How a statement names its source in the text: "[expense-travel-policy.pdf p.2]". The writer keeps these when
# editing a section by hand; the review checks every sentence against the source its marker names.
MARKER = re.compile(r"\[([^\[\]]+?\.[A-Za-z0-9]{2,5})(?: (pp?)\.(\d+)(?:-(\d+))?)?\]")


class Brief(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    purpose: str = Field(default="", max_length=2000)
    audience: str = Field(default="", max_length=500)
    language: Language = "ja"
    sources: list[int] = Field(default_factory=list)  # document ids; empty: every document the writer may read
    style: str = Field(default="", max_length=500)  # です・ます調 / である調, tone
    outline_text: str = Field(default="", max_length=20_000)  # a pasted outline, one section per line
    revise: int | None = None  # an existing document whose sections become the outline

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the title is empty")
        return value.strip()


class OutlineItem(BaseModel):
    title: str = Field(min_length=1)
    purpose: str = ""  # what the section covers: searched with the title
    origin: list[str] = Field(default_factory=list)  # "file > heading" the item was proposed from


class Citation(BaseModel):
    file: str
    doc_id: int
    page: int | None = None
    page_end: int | None = None
    section: str = ""

    @property
    def marker(self) -> str:
        if self.page is None:
            return f"[{self.file}]"
        pages = f"p.{self.page}" if self.page_end in (None, self.page) else f"pp.{self.page}-{self.page_end}"
        return f"[{self.file} {pages}]"


class Statement(BaseModel):
    text: str
    citation: Citation
    generated: bool = False  # written by the model and passed the fact check


class Block(BaseModel):
    kind: Literal["text", "steps", "table"]
    heading: str = ""  # the source section it comes from, shown as a sub-heading
    statements: list[Statement] = Field(default_factory=list)  # text and steps
    rows: list[list[str]] = Field(default_factory=list)  # table: header row first
    table_citation: Citation | None = None


class Section(BaseModel):
    title: str
    purpose: str = ""
    status: Literal["pending", "drafted", "needs_input", "edited"] = "pending"
    blocks: list[Block] = Field(default_factory=list)
    missing: str = ""  # needs_input: what the manuals do not say
    closest: list[Citation] = Field(default_factory=list)  # needs_input: where the nearest material is
    edited: str | None = None  # the writer's own Markdown body, which replaces the blocks
    withheld: list[str] = Field(default_factory=list)  # why model sentences were not shown
    seconds: float = 0.0

    @property
    def citations(self) -> list[Citation]:
        out: list[Citation] = []
        for b in self.blocks:
            for c in [s.citation for s in b.statements] + ([b.table_citation] if b.table_citation else []):
                if c not in out:
                    out.append(c)
        return out


class Draft(BaseModel):
    id: int | None = None
    owner: str
    brief: Brief
    outline: list[OutlineItem] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    created: str = ""
    updated: str = ""

    @property
    def finished(self) -> int:
        return sum(s.status != "pending" for s in self.sections)
