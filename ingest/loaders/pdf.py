"""PDF loader: text per page with its page number, outline titles as headings, and every page's text checked
before it is kept (ingest/script_check.py). A page whose text is missing or garbled gets a second engine, then
OCR, else a warning that says why; nothing garbled is indexed silently. Which engine gave each page is recorded
in the document's metadata (`page_engines`, one letter per page: P PDFium, Y pypdf, O OCR, - none).
"""

from __future__ import annotations

import time
from difflib import SequenceMatcher
from pathlib import Path

from assistant.core.errors import DocumentError
from assistant.core.pages import PAGE_ENGINE_LETTERS
from ingest.document import ParsedDocument
from ingest.loaders.base import BlockBuilder, LoadOptions, heuristic_heading_level
from ingest.loaders.pdf_engines import ENCRYPTED, PdfiumFile, PypdfFile
from ingest.normalize import normalize_text, remove_repeated_lines
from ingest.ocr import ocr_page
from ingest.script_check import garbled_reason


class _PageReader:
    """Chooses, page by page, the text to keep: PDFium, else pypdf, else OCR; and says why when none will do."""

    def __init__(self, path: Path, opts: LoadOptions):
        self.opts = opts
        self.pypdf = PypdfFile(path, opts.passwords)
        self.warnings: list[str] = []
        self.ocr_pages = self.image_only = self.garbled = self.failed = 0
        self.ocr_models: set[str] = set()
        self.ocr_deadline = time.monotonic() + opts.ocr_budget_s
        try:
            self.pdfium: PdfiumFile | None = PdfiumFile(path, opts.passwords, opts.pdf_tables)
        except DocumentError as e:
            if str(e) == ENCRYPTED:
                raise
            self.pdfium = None  # pypdf may still read a file PDFium calls broken
            self.warnings.append(f"PDFium could not open it ({e}); read with pypdf")

    def __len__(self) -> int:
        return len(self.pdfium) if self.pdfium is not None else len(self.pypdf)

    def _text(self, engine: str, i: int) -> tuple[str, str | None]:
        """(text, why it is unusable or None)."""
        source = self.pdfium if engine == "pdfium" else self.pypdf
        try:
            raw = source.text(i)  # type: ignore[union-attr]
        except DocumentError as e:
            return "", str(e)
        except Exception as e:  # noqa: BLE001 - one bad page must not lose the others
            return "", f"text extraction failed ({type(e).__name__}: {e})"
        if len(raw) > self.opts.max_page_chars:
            self.warnings.append(f"page {i + 1}: {len(raw)} characters, cut to {self.opts.max_page_chars}")
            raw = raw[: self.opts.max_page_chars]
        if not raw.strip():
            return "", None
        return raw, garbled_reason(raw, self.opts.garbled_ratio)

    def _has_images(self, i: int) -> bool:
        try:
            if self.pdfium is not None:
                return self.pdfium.has_images(i)
        except Exception:  # noqa: BLE001
            pass
        return self.pypdf.has_images(i)

    def read(self, i: int) -> tuple[str, str | None]:
        """(normalised text, engine) for page i; ("", None) when nothing readable is there."""
        engines = ["pdfium", "pypdf"] if self.pdfium is not None else ["pypdf"]
        problems: list[str] = []
        layer = ""  # the first garbled text layer, kept in case OCR shows the check was wrong
        if self.opts.ocr != "force":
            for engine in engines:
                raw, problem = self._text(engine, i)
                if raw and problem is None:
                    if problems:
                        self.warnings.append(f"page {i + 1}: {problems[0]}; read with {engine} instead")
                    return normalize_text(raw), engine
                if problem:
                    problems.append(f"{engine}: {problem}")
                    layer = layer or raw
        garbled = bool(layer)
        if not problems and not self._has_images(i) and self.opts.ocr != "force":
            return "", None  # a blank page
        if self.opts.ocr == "off":
            if garbled:
                self.garbled += 1
                self.warnings.append(f"page {i + 1}: garbled text ({problems[0]}), skipped; OCR is off")
            elif problems:
                self.failed += 1
                self.warnings.append(f"page {i + 1}: {problems[0]}")
            else:
                self.image_only += 1
                self.warnings.append(f"page {i + 1}: no text layer, OCR needed (ingest.ocr is off)")
            return "", None
        return self._ocr(i, problems, layer)

    def _ocr(self, i: int, problems: list[str], layer: str) -> tuple[str, str | None]:
        left = self.ocr_deadline - time.monotonic()
        why = problems[0] if problems else "no text layer"
        if left <= 1:
            self.image_only += 1
            spent = f"the file's OCR time ({self.opts.ocr_budget_s:.0f} s) is spent"
            self.warnings.append(f"page {i + 1}: {why}; not OCR'd: {spent}")
            return "", None
        try:
            if self.pdfium is None:
                raise DocumentError("PDFium could not open the file to render the page")
            image = self.pdfium.render(i, self.opts.ocr_dpi, self.opts.ocr_max_pixels)
            result = ocr_page(image, self.opts.ocr_languages, left, self.pdfium.vertical(i))
        except MemoryError:
            self.image_only += 1
            self.warnings.append(f"page {i + 1}: {why}; too large to render for OCR within the memory limit")
            return "", None
        except DocumentError as e:
            self.image_only += 1
            self.warnings.append(f"page {i + 1}: {why}; {e}")
            return "", None
        except Exception as e:  # noqa: BLE001 - a page PDFium cannot render is this page's problem only
            self.image_only += 1
            self.warnings.append(f"page {i + 1}: {why}; could not be rendered for OCR ({type(e).__name__}: {e})")
            return "", None
        if layer and _agree(layer, result.text):  # the page shows what its text layer says: the check was wrong
            return normalize_text(layer), "pdfium" if problems[0].startswith("pdfium") else "pypdf"
        problem = garbled_reason(result.text, self.opts.garbled_ratio) if result.text.strip() else "no text found"
        if problem is None and result.confidence < self.opts.ocr_min_confidence:  # a drawing read as letters
            problem = f"confidence {result.confidence:.0f} < {self.opts.ocr_min_confidence:.0f}: not text"
        if problem:
            self.garbled += bool(layer)
            self.image_only += not layer
            self.warnings.append(f"page {i + 1}: {why}; OCR gave nothing readable ({problem})")
            return "", None
        self.ocr_pages += 1
        self.ocr_models.add(result.model)
        if problems:
            self.warnings.append(f"page {i + 1}: {why}; read by OCR instead")
        return normalize_text(result.text), "ocr"

    def close(self) -> None:
        if self.pdfium is not None:
            self.pdfium.close()


