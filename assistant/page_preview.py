"""A PDF page as an image, with the evidence sentence highlighted where it can be found on the page.

PDFium renders the page and gives each character's box. The sentence is located in the page's own text with
whitespace ignored and NFKC applied on both sides (extraction wraps lines and may differ in width of characters);
when the whole sentence is not there, its longest line-sized piece is tried, so a sentence that crosses a page
break still lights up the part on this page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import DocumentError
from assistant.core.sentences import squeezed


@dataclass
class PagePreview:
    image: object  # PIL.Image.Image
    found: bool


def locate(page_text: str, sentence: str) -> tuple[int, int] | None:
    """(first, last+1) character indices of `sentence` in `page_text`, whitespace and width ignored."""
    hay, where = squeezed(page_text)
    sentence = sentence.replace(" | ", " ")  # a table row's cells, as the loader joined them: spaces on the page
    needle, _ = squeezed(sentence)
    lines = sorted((squeezed(line)[0] for line in sentence.splitlines()), key=len, reverse=True)
    for n in [needle, *lines]:
        if len(n) < 8:
            continue
        at = hay.find(n)
        if at >= 0:
            return where[at], where[at + len(n) - 1] + 1
    return None


def render_page(path: Path, page: int, sentences: list[str], scale: float = 1.6) -> PagePreview:
    """Page `page` (1-based) of the PDF at `path`, with `sentences` highlighted in yellow where found."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    if not path.is_file():
        raise DocumentError(f"{path.name}: the file is no longer where it was ingested from")
    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page <= len(pdf):
            raise DocumentError(f"{path.name} has no page {page}")
        p = pdf[page - 1]
        image = p.render(scale=scale).to_pil().convert("RGB")
        height = p.get_height()
        textpage = p.get_textpage()
        text = textpage.get_text_range()
        overlay = image.copy()
        draw = ImageDraw.Draw(overlay)
        found = False
        for sentence in sentences:
            span = locate(text, sentence)
            if span is None:
                continue
            found = True
            for i in range(textpage.count_rects(span[0], span[1] - span[0])):
                left, bottom, right, top = textpage.get_rect(i)
                draw.rectangle(
                    [left * scale, (height - top) * scale, right * scale, (height - bottom) * scale],
                    fill=(255, 230, 0),
                )
        if found:
            from PIL import Image

            image = Image.blend(image, overlay, 0.4)
        return PagePreview(image, found)
    finally:
        pdf.close()
