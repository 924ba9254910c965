"""The admin's ingestion while staff ask: the progress is reported file by file, questions are answered from
the previous generation until the new one commits, then from the new one — held open with events, not timing."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.ui.conftest import STAFF_KEY
from ui.library import Library, Upload

pytestmark = pytest.mark.slow


def ask(web, question: str) -> dict:
    r = httpx.post(
        web.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {STAFF_KEY}"},
        json={"messages": [{"role": "user", "content": question}]},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_questions_are_answered_from_the_previous_generation_until_the_ingestion_commits(web):
    library = Library(web.service)
    reached, release = threading.Event(), threading.Event()
    ticks: list[tuple[int, int]] = []

    def on_progress(done: int, total: int, name: str) -> None:
        ticks.append((done, total))
        if done == total:  # every file parsed and embedded, the new generation not yet committed
            reached.set()
            assert release.wait(300)

    uploads = [
        Upload("parking-rules.md", b"# Parking\n\nVisitor parking is in lot D, beside the loading bay.\n"),
        Upload("printer-guide.md", b"# Printers\n\nThe colour printer on floor 3 is called Sakura-3F.\n"),
    ]
    done: dict = {}
    run = lambda: done.update(report=library.ingest_uploads(uploads, ["all"], (), on_progress))  # noqa: E731
    worker = threading.Thread(target=run)
    worker.start()
    assert reached.wait(300), f"ingestion never reached its last file: {ticks} {done}"
    generation = web.service.kb.generation
    during = ask(web, "Where is visitor parking?")
    assert all(s["file"] != "parking-rules.md" for s in during["sources"])  # not visible before the commit
    assert web.service.kb.generation == generation
    release.set()
    worker.join(300)
    report, refused = done["report"]
    assert report.ok and not refused and report.counts["ingested"] == 2
    assert ticks[0] == (0, 2) and ticks[-1] == (2, 2) and [d for d, _ in ticks] == [0, 1, 2]
    after = ask(web, "Where is visitor parking?")
    assert after["sources"][0]["file"] == "parking-rules.md" and "lot D" in after["choices"][0]["message"]["content"]
    assert web.service.kb.generation != generation
