"""The two PDF engines behind the PDF loader, each for what it does best.

- PDFium (pypdfium2) reads the text: 13x faster than pypdf on the dev PDFs, and right where pypdf is wrong (CID
  fonts with Identity-V/-H encodings and no ToUnicode map, read through PDFium's Adobe-Japan1 tables, come out of
  pypdf as Greek-looking mojibake). It also renders pages for OCR and tells which pages carry images.
- pypdf reads the bookmarks (its outline API resolves destinations reliably), the document information, and is the
  second opinion for a page whose PDFium text is garbled or missing, and for a file PDFium cannot open at all.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfReadError

from assistant.core.errors import DocumentError
from ingest.loaders.pdf_layout import MIN_PATHS, Table, find_tables, header_row, page_text
from ingest.normalize import normalize_text

logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("pdfminer").setLevel(logging.ERROR)
log = logging.getLogger(__name__)

ENCRYPTED = (
    "encrypted: the PDF needs a password (the empty one did not open it); "
    "give it with --password or remove the protection"
)


class PdfiumFile:
    """PDFium's view of one PDF: page text (with its tables, pdf_layout.py), images, rendering."""

    def __init__(self, path: Path, passwords: list[str], tables: bool = True):
        self.path = path
        self.pdf, self.password = _open_pdfium(path, passwords)
        self.tables = tables
        self._plumber: Any = None
        self._last_table: tuple[int, list[str], float] | None = None  # (width, header, bottom share) of the
        # previous page's last table: a table going on at the top of the next page gets its header row again

    def __len__(self) -> int:
        return len(self.pdf)

    def text(self, index: int) -> str:
        """The page's text; pages are expected in order (a table broken over a page keeps its header)."""
        page = self.pdf[index]
        textpage = page.get_textpage()
        try:
            raw = _vertical_text(textpage)
            if raw is None:
                raw = page_text(textpage, self._page_tables(page, index))
        finally:
            textpage.close()
            page.close()
        # PDFium marks a hyphen it thinks soft with U+FFFE/U+0002; lines end in CRLF.
        return raw.replace("\ufffe", "-").replace("\x02", "-").replace("\r\n", "\n")

    def vertical(self, index: int) -> bool | None:
        """True/False when the page's text boxes show its writing direction; None when it has no text boxes."""
        page = self.pdf[index]
        textpage = page.get_textpage()
        try:
            rects = [textpage.get_rect(i) for i in range(textpage.count_rects())]
        finally:
            textpage.close()
            page.close()
        return _mostly_tall(rects) if rects else None

    def has_images(self, index: int) -> bool:
        page = self.pdf[index]
        try:
            return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3))
        finally:
            page.close()

    def render(self, index: int, dpi: int, max_pixels: int) -> Any:
        """The page as a greyscale PIL image at `dpi`, scaled down to at most `max_pixels` pixels."""
        page = self.pdf[index]
        try:
            width, height = page.get_size()  # points
            scale = dpi / 72
            if width * height * scale * scale > max_pixels:
                scale = (max_pixels / (width * height)) ** 0.5
            bitmap = page.render(scale=scale, grayscale=True)
            try:
                return bitmap.to_pil()
            finally:
                bitmap.close()
        finally:
            page.close()

    def _page_tables(self, page: pdfium.PdfPage, index: int) -> list[Table]:
        """Ruled tables of the page (pdfplumber), only on pages that draw lines; [] when tables are off."""
        previous, self._last_table = self._last_table, None
        if not self.tables:
            return []
        if sum(1 for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=3)) < MIN_PATHS:
            return []
        try:
            if self._plumber is None:
                import pdfplumber

                self._plumber = pdfplumber.open(str(self.path), password=self.password or "")
            height = page.get_height()
            tables = sorted(find_tables(self._plumber.pages[index], height), key=lambda t: -t.box[3])
        except Exception as e:  # noqa: BLE001 - pdfminer failing on a file PDFium reads: its text stays
            log.info("%s: no table finding (%s: %s)", self.path.name, type(e).__name__, e)
            self.tables = False
            return []
        if not tables:
            return []
        first, last = tables[0], tables[-1]
        if (previous and first.box[3] > 0.75 * height and previous[2] < 0.3 and first.width == previous[0]
                and header_row(first.rows) != previous[1]):
            first.rows.insert(0, list(previous[1]))  # the header row of the table it continues
        self._last_table = (last.width, header_row(last.rows), last.box[1] / height)
        return tables

    def close(self) -> None:
        if self._plumber is not None:
            self._plumber.close()
        self.pdf.close()