def _agree(layer: str, ocr: str) -> bool:
    """The OCR'd page says what the text layer says (80% of characters in order, spaces ignored)."""
    a, b = ("".join(t.split())[:3000] for t in (layer, ocr))
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return bool(a and b) and matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def load_pdf(path: Path, opts: LoadOptions) -> ParsedDocument:
    pages = _PageReader(path, opts)
    try:
        n_pages = len(pages)
        if n_pages == 0:
            raise DocumentError("broken PDF: it has no pages")
        texts: list[str] = []
        engines: list[str | None] = []
        for i in range(n_pages):
            text, engine = pages.read(i)
            texts.append(text)
            engines.append(engine)
    finally:
        pages.close()
    warnings = pages.warnings

    if not any(t.strip() for t in texts):
        if pages.image_only:
            if opts.ocr == "off":
                hint = "OCR needed (ingest.ocr is off)"
            else:  # why OCR did not help, as the first page says it (no readable text, Tesseract missing…)
                hint = warnings[0].split("; ", 1)[-1] if warnings else "OCR found no readable text"
            raise DocumentError(f"no text layer on any of its {n_pages} pages: scanned or image-only PDF, {hint}")
        if pages.garbled:
            raise DocumentError(f"garbled text on all {n_pages} pages: {warnings[0] if warnings else ''}".rstrip(": "))
        if pages.failed:
            raise DocumentError(f"text extraction failed on all {n_pages} pages: {warnings[0]}")
        raise DocumentError(f"no text found on any of its {n_pages} pages")
    if pages.ocr_pages:
        warnings.insert(0, f"{pages.ocr_pages} of {n_pages} pages read by OCR ({', '.join(sorted(pages.ocr_models))})")

    texts, removed = remove_repeated_lines(texts, opts.header_footer_min_pages)
    outline = pages.pypdf.outline()
    builder = BlockBuilder()
    for i, text in enumerate(texts):
        entries = outline.get(i, [])
        stripped = {ln.strip() for ln in text.split("\n")}
        printed = [t for t in entries if any(ln.startswith(t[0]) for ln in stripped if ln)]
        for title, level in entries:  # bookmarks whose title is not printed on the page start it
            if (title, level) not in printed:
                builder.heading(title, level)
        pending = printed
        for line in text.split("\n"):
            match = next((t for t in pending if line.strip() == t[0] or line.strip().startswith(t[0])), None)
            if match is not None:
                # Apply the outline entries before this one on the page, then this one.
                for t in pending[: pending.index(match) + 1]:
                    builder.heading(t[0], t[1])
                pending = pending[pending.index(match) + 1 :]
                if rest := line.strip()[len(match[0]) :].strip():
                    builder.text(rest, i + 1)
                continue
            if not outline and (level := heuristic_heading_level(line)) is not None:
                builder.heading(line, level, page=i + 1)
                continue
            builder.text(line, i + 1)
    builder.flush()

    meta = pages.pypdf.metadata()
    meta["page_engines"] = "".join(PAGE_ENGINE_LETTERS[e] for e in engines)
    if removed:
        meta["removed_headers_footers"] = removed[:20]
    return ParsedDocument(
        format="pdf",
        pages=n_pages,
        paginated=True,
        blocks=builder.blocks,
        title=meta.get("title") if meta.get("title", "").strip().lower() not in ("", "untitled") else None,
        metadata=meta,
        warnings=warnings,
    )
