"""Every kind of bad input ends as a clear per-file outcome; one bad file never stops the batch."""

import json

import pdf_factory as pf
import pytest
from conftest import SAMPLES, SHARED_DEV

from assistant.kb import KnowledgeBase


@pytest.fixture
def bad_folder(tmp_path):
    d = tmp_path / "inbox"
    d.mkdir()
    good = pf.text_pdf(d / "good.pdf", ["Forklifts must not exceed 10 km/h inside the warehouse."])
    pf.encrypted_pdf(good, d / "locked.pdf", "s3cret")
    pf.encrypted_pdf(good, d / "empty-password.pdf", "")
    pf.image_pdf(d / "scan.pdf", pages=2)
    pf.image_pdf(d / "mixed.pdf", pages=3, text_pages={2: "Page two has a real text layer about fire doors."})
    pf.garbled_pdf(d / "garbled.pdf")
    pf.broken_pdf(d / "broken.pdf", SAMPLES / "it-helpdesk-guide.pdf")
    (d / "not-a-pdf.pdf").write_text("<html>this is an error page saved as PDF</html>")
    (d / "zero.txt").write_bytes(b"")
    return d


def test_each_bad_file_gets_its_reason_and_the_good_ones_are_ingested(make_ingestor, settings, bad_folder):
    report = make_ingestor().run([bad_folder])
    out = {o.path.rsplit("/", 1)[-1]: o for o in report.outcomes}
    assert out["good.pdf"].status == "ingested"
    assert out["empty-password.pdf"].status == "ingested"  # the empty password is tried
    assert out["locked.pdf"].status == "failed" and out["locked.pdf"].reason.startswith("encrypted")
    # The "scan" is a drawing of lines: OCR runs and finds no text in it, and says so.
    assert out["scan.pdf"].status == "failed" and "no text layer on any of its 2 pages" in out["scan.pdf"].reason
    assert "OCR gave nothing readable (" in out["scan.pdf"].reason
    assert out["mixed.pdf"].status == "ingested"
    assert [w.split(";")[0] for w in out["mixed.pdf"].warnings] == ["page 1: no text layer", "page 3: no text layer"]
    assert out["garbled.pdf"].status == "failed" and "without a Unicode map" in out["garbled.pdf"].reason
    assert out["broken.pdf"].status == "failed" and out["broken.pdf"].reason.startswith("broken PDF")
    assert out["not-a-pdf.pdf"].status == "failed" and "broken PDF" in out["not-a-pdf.pdf"].reason
    assert out["zero.txt"].status == "failed" and "empty" in out["zero.txt"].reason
    assert not report.ok
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert sorted(d.name for d in kb.documents()) == ["empty-password.pdf", "good.pdf", "mixed.pdf"]
    mixed = kb.find_documents("mixed.pdf")[0]
    assert mixed.warnings and kb.chunks_of(mixed.id)[0]["page_start"] == 2


def test_password_option_opens_the_encrypted_pdf(make_ingestor, bad_folder):
    report = make_ingestor().run([bad_folder / "locked.pdf"], passwords=["wrong", "s3cret"])
    assert report.outcomes[0].status == "ingested"


def test_garbled_pages_are_reported_per_page(make_ingestor, tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.append(str(pf.text_pdf(tmp_path / "t.pdf", ["Emergency exits are marked in green."])))
    w.append(str(pf.garbled_pdf(tmp_path / "g.pdf", pages=1)))
    w.write(str(tmp_path / "half.pdf"))
    out = make_ingestor().run([tmp_path / "half.pdf"]).outcomes[0]
    assert out.status == "ingested"
    assert len(out.warnings) == 1 and out.warnings[0].startswith("page 2: pdfium: ")
    assert "unreadable characters" in out.warnings[0] and "OCR gave nothing readable" in out.warnings[0]


def test_huge_files_and_slow_parsers_are_bounded(make_ingestor, settings, tmp_path):
    big = pf.text_pdf(tmp_path / "big.pdf", ["Line of a long manual. " * 8] * 1)
    settings.ingest.max_file_mb = 0.001
    assert "too large" in make_ingestor().run([big]).outcomes[0].reason
    settings.ingest.max_file_mb = 200
    # A parser that never ends (a named hang point, not a file that is merely slow on this machine) is stopped by
    # the time limit, and every file of the batch still gets its outcome.
    stuck = [pf.text_pdf(tmp_path / f"stuck-{i}.pdf", ["A page of the handbook."]) for i in range(3)]
    settings.ingest.file_timeout_s = 1
    settings.faults.crash_at = "parse.hang"
    outcomes = make_ingestor().run(stuck).outcomes
    assert [o.status for o in outcomes] == ["failed"] * 3
    assert all(o.reason.startswith("timed out after 1 s") for o in outcomes), outcomes
    settings.faults.crash_at = ""
    settings.ingest.file_timeout_s = 300
    settings.ingest.max_page_chars = 1000
    long_page = pf.text_pdf(
        tmp_path / "long-page.pdf", [("Keep aisles clear of pallets at all times. " * 2 + "\n") * 40]
    )
    out = make_ingestor().run([long_page]).outcomes[0]
    assert out.status == "ingested" and out.warnings[0].startswith("page 1:") and "cut to 1000" in out.warnings[0]


def test_memory_cap_stops_a_parser_without_stopping_the_batch(make_ingestor, settings, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("Safety first.\n" * 2_000_000)  # ~28 MB of text: decoding and cleaning need far more than 256 MB
    ok = pf.text_pdf(tmp_path / "ok.pdf", ["Helmets are required in zone B."])
    settings.ingest.file_memory_mb = 256
    out = {o.path.rsplit("/", 1)[-1]: o for o in make_ingestor().run([f, ok]).outcomes}
    assert out["notes.txt"].status == "failed" and "memory" in out["notes.txt"].reason
    assert out["ok.pdf"].status == "ingested"


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DEV / "pdf-samples").is_dir(), reason="../shared/data/dev is not present")
def test_every_shared_sample_ends_with_an_outcome(make_ingestor, settings):
    settings.ingest.file_timeout_s = 120
    report = make_ingestor().run([SHARED_DEV / "pdf-samples"])
    summary = json.dumps(report.to_json()["counts"])
    assert report.counts["ingested"] >= 50, summary
    for o in report.outcomes:
        assert o.status in ("ingested", "failed"), o
        if o.status == "failed":
            assert o.reason and not o.reason.startswith("cannot parse"), o  # every failure is a known class
    reasons = " ".join(o.reason or "" for o in report.outcomes)
    assert "encrypted" in reasons and "no text layer" in reasons and "broken PDF" in reasons
    assert KnowledgeBase.open(settings.paths.kb_dir).verify() == []
