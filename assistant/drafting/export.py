"""A draft as Markdown and as DOCX (python-docx): title page, one Heading 1 per section, the sources' own
sub-headings as Heading 2, numbered steps, tables, and an appendix of the sources with file and page. The DOCX
uses Word's built-in Title/Heading styles, so `assistant ingest` reads its structure back."""

from __future__ import annotations

import io
from datetime import date

from assistant.drafting.records import Block, Citation, Draft, Section

LABELS = {
    "ja": {
        "purpose": "目的",
        "audience": "対象",
        "style": "文体",
        "draft": "草稿",
        "sources": "出典",
        "needs_input": "要入力",
        "closest": "近い記載",
        "generated": "（要約・自動生成）",
        "made": "作成日",
    },
    "en": {
        "purpose": "Purpose",
        "audience": "Audience",
        "style": "Style",
        "draft": "Draft",
        "sources": "Sources",
        "needs_input": "Needs input",
        "closest": "Closest material",
        "generated": "(summary, generated)",
        "made": "Created",
    },
}


def section_markdown(section: Section, number: int, language: str) -> str:
    """One section as Markdown; the same section always gives the same bytes."""
    labels = LABELS[language]
    lines = [f"## {number}. {section.title}", ""]
    if section.edited is not None:
        lines += [section.edited.strip(), ""]
    elif section.status == "needs_input":
        lines += [f"> **{labels['needs_input']}:** {section.missing}", ""]
        if section.closest:
            lines += [f"> {labels['closest']}: " + "; ".join(c.marker.strip("[]") for c in section.closest), ""]
    elif section.status == "pending":
        lines += ["…", ""]
    for block in section.blocks if section.edited is None else []:
        if block.heading:
            lines += [f"### {block.heading}", ""]
        lines += _block_markdown(block, labels) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _block_markdown(block: Block, labels: dict[str, str]) -> list[str]:
    if block.kind == "table":
        width = max(len(r) for r in block.rows)
        rows = [r + [""] * (width - len(r)) for r in block.rows]
        out = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return out + ([block.table_citation.marker] if block.table_citation else [])
    if block.kind == "steps":
        return [f"{i}. {s.text} {s.citation.marker}" for i, s in enumerate(block.statements, 1)]
    text = " ".join(
        f"{s.text} {s.citation.marker}" + (f" {labels['generated']}" if s.generated else "") for s in block.statements
    )
    return [text]


def used_sources(draft: Draft) -> list[Citation]:
    out: list[Citation] = []
    for section in draft.sections:
        for c in section.citations:
            if c not in out:
                out.append(c)
    return out


def to_markdown(draft: Draft) -> str:
    b, labels = draft.brief, LABELS[draft.brief.language]
    lines = [f"# {b.title}", ""]
    for key in ("purpose", "audience", "style"):
        if getattr(b, key):
            lines.append(f"- **{labels[key]}:** {getattr(b, key)}")
    lines += [f"- **{labels['made']}:** {(draft.updated or str(date.today()))[:10]} ({labels['draft']})", ""]
    for i, section in enumerate(draft.sections, 1):
        lines.append(section_markdown(section, i, b.language))
    sources = used_sources(draft)
    if sources:
        lines += [f"## {labels['sources']}", ""]
        lines += [f"- {c.marker.strip('[]')}" + (f" — {c.section}" if c.section else "") for c in sources]
    return "\n".join(lines).rstrip() + "\n"


def to_docx(draft: Draft) -> bytes:
    import docx
    from docx.enum.text import WD_BREAK

    b, labels = draft.brief, LABELS[draft.brief.language]
    doc = docx.Document()
    doc.core_properties.title = b.title
    doc.add_paragraph(b.title, style="Title")
    for key in ("purpose", "audience", "style"):
        if getattr(b, key):
            doc.add_paragraph(f"{labels[key]}: {getattr(b, key)}")
    doc.add_paragraph(f"{labels['made']}: {(draft.updated or str(date.today()))[:10]} ({labels['draft']})")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for i, section in enumerate(draft.sections, 1):
        doc.add_heading(f"{i}. {section.title}", level=1)
        if section.edited is not None:
            for para in section.edited.strip().split("\n\n"):
                doc.add_paragraph(para.strip())
            continue
        if section.status == "needs_input":
            p = doc.add_paragraph()
            p.add_run(f"{labels['needs_input']}: ").bold = True
            p.add_run(section.missing)
            continue
        for block in section.blocks:
            if block.heading:
                doc.add_heading(block.heading, level=2)
            _block_docx(doc, block, labels)
    sources = used_sources(draft)
    if sources:
        doc.add_heading(labels["sources"], level=1)
        for c in sources:
            doc.add_paragraph(c.marker.strip("[]") + (f" — {c.section}" if c.section else ""), style="List Bullet")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _block_docx(doc, block: Block, labels: dict[str, str]) -> None:  # noqa: ANN001 - python-docx Document
    if block.kind == "table":
        width = max(len(r) for r in block.rows)
        table = doc.add_table(rows=len(block.rows), cols=width)
        table.style = "Table Grid"
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
                if r == 0:
                    for run in table.cell(r, c).paragraphs[0].runs:
                        run.bold = True
        if block.table_citation:
            doc.add_paragraph(block.table_citation.marker)
    elif block.kind == "steps":
        for s in block.statements:
            doc.add_paragraph(f"{s.text} {s.citation.marker}", style="List Number")
    else:
        doc.add_paragraph(
            " ".join(
                f"{s.text} {s.citation.marker}" + (f" {labels['generated']}" if s.generated else "")
                for s in block.statements
            )
        )
