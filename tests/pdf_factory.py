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


# --- mojibake, as real Japanese PDFs produce it -------------------------------------------------------------------
def _one_page(content: bytes, filters: bytes = b"") -> list[bytes]:
    """Objects 1-4 of a one-page A4 PDF whose page draws `content` with font /F1 (object 5, the caller's)."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d%s >>\nstream\n" % (len(content), filters) + content + b"\nendstream",
    ]


def _adobe_japan1_cid(ch: str) -> int:
    """Adobe-Japan1 CIDs for the characters these tests use (kana, ASCII, 、。); the published ordering."""
    o = ord(ch)
    if 0x3041 <= o <= 0x3093:  # hiragana ぁ…ん
        return 842 + o - 0x3041
    if 0x30A1 <= o <= 0x30F6:  # katakana ァ…ヶ
        return 925 + o - 0x30A1
    if 0x20 <= o <= 0x7E:  # proportional ASCII
        return o - 31
    return {"\u3000": 633, "、": 634, "。": 635, "ー": 660}[ch]


def cid_font_pdf(path: Path, lines: list[str], vertical: bool = True, wrong_map: bool = False) -> Path:
    """Japanese text in a CID font that is not embedded, Identity-V (vertical columns, right to left) or Identity-H
    encoded: each 2-byte code is an Adobe-Japan1 CID, as DTP software writes it.

    Without a ToUnicode map, PDFium reads it right through its Adobe-Japan1 tables while pypdf returns the CIDs as
    code points, Greek/Coptic-looking mojibake. `wrong_map` adds a ToUnicode map that sends each CID to that same
    wrong code point, so every engine reads mojibake and only the rendered page (OCR) has the text.
    """
    ops = ["BT /F1 18 Tf"]
    for n, line in enumerate(lines):
        codes = "".join(f"{_adobe_japan1_cid(c):04x}" for c in line)
        x, y = (520 - 30 * n, 790) if vertical else (50, 790 - 30 * n)
        ops.append(f"1 0 0 1 {x} {y} Tm <{codes}> Tj")
    ops.append("ET")
    content = zlib.compress(" ".join(ops).encode())
    font = (
        f"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiMin-W3 /Encoding /Identity-{'V' if vertical else 'H'} "
        "/DescendantFonts [6 0 R]" + (" /ToUnicode 8 0 R" if wrong_map else "") + " >>"
    )
    objects = [
        *_one_page(content, b" /Filter /FlateDecode"),
        font.encode(),
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiMin-W3 /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Japan1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /HeiseiMin-W3 /Flags 6 /FontBBox [-123 -257 1001 910] /ItalicAngle 0 "
        b"/Ascent 723 /Descent -241 /CapHeight 709 /StemV 69 >>",
    ]
    if wrong_map:
        cids = sorted({_adobe_japan1_cid(c) for line in lines for c in line})
        pairs = "\n".join(f"<{c:04x}> <{c:04x}>" for c in cids)
        cmap = (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) "
            "/Ordering (UCS) /Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def "
            f"1 begincodespacerange <0000> <FFFF> endcodespacerange {len(cids)} beginbfchar\n{pairs}\nendbfchar "
            "endcmap CMapName currentdict /CMap defineresource pop end end"
        ).encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    path.write_bytes(_assemble(objects))
    return path


def shifted_font_pdf(path: Path, lines: list[str]) -> Path:
    """English drawn in Helvetica with a ToUnicode map that shifts every letter by three ("The" reads "Wkh"), as a
    font with a wrong encoding vector does: the page looks right and its text layer is nonsense."""
    ops = ["BT /F1 16 Tf"]
    for n, line in enumerate(lines):
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"1 0 0 1 60 {780 - 26 * n} Tm ({escaped}) Tj")
    ops.append("ET")
    content = " ".join(ops).encode()
    letters = [c for c in range(0x41, 0x5B)] + [c for c in range(0x61, 0x7B)]

    def shifted(c: int) -> int:
        base = 0x41 if c < 0x61 else 0x61
        return base + (c - base + 3) % 26

    pairs = "\n".join(f"<{c:02x}> <{shifted(c):04x}>" for c in letters)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Shifted def /CMapType 2 def "
        f"1 begincodespacerange <00> <FF> endcodespacerange {len(letters)} beginbfchar\n{pairs}\nendbfchar "
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    objects = [
        *_one_page(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /ToUnicode 6 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    path.write_bytes(_assemble(objects))
    return path


def scanned_pdf(src: Path, dest: Path, pages: list[int] | None = None, dpi: int = 200) -> Path:
    """An image-only copy of `src` (the pages given, 1-based; all by default): each page rendered by PDFium and
    placed as a picture, with no text layer, as a scanner would make it."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader

    doc = pdfium.PdfDocument(str(src))
    c = canvas.Canvas(str(dest), pagesize=A4)
    for no in pages or range(1, len(doc) + 1):
        page = doc[no - 1]
        width, height = page.get_size()
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        c.setPageSize((width, height))
        c.drawImage(ImageReader(image), 0, 0, width=width, height=height)
        c.showPage()
    c.save()
    doc.close()
    return dest


