"""Real PDFs the way Japanese companies make them: CID fonts that pypdf reads as mojibake, text layers with a wrong
Unicode map, scanned pages. Each page ends as readable text from PDFium, pypdf or OCR, or as a reason; the engine
of every page is recorded; nothing garbled is indexed."""

from __future__ import annotations

import os
import subprocess
from difflib import SequenceMatcher
from pathlib import Path

import pdf_factory as pf
import pytest
from pypdf import PdfReader

from assistant.core.errors import DocumentError
from ingest.loaders import LoadOptions, load_file
from ingest.ocr import installed_models
from ingest.script_check import garbled_reason

KANA = ["ほけんしょうのさいはっこうは、そうむかにもうしでてください。", "てすうりょうは500えんです。"]
ENGLISH = [
    "The badge office replaces a lost visitor card for a fee",
    "of 500 yen, paid at reception. The office is open from",
    "nine to five on weekdays and closed on public holidays.",
    "Bring your staff number and a photo identity document.",
]
needs_ocr = pytest.mark.skipif(
    not {"jpn", "jpn_vert"} <= installed_models(), reason="Tesseract with jpn and jpn_vert is not installed"
)


def _text(doc) -> str:
    return "\n".join(b.text for b in doc.blocks)


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, "".join(a.split()), "".join(b.split()), autojunk=False).ratio()


@pytest.mark.parametrize("vertical", [True, False])
def test_pdfium_reads_the_cid_font_that_pypdf_turns_into_mojibake(tmp_path, vertical):
    path = pf.cid_font_pdf(tmp_path / "kana.pdf", KANA, vertical=vertical)
    assert garbled_reason(PdfReader(path).pages[0].extract_text()).startswith("mojibake")  # pypdf's reading
    doc = load_file(path, LoadOptions())
    assert _text(doc) == "\n".join(KANA)  # vertical columns in reading order, right to left
    assert doc.metadata["page_engines"] == "P" and doc.warnings == []


@needs_ocr
def test_a_text_layer_with_a_wrong_map_is_caught_and_read_by_ocr_instead(tmp_path):
    path = pf.cid_font_pdf(tmp_path / "wrong-map.pdf", KANA, wrong_map=True)
    doc = load_file(path, LoadOptions())
    assert doc.metadata["page_engines"] == "O"
    assert _similar(_text(doc), "".join(KANA)) >= 0.9, _text(doc)
    assert doc.warnings[0] == "1 of 1 pages read by OCR (jpn_vert)"  # the vertical model, chosen by confidence
    assert "mojibake" in doc.warnings[1] and doc.warnings[1].endswith("read by OCR instead")


@needs_ocr
def test_english_in_a_font_with_a_shifted_encoding_is_read_by_ocr(tmp_path):
    path = pf.shifted_font_pdf(tmp_path / "shifted.pdf", ENGLISH)
    doc = load_file(path, LoadOptions())
    assert doc.metadata["page_engines"] == "O"
    assert _similar(_text(doc), " ".join(ENGLISH)) >= 0.95, _text(doc)
    assert "only 1" in doc.warnings[1] and "vowels" in doc.warnings[1]


@pytest.mark.parametrize("make", ["cid", "shifted"])
def test_with_ocr_off_a_garbled_page_is_reported_never_indexed(tmp_path, make):
    path = (
        pf.cid_font_pdf(tmp_path / "g.pdf", KANA, wrong_map=True)
        if make == "cid"
        else pf.shifted_font_pdf(tmp_path / "g.pdf", ENGLISH)
    )
    with pytest.raises(DocumentError, match=r"garbled text on all 1 pages: .*mojibake.*OCR is off"):
        load_file(path, LoadOptions(ocr="off"))


@needs_ocr
def test_a_garbled_page_between_good_ones_is_replaced_by_ocr_and_the_engines_are_recorded(tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.append(str(pf.text_pdf(tmp_path / "a.pdf", ["Emergency exits are marked in green on every floor."])))
    w.append(str(pf.cid_font_pdf(tmp_path / "b.pdf", KANA, wrong_map=True)))
    w.append(str(pf.image_pdf(tmp_path / "c.pdf", pages=1)))  # a drawing, no text: not text, reported
    w.write(str(tmp_path / "mixed.pdf"))
    doc = load_file(tmp_path / "mixed.pdf", LoadOptions())
    assert doc.metadata["page_engines"] == "PO-"
    assert {b.page for b in doc.blocks} == {1, 2}
    assert any(w.startswith("page 3: no text layer; OCR gave nothing readable (") for w in doc.warnings)


@needs_ocr
def test_a_tesseract_that_never_returns_is_stopped_with_its_file(make_ingestor, settings, tmp_path):
    """`ocr.hang` starts a real Tesseract that waits forever; the file's time limit kills the parser's whole
    process group, so no Tesseract is left running and the batch goes on."""
    scan = pf.scanned_pdf(pf.text_pdf(tmp_path / "t.pdf", ["Fire doors stay closed."]), tmp_path / "scan.pdf")
    good = pf.text_pdf(tmp_path / "good.pdf", ["Forklifts must not exceed 10 km/h inside the warehouse."])
    settings.ingest.file_timeout_s = 20  # ample to reach Tesseract; the hang, not the machine, makes it run out
    settings.faults.crash_at = "ocr.hang"
    outcomes = {Path(o.path).name: o for o in make_ingestor().run([scan, good]).outcomes}
    assert outcomes["scan.pdf"].status == "failed" and outcomes["scan.pdf"].reason.startswith("timed out after 20 s")
    assert outcomes["good.pdf"].status == "ingested"
    left = subprocess.run(["pgrep", "-f", "tesseract stdin stdout"], capture_output=True, text=True).stdout.split()
    assert left == [], f"Tesseract processes left running: {left}"


def test_without_tesseract_an_image_only_page_says_what_to_install(tmp_path, monkeypatch):
    path = pf.scanned_pdf(pf.text_pdf(tmp_path / "t.pdf", ["Fire doors stay closed."]), tmp_path / "scan.pdf")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    installed_models.cache_clear()
    try:
        with pytest.raises(DocumentError, match="install tesseract-ocr"):
            load_file(path, LoadOptions())
    finally:
        installed_models.cache_clear()
    assert os.environ["PATH"].endswith("empty-bin")
