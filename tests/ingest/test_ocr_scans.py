"""A scanned manual page, read back by OCR: a sample manual's page rendered to an image-only PDF (no text layer),
ingested through the real command line, found by `search` with its page marked OCR, and read with a measured
character error rate against the page's true text. With `ingest.ocr = "off"` the same file is reported."""

from __future__ import annotations

import json

import pdf_factory as pf
import pypdfium2 as pdfium
import pytest

from assistant.analytics.metrics import character_error_rate
from ingest.loaders.pdf_engines import PdfiumFile
from ingest.ocr import installed_models, ocr_page
from tests.cli_runner import run_cli
from tests.conftest import SAMPLES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not {"jpn", "jpn_vert"} <= installed_models(), reason="Tesseract jpn is not installed"),
]
CASES = {  # language: (sample, page, CER target from the issue, question, words the found chunk must hold)
    "ja": ("expense-travel-policy.pdf", 2, 0.10, "新幹線は普通車指定席ですか", "普通車指定席"),
    "en": ("it-helpdesk-guide.pdf", 1, 0.05, "When is the IT Help Desk open?", "Monday to Friday from 8:30"),
}


@pytest.mark.parametrize("lang", CASES)
def test_a_scanned_page_is_read_within_the_error_target_and_found_by_search(tmp_path, lang):
    sample, page, target, question, expected = CASES[lang]
    scan = pf.scanned_pdf(SAMPLES / sample, tmp_path / f"scan-{lang}.pdf", pages=[page])
    truth = pdfium.PdfDocument(str(SAMPLES / sample))[page - 1].get_textpage().get_text_range()
    image = PdfiumFile(scan, []).render(0, 300, 12_000_000)
    read = ocr_page(image, ["jpn", "eng"], 300)
    cer = character_error_rate(read.text, truth)
    print(f"{lang}: CER {cer:.3f} ({read.model}, confidence {read.confidence:.0f}, {read.seconds:.1f} s)")
    assert cer <= target, read.text

    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    ingest = run_cli(config, "ingest", str(scan), "--json")
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    report = json.loads(ingest.stdout)
    assert report["ocr_pages"] == 1 and report["files"][0]["label"] == "ingested (1 pages by OCR)"
    found = run_cli(config, "search", question, "--json")
    hits = json.loads(found.stdout)
    assert hits and hits[0]["file"] == scan.name and hits[0]["page"] == 1 and hits[0]["ocr"] is True
    assert expected in hits[0]["text"].replace("\n", " ")
    shown = run_cli(config, "docs", "show", scan.name)
    assert "OCR p.1" in shown.stdout and "p.1, OCR" in shown.stdout


def test_with_ocr_off_a_scanned_file_is_reported_not_ingested(tmp_path):
    scan = pf.scanned_pdf(SAMPLES / "it-helpdesk-guide.pdf", tmp_path / "scan.pdf", pages=[1, 2])
    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n[ingest]\nocr = "off"\n', encoding="utf-8")
    ingest = run_cli(config, "ingest", str(scan), "--json")
    assert ingest.returncode == 1
    reason = json.loads(ingest.stdout)["files"][0]["reason"]
    assert reason == "no text layer on any of its 2 pages: scanned or image-only PDF, OCR needed (ingest.ocr is off)"