def report_pdf(path: Path) -> Path:
    """A Japanese report laid out the way real ones are (issue 24): a running header and page numbers, an acronym
    defined on one page and used alone on another, a ruled table that runs over a page break (its header only on
    the first page, one cell wrapped), a page set in two columns of prose drawn line across line, a chart
    whose numbers are only in the drawing, and a term whose definition is a footnote."""
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    font = "HeiseiKakuGo-W5"
    c = canvas.Canvas(str(path), pagesize=A4)

    def page_frame(no: int) -> None:
        c.setFont(font, 9)
        c.drawString(60, 810, "総務部 業務改善報告書 2026年度版")
        c.drawString(285, 30, f"- {no} -")
        c.setFont(font, 10.5)

    def lines(y: float, texts: list[str], x: float = 60) -> float:
        for t in texts:
            c.drawString(x, y, t)
            y -= 16
        return y

    def table(top: float, rows: list[list[list[str]]], widths: list[float]) -> float:
        """Rows of cells (each a list of lines), ruled; returns the y below the table."""
        xs = [60]
        for w in widths:
            xs.append(xs[-1] + w)
        y = top
        for row in rows:
            height = 16 * max(len(cell) for cell in row) + 6
            for x0, cell in zip(xs, row, strict=False):
                lines(y - 13, cell, x0 + 4)
            c.line(xs[0], y, xs[-1], y)
            for x in xs:
                c.line(x, y, x, y - height)
            y -= height
        c.line(xs[0], y, xs[-1], y)
        return y

    # p.1: the acronym defined, the table's first rows (with its header)
    page_frame(1)
    y = lines(770, [
        "1 住所データの整備",
        "当部では、アドレス・ベース・レジストリ（ABR）の整備を進めている。ABRは、住所を正しく",
        "表記するための基礎データであり、各部署の顧客台帳と照合して使う。",
        "2 出張手当の一覧",
        "出張手当は次の表のとおり支給する。",
    ])
    rows = [[["区分"], ["支給額"], ["支給日"]],
            [["日帰り出張"], ["1日2,500円"], ["翌月25日"]],
            [["宿泊を伴う出張"], ["1日3,800円"], ["翌月25日"]]]
    rows += [[[f"予備区分{n}"], [f"1日{n},000円"], ["翌月25日"]] for n in range(1, 26)]
    table(y - 10, rows, [150, 150, 150])
    c.showPage()
    # p.2: the rest of the table, no header row; the wrapped cell
    page_frame(2)
    y = table(790, [[["海外出張（アジア）"], ["1日6,000円"], ["帰国後の", "翌月25日"]],
                    [["海外出張（その他）"], ["1日8,500円"], ["翌月25日"]]], [150, 150, 150])
    lines(y - 30, ["表の金額はすべて税込である。"])
    c.showPage()
    # p.3: two columns of prose, drawn line across line
    page_frame(3)
    c.drawString(60, 770, "3 在宅勤務の運用")
    left = ["在宅勤務の申請は、前日の正午までに所属", "長へ行う。申請には勤務場所と連絡先を記",
            "載する。承認は勤怠システムで確認できる", "。緊急時は電話で申請してもよい。"]
    right = ["在宅勤務中の機密文書の持ち出しは禁止す", "る。紙の資料が必要な場合は、総務部に写",
             "しの作成を依頼し、使用後は総務部へ返却", "する。返却の期限は翌営業日とする。"]
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        c.drawString(60, 740 - 16 * i, a)
        c.drawString(320, 740 - 16 * i, b)
    c.showPage()
    # p.4: a chart (numbers only in the drawing, as a picture) and the acronym used alone
    page_frame(4)
    lines(770, ["4 残業時間", "部署別の残業時間の割合を図1に示す。営業部の割合が最も大きい。"])
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    img = Image.new("RGB", (400, 220), "white")
    draw = ImageDraw.Draw(img)
    for i, h in enumerate([150, 90, 60]):
        draw.rectangle([40 + 110 * i, 200 - h, 110 + 110 * i, 200], fill="gray")
        draw.text((50 + 110 * i, 180 - h), f"{h // 3}%", fill="black")
    c.drawImage(ImageReader(img), 60, 480, width=400, height=220)
    lines(460, ["図1 部署別の残業時間の割合", "5 今後の予定", "ABRの整備は2027年3月末までに完了する予定である。"])
    c.showPage()
    # p.5: a term with a footnote mark (digits set small and raised), its note at the foot of the page
    page_frame(5)
    lines(770, ["6 経費精算"])
    c.drawString(60, 754, "経費の精算はスマート精算")
    x = 60 + c.stringWidth("経費の精算はスマート精算", font, 10.5)
    c.setFont(font, 6)
    c.drawString(x, 758, "1")
    c.setFont(font, 10.5)
    c.drawString(x + c.stringWidth("1", font, 6), 754, "で行い、領収書は月末までに経理課へ提出する。")
    c.setFont(font, 5)
    c.drawString(60, 64, "1")
    c.setFont(font, 8)
    c.drawString(63, 62, "経費の申請から承認、振込までを一つの画面で行う社内システム。")
    c.showPage()
    c.save()
    return path
