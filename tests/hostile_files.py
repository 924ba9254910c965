"""Hostile files made for the tests, small on disk: a PDF stream and a DOCX part that inflate to about a gigabyte,
deeply nested PDF objects, a 10,000-page PDF, an image that claims 50,000 × 50,000 pixels, files with the wrong
extension, and a DOCX whose image and link point outside (never fetched)."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

GIB_ZEROS = 1 << 30


def _deflated_zeros(size: int) -> bytes:
    comp, chunk = zlib.compressobj(9), b"\0" * (1 << 24)
    out = [comp.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(out) + comp.flush()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (1 is the catalog), with a correct cross-reference table."""
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n")
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % o for o in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_bomb(path: Path) -> Path:
    """One page whose content stream inflates to 1 GiB."""
    stream = _deflated_zeros(GIB_ZEROS)
    path.write_bytes(_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]))
    return path


def nested_pdf(path: Path, depth: int = 200_000) -> Path:
    """A page dictionary holding an array nested `depth` levels deep."""
    path.write_bytes(_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Junk " + b"[" * depth + b"]" * depth + b" >>",
    ]))
    return path


def many_pages_pdf(path: Path, pages: int = 10_000) -> Path:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(612, 792)
    w.write(str(path))
    return path


def huge_image_pdf(path: Path) -> Path:
    """A page showing one image that claims 50,000 × 50,000 RGB pixels (7.5 GB decoded) from a 1 MB stream."""
    data = _deflated_zeros(1 << 27)
    path.write_bytes(_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length 30 >>\nstream\nq 612 0 0 792 0 0 cm /Im0 Do Q\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 50000 /Height 50000 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream",
    ]))
    return path


def docx_bomb(path: Path, template: Path) -> Path:
    """A real DOCX whose document.xml is replaced by one that inflates to about 1 GiB."""
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "word/document.xml":
                dst.writestr(item, src.read(item.filename))
        head = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
        with dst.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(head)
            chunk = b" " * (1 << 24)
            for _ in range(GIB_ZEROS // len(chunk)):
                f.write(chunk)
            f.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return path


def docx_external(path: Path) -> Path:
    """A DOCX with a hyperlink and a linked (not embedded) image pointing at a remote server."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    d = docx.Document()
    d.add_heading("Visitor badges", level=1)
    p = d.add_paragraph("Visitors wear the red badge at all times. See ")
    rid = d.part.relate_to("http://intranet.example.invalid/badges", RT.HYPERLINK, is_external=True)
    d.part.relate_to("http://tracker.example.invalid/pixel.png", RT.IMAGE, is_external=True)
    p.add_run(f"the badge page ({rid}).")
    d.save(str(path))
    return path
