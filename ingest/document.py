"""What every loader returns: blocks of text, each with its page and heading path."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Block:
    text: str
    page: int  # 1-based; non-paginated formats use 1 (or form-feed pages for text files)
    heading_path: list[str] = field(default_factory=list)


@dataclass
class ParsedDocument:
    format: str
    pages: int
    paginated: bool
    blocks: list[Block]
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParsedDocument:
        data = dict(data)
        data["blocks"] = [Block(**b) for b in data["blocks"]]
        return cls(**data)