def _vertical_text(textpage: pdfium.PdfTextPage) -> str | None:
    """Text of a page set in vertical columns (tategaki), read right to left, top to bottom; None otherwise.

    PDFium's own order for such a page follows its internal line order, which can put the left column first."""
    rects = [textpage.get_rect(i) for i in range(textpage.count_rects())]
    if not rects or not _mostly_tall(rects):
        return None
    tall = [r for r in rects if _tall(r)]
    widths = sorted(r[2] - r[0] for r in tall)
    column = max(widths[len(widths) // 2], 1.0)
    ordered = sorted(rects, key=lambda r: (-round((r[0] + r[2]) / 2 / column), -r[3]))
    return "\n".join(textpage.get_text_bounded(*r).strip() for r in ordered)


def _tall(rect: tuple[float, float, float, float]) -> bool:
    return (rect[3] - rect[1]) > 2 * (rect[2] - rect[0])


def _mostly_tall(rects: list[tuple[float, float, float, float]]) -> bool:
    return sum(map(_tall, rects)) >= 0.6 * len(rects)


def _open_pdfium(path: Path, passwords: list[str]) -> tuple[pdfium.PdfDocument, str | None]:
    """The document and the password that opened it."""
    last: Exception | None = None
    for password in [None, *passwords]:
        try:
            return pdfium.PdfDocument(str(path), password=password), password
        except pdfium.PdfiumError as e:
            last = e
            if getattr(e, "err_code", None) != pdfium_c.FPDF_ERR_PASSWORD:
                break
    if last is not None and getattr(last, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
        raise DocumentError(ENCRYPTED) from last
    raise DocumentError(f"broken PDF: {last}") from last


class PypdfFile:
    """pypdf's view: bookmarks, document information, and text as a second opinion. Opened only when asked."""

    def __init__(self, path: Path, passwords: list[str]):
        self.path = path
        self.passwords = passwords

    @cached_property
    def reader(self) -> PdfReader:
        try:
            reader = PdfReader(str(self.path), strict=False)
        except (PdfReadError, ValueError, OSError, KeyError, TypeError, AssertionError, RecursionError) as e:
            raise DocumentError(f"broken PDF: {e}") from e
        if reader.is_encrypted:
            for pw in ["", *self.passwords]:
                try:
                    if reader.decrypt(pw):
                        return reader
                except DependencyError as e:
                    raise DocumentError(f"encrypted PDF needs the 'cryptography' package: {e}") from e
                except (PdfReadError, NotImplementedError, ValueError) as e:
                    raise DocumentError(f"encrypted PDF with an unsupported scheme: {e}") from e
            raise DocumentError(ENCRYPTED)
        return reader

    def __len__(self) -> int:
        try:
            return len(self.reader.pages)
        except DocumentError:
            raise
        except Exception as e:  # noqa: BLE001
            raise DocumentError(f"broken PDF: cannot read the page tree ({e})") from e

    def text(self, index: int) -> str:
        return self.reader.pages[index].extract_text() or ""

    def has_images(self, index: int) -> bool:
        try:
            page = self.reader.pages[index]
            resources = page.get("/Resources") or {}
            xobjects = resources.get("/XObject") or {}
            for obj in xobjects.values():
                if obj.get_object().get("/Subtype") in ("/Image", "/Form"):
                    return True
            data = page.get_contents()
            return bool(data is not None and b"BI" in data.get_data())
        except Exception:  # noqa: BLE001
            return False

    def outline(self) -> dict[int, list[tuple[str, int]]]:
        """page index -> [(title, level)] from the bookmarks; malformed outlines are ignored, not fatal."""
        out: dict[int, list[tuple[str, int]]] = {}
        try:
            reader = self.reader

            def walk(items: list[Any], level: int) -> None:
                for item in items:
                    if isinstance(item, list):
                        walk(item, level + 1)
                        continue
                    try:
                        page = reader.get_destination_page_number(item)
                        title = normalize_text(str(item.title or ""))
                    except Exception:  # noqa: BLE001 - broken destinations are common and harmless
                        continue
                    if page is not None and page >= 0 and title:
                        out.setdefault(page, []).append((title, level))

            walk(reader.outline, 0)
        except Exception:  # noqa: BLE001
            return {}
        return out

    def metadata(self) -> dict[str, str]:
        try:
            info = self.reader.metadata or {}
            return {k.lstrip("/").lower(): str(v) for k, v in info.items() if isinstance(v, str | int | float)}
        except Exception:  # noqa: BLE001 - unreadable metadata must not lose the text
            return {}
