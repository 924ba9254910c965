"""OCR of one rendered page with Tesseract (the Debian packages tesseract-ocr, -jpn, -jpn-vert), through pytesseract.

Runs inside the parser's child process, so the file's memory cap applies to Tesseract too (it inherits the
address-space limit) and its time is bounded by the time the file has left.

Vertical Japanese: Tesseract's horizontal `jpn` model reads a vertical page as a few characters at low confidence,
and `jpn_vert` has to be asked for. When the PDF's own text boxes say the page is vertical, it is read so at once.
Otherwise a weak horizontal reading is followed by a vertical probe at half the resolution (a quarter of the
pixels, so a drawing or photo costs little more than one pass), and only a clearly better probe earns the full
vertical reading.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from assistant.core import faults
from assistant.core.errors import DocumentError

_CJK = r"\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}]) +| +(?=[{_CJK}])")
WEAK_CONFIDENCE = 70.0  # below this mean word confidence a Japanese page is also tried as vertical text


@dataclass
class OcrText:
    text: str
    confidence: float  # mean word confidence, 0-100
    model: str  # the Tesseract languages used, e.g. "jpn" or "jpn_vert"
    seconds: float


@cache
def installed_models() -> frozenset[str]:
    if shutil.which("tesseract") is None:
        return frozenset()
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def missing_models(languages: list[str]) -> list[str]:
    have = installed_models()
    return [lang for lang in languages if lang not in have]


def _read(image: Any, model: str, psm: int, timeout_s: float) -> OcrText:
    import pytesseract  # here, not at the top: it brings numpy (+190 MB of address space) into every parser process

    started = time.monotonic()
    if faults.reached("ocr.hang"):  # tests: a real Tesseract process that waits for an image forever
        waiting = subprocess.Popen(["tesseract", "stdin", "stdout"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        waiting.wait()  # its stdin stays open: it never gets the image
    try:
        data = pytesseract.image_to_data(
            image, lang=model, config=f"--psm {psm}", output_type=pytesseract.Output.DICT, timeout=max(1, timeout_s)
        )
    except RuntimeError as e:  # pytesseract's timeout
        raise DocumentError(f"OCR timed out ({e})") from e
    except pytesseract.TesseractError as e:
        raise DocumentError(f"OCR failed: {e.message or e}") from e
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for word, conf, block, par, line in zip(
        data["text"], data["conf"], data["block_num"], data["par_num"], data["line_num"], strict=True
    ):
        if not word.strip():
            continue
        lines.setdefault((block, par, line), []).append(word.strip())
        confidences.append(max(0.0, float(conf)))
    paragraphs: list[list[str]] = []
    last_par: tuple[int, int] | None = None
    for (block, par, _), words in lines.items():
        if (block, par) != last_par:
            paragraphs.append([])
            last_par = (block, par)
        paragraphs[-1].append(_SPACE_NEAR_CJK.sub("", " ".join(words)))
    text = "\n\n".join("\n".join(p) for p in paragraphs)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrText(text, mean, model, time.monotonic() - started)


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isascii() for c in letters) / len(letters) if letters else 0.0


def ocr_page(image: Any, languages: list[str], timeout_s: float, vertical: bool | None = None) -> OcrText:
    """Read one page image. `languages`: Tesseract models; the first reads every page ("jpn" also reads English
    words), "eng" re-reads a page that came out all Latin letters (its case and punctuation are better), "jpn"
    brings in "jpn_vert" for vertical pages. `vertical`: what the PDF's text boxes say of the writing direction,
    None when the page has none."""
    missing = missing_models(languages)
    if missing:
        raise DocumentError(
            f"OCR needs the Tesseract model(s) {', '.join(missing)}: install tesseract-ocr and "
            f"tesseract-ocr-{missing[0].replace('_', '-')} (scripts/setup.sh does), or set ingest.ocr = \"off\""
        )
    deadline = time.monotonic() + timeout_s
    horizontal = (languages[0], 3)
    vertical_model = ("jpn_vert", 5)
    if "jpn" not in languages or "jpn_vert" not in installed_models():
        best = _read(image, *horizontal, timeout_s)
    elif vertical:
        return _read(image, *vertical_model, timeout_s)
    else:
        best = _read(image, *horizontal, timeout_s)
        if vertical is None and best.confidence < WEAK_CONFIDENCE:
            small = image.resize((max(1, image.width // 2), max(1, image.height // 2)))
            probe = _read(small, *vertical_model, deadline - time.monotonic())
            spent = best.seconds + probe.seconds
            if probe.confidence > best.confidence + 10:
                best = _read(image, *vertical_model, deadline - time.monotonic())
                spent += best.seconds
                best.seconds = spent
                return best
            best.seconds = spent
    if best.model != "eng" and "eng" in languages and _latin_share(best.text) >= 0.95:
        english = _read(image, "eng", 3, deadline - time.monotonic())
        english.seconds += best.seconds
        if english.confidence >= best.confidence - 5:
            return english
    return best
