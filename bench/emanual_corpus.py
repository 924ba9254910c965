"""The E-Manual QA set (../shared/data/dev/emanual-qa) as a knowledge base of long manuals with section-level gold.

Each manual becomes one Markdown file: its sections in order, each under a heading (nested where the corpus gives
the hierarchy, flat for the TV manual, which does not), so the real Markdown loader builds the heading paths a PDF
manual's bookmarks would give. The Galaxy S9, Note 10 and Tab S6 manuals are distractors: same vendor, same
vocabulary, no question about them. A retrieved chunk's section is the last element of its heading path; sections
that share a title within one manual count as one (the TV manual has 261 sections and 235 titles).

Gold: the answers are copied from the manual, so a question's gold is the section whose text holds its answer (found
for 596 of the 684 TV questions); otherwise the deepest element of its section path that is a section title,
compared without case and punctuation. The paths alone are not enough: a third of their leaves are sub-headings
inside a section, and the manual's own sections differ from them (the path "Connections > Connecting to the
Internet > Establishing a wired Internet connection" is answered by the section "Connecting to your Internet
network").

The corpus files carry fields that must not reach the index: `t5_para` holds generated questions, `html` the
source markup. Only `title` and `text` are used.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

MANUALS = {  # file in the store -> (corpus file, title)
    "samsung-smart-tv.md": ("smart_tv_remote_manual_corpus.json", "Samsung Smart TV and Smart Remote e-Manual"),
    "galaxy-s10.md": ("s10_manual_corpus.json", "Galaxy S10 User Manual"),
    "galaxy-s9.md": ("other_emanuals_corpus/Galaxy_S9.json", "Galaxy S9 User Manual"),
    "galaxy-note10.md": ("other_emanuals_corpus/Galaxy_Note_10.json", "Galaxy Note 10 User Manual"),
    "galaxy-tab-s6.md": ("other_emanuals_corpus/Galaxy_Tab_S6.json", "Galaxy Tab S6 User Manual"),
}


@dataclass(frozen=True)
class Question:
    text: str
    gold: frozenset[str]  # unit ids ("file>section title"); any one of them counts
    kind: str  # normal | paraphrased | compound | yes/no | s10
    original: str | None = None  # a paraphrased question's original


def section_unit(file: str, heading_path: list[str]) -> str:
    """The unit a chunk belongs to: its manual and its innermost heading."""
    return f"{file}>{heading_path[-1] if heading_path else ''}"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Manual:
    file: str
    markdown: str
    sections: list[tuple[str, str]]  # (title, text key)

    def gold(self, section_path: str, answer: str) -> frozenset[str]:
        a = _key(answer)
        if len(a) >= 25:
            for window in (a[:60], a[20:80], a[-60:]):
                found = {title for title, text in self.sections if window in text}
                if found:
                    return frozenset(f"{self.file}>{t}" for t in found)
        by_key = {_key(title): title for title, _ in self.sections}
        for part in reversed(section_path.split(">")):
            if _key(part) in by_key:
                return frozenset({f"{self.file}>{by_key[_key(part)]}"})
        return frozenset()


def _depths(sections: dict) -> dict[str, int]:
    depth: dict[str, int] = {}
    for sid, s in sections.items():
        hierarchy = s.get("section_hierarchy")
        depth[sid] = len(hierarchy.split(">")) if hierarchy else 1
    return depth


def manual(corpus: Path, file: str, title: str) -> Manual:
    sections = json.loads(corpus.read_text(encoding="utf-8"))
    depth = _depths(sections)
    out = [f"# {title}", ""]
    keyed: list[tuple[str, str]] = []
    for sid, s in sections.items():
        heading = " ".join(s["title"].split()) or "(untitled)"
        out.append("#" * min(6, depth[sid] + 1) + " " + heading)
        out.append("")
        lines = [ln.strip() for ln in s["text"]]
        if lines and lines[0] == s["title"].strip():
            lines = lines[1:]  # the Galaxy corpora repeat the title as the first line
        body = "\n".join(ln for ln in lines if ln)  # one paragraph: PDF lines broken mid-sentence
        out.append(body)
        out.append("")
        keyed.append((heading, _key(body)))
    return Manual(file, "\n".join(out), keyed)


def load(root: Path) -> tuple[dict[str, str], list[Question]]:
    """(file name -> Markdown text, questions). Questions without a gold section in the corpus are left out."""
    manuals = {name: manual(root / rel, name, title) for name, (rel, title) in MANUALS.items()}
    tv, s10 = manuals["samsung-smart-tv.md"], manuals["galaxy-s10.md"]
    rows = [json.loads(line) for line in (root / "smart_tv_remote_qa_all.jsonl").read_text().splitlines() if line]
    originals = {(r["answer"], r["section_path"]): r["question"] for r in rows if "normal_qa" in r["source_file"]}
    questions: list[Question] = []
    for r in rows:
        src = r["source_file"]
        kind = next(k for k in ("normal", "paraphrased", "compound", "yes_no") if f"/{k}_qa" in src)
        gold = tv.gold(r["section_path"], r["answer"])
        if gold:
            original = originals.get((r["answer"], r["section_path"])) if kind == "paraphrased" else None
            questions.append(Question(" ".join(r["question"].split()), gold, kind.replace("_", "/"), original))
    with (root / "s10_50_questions.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            gold = s10.gold(r["section_path"], r["answer"])
            if gold:
                questions.append(Question(" ".join(r["question"].split()), gold, "s10"))
    return {name: m.markdown for name, m in manuals.items()}, questions
