"""Real PDFs made for the tests: plain, Japanese, encrypted, image-only, garbled (no Unicode map), broken."""

from __future__ import annotations

import zlib
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas


def text_pdf(path: Path, pages: list[str], japanese: bool = False, header: str | None = None) -> Path:
    """One string per page, drawn line by line ("\\n" separates lines)."""
    c = canvas.Canvas(str(path), pagesize=A4)
    font = "Helvetica"
    if japanese:
        pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
        font = "HeiseiKakuGo-W5"
    for no, text in enumerate(pages, start=1):
        c.setFont(font, 11)
        y = 800
        if header:
            c.drawString(60, y, header)
            y -= 30
        for line in text.split("\n"):
            c.drawString(60, y, line)
            y -= 16
        c.drawString(280, 40, f"- {no} -")
        c.showPage()
    c.save()
    return path


def encrypted_pdf(src: Path, dest: Path, user_password: str) -> Path:
    from pypdf import PdfWriter

    w = PdfWriter(clone_from=str(src))
    w.encrypt(user_password=user_password, owner_password="owner-" + user_password, algorithm="AES-256")
    w.write(str(dest))
    return dest


def image_pdf(path: Path, pages: int = 2, text_pages: dict[int, str] | None = None) -> Path:
    """A "scan": every page is one picture and has no text layer, except those given in text_pages."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    img = Image.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(img)
    for i in range(0, 400, 20):
        draw.line([(i, 0), (400 - i, 200)], fill="black", width=2)
    c = canvas.Canvas(str(path), pagesize=A4)
    for no in range(1, pages + 1):
        if text_pages and no in text_pages:
            c.setFont("Helvetica", 11)
            c.drawString(60, 780, text_pages[no])
        else:
            c.drawImage(ImageReader(img), 60, 400, width=400, height=200)
        c.showPage()
    c.save()
    return path


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def garbled_pdf(path: Path, pages: int = 2) -> Path:
    """Text drawn with a composite font (Identity-H) that has no ToUnicode map, as many PDF producers
    emit: the glyph ids cannot be turned back into characters, so extraction yields control codes and junk."""
    glyph_ids = [3, 17, 68, 87, 1, 29, 72, 5, 14, 81, 2, 90, 6, 44, 19, 8] * 6
    line = "".join(f"{g:04x}" for g in glyph_ids)
    content = "BT /F1 12 Tf 60 780 Td " + " ".join(f"<{line}> Tj 0 -16 Td" for _ in range(20)) + " ET"
    stream = zlib.compress(content.encode())
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream + b"\nendstream",
    ]
    first_font = 4 + pages
    for _ in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
            f"/Resources << /Font << /F1 {first_font} 0 R >> >> >>".encode()
        )
    objects.append(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SubsetFont /Encoding /Identity-H "
        f"/DescendantFonts [{first_font + 1} 0 R] >>".encode()
    )
    objects.append(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SubsetFont "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 600 >>"
    )
    path.write_bytes(_assemble(objects))
    return path


def broken_pdf(path: Path, source: Path) -> Path:
    """The first 40% of a real PDF: a download that stopped half-way."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.4)])
    return path
