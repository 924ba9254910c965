"""Render the bundled sample manuals from samples/source/*.md into samples/manuals/.

Each source file is a small Markdown subset (headings, paragraphs, '-' and '1.' lists, '|' tables) with
front matter naming the output: `pdf` (reportlab; Japanese in the text layer through the Adobe-Japan1
CID fonts every PDF reader knows, bookmarks for the headings, a running header and "Page N of M" footer
so that ingestion's header/footer removal has something to do) or `docx` (python-docx, real heading
styles and tables). A source without front matter is copied as Markdown.

    python scripts/make_samples.py            # writes samples/manuals/
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "samples" / "source"
OUT = ROOT / "samples" / "manuals"


@dataclass
class Element:
    kind: str  # heading | para | bullet | number | table
    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)


def parse_source(path: Path) -> tuple[dict[str, str], list[Element]]:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    if text.startswith("---\n"):
        head, text = text[4:].split("\n---\n", 1)
        for line in head.splitlines():
            k, _, v = line.partition(":")
            meta[k.strip()] = v.strip()
    elements: list[Element] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            elements.append(Element("para", " ".join(para)))
            para.clear()

    for line in text.splitlines():
        s = line.strip()
        if not s:
            flush()
        elif m := re.match(r"^(#{1,6})\s+(.*)", s):
            flush()
            elements.append(Element("heading", m.group(2), len(m.group(1)) - 1))
        elif s.startswith("|"):
            flush()
            cells = [c.strip() for c in s.strip("|").split("|")]
            if elements and elements[-1].kind == "table":
                elements[-1].rows.append(cells)
            else:
                elements.append(Element("table", rows=[cells]))
        elif s.startswith("- "):
            flush()
            elements.append(Element("bullet", s[2:]))
        elif m := re.match(r"^(\d+)\.\s+(.*)", s):
            flush()
            elements.append(Element("number", m.group(2), int(m.group(1))))
        else:
            para.append(s)
    flush()
    return meta, elements


def render_pdf(meta: dict[str, str], elements: list[Element], out: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    ja = meta.get("lang") == "ja"
    if ja:
        pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
        pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    body_font, head_font = ("HeiseiMin-W3", "HeiseiKakuGo-W5") if ja else ("Helvetica", "Helvetica-Bold")
    wrap = "CJK" if ja else None
    body = ParagraphStyle("body", fontName=body_font, fontSize=12, leading=21, spaceAfter=8, wordWrap=wrap)
    item = ParagraphStyle("item", parent=body, leftIndent=14, spaceAfter=3)
    cell = ParagraphStyle("cell", parent=body, fontSize=9.5, leading=13, spaceAfter=0)
    heads = [
        ParagraphStyle(
            f"h{i}", fontName=head_font, fontSize=size, leading=size * 1.4, spaceBefore=10, spaceAfter=6, wordWrap=wrap
        )
        for i, size in enumerate((18, 14, 12, 11))
    ]

    class BookmarkedDoc(SimpleDocTemplate):
        def afterFlowable(self, flowable):  # noqa: N802, ANN001 - reportlab hook
            level = getattr(flowable, "outline_level", None)
            if level is not None:
                key = f"h{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=False)

    total_pages = {"n": 0}

    def decorate(canvas, doc):  # noqa: ANN001
        canvas.saveState()
        canvas.setFont(body_font, 8.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, meta.get("header", meta["title"]))
        n = total_pages["n"] or "?"
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"Page {doc.page} of {n}")
        canvas.restoreState()

    def make_story() -> list:
        story: list = []
        for el in elements:
            story.extend(flowables(el))
        return story

    def flowables(el: Element) -> list:
        if el.kind == "heading":
            p = Paragraph(el.text, heads[min(el.level, 3)])
            p.outline_level = el.level  # type: ignore[attr-defined]
            return [p]
        if el.kind == "para":
            return [Paragraph(el.text, body)]
        if el.kind == "bullet":
            return [Paragraph("• " + el.text, item)]
        if el.kind == "number":
            return [Paragraph(f"{el.level}. {el.text}", item)]
        if el.kind == "table":
            data = [[Paragraph(c, cell) for c in row] for row in el.rows]
            t = Table(data, repeatRows=1, hAlign="LEFT", colWidths=[(170 * mm) / len(el.rows[0])] * len(el.rows[0]))
            t.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            return [t, Spacer(1, 8)]
        return []

    def build() -> int:
        doc = BookmarkedDoc(
            str(out),
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=22 * mm,
            bottomMargin=20 * mm,
            title=meta["title"],
            author="Hinode Manufacturing Co., Ltd.",
            creator="scripts/make_samples.py",
        )
        doc.build(make_story(), onFirstPage=decorate, onLaterPages=decorate)
        return doc.page

    total_pages["n"] = build()  # first pass counts pages for the "of N" footer
    build()


def render_docx(meta: dict[str, str], elements: list[Element], out: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = meta["title"]
    document.core_properties.author = "Hinode Manufacturing Co., Ltd."
    for el in elements:
        if el.kind == "heading":
            document.add_heading(el.text, level=el.level)
        elif el.kind == "para":
            document.add_paragraph(el.text)
        elif el.kind == "bullet":
            document.add_paragraph(el.text, style="List Bullet")
        elif el.kind == "number":
            document.add_paragraph(el.text, style="List Number")
        elif el.kind == "table":
            table = document.add_table(rows=len(el.rows), cols=len(el.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(el.rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    document.save(str(out))


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for src in sorted(SOURCE.glob("*.md")):
        meta, elements = parse_source(src)
        kind = meta.get("output", "md")
        out = OUT / f"{src.stem}.{kind}"
        if kind == "pdf":
            render_pdf(meta, elements, out)
        elif kind == "docx":
            render_docx(meta, elements, out)
        else:
            shutil.copyfile(src, out)
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
