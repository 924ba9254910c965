"""Shared fixtures: isolated settings per test, the real shipped embedder (loaded once), sample paths."""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.answering.records import Answer
from assistant.answering.service import QAService
from assistant.core.config import Settings
from assistant.core.identity import Principal
from assistant.embeddings import BaseEmbedder, load_embedder
from ingest.pipeline import Ingestor

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "manuals"
SHARED_DEV = ROOT.parent / "shared" / "data" / "dev"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", type=int, default=2, help="crashes at random points in the crash soak (default 2)")
    parser.addoption("--soak-seed", type=int, default=None, help="repeat a soak: the seed its failure printed")


@pytest.fixture
def soak(request: pytest.FixtureRequest) -> tuple[int, int]:
    """(trials, seed) for the random crash soak; the seed is fresh each run unless given, and every failure names it."""
    seed = request.config.getoption("--soak-seed")
    return request.config.getoption("--soak"), seed if seed is not None else random.randrange(1 << 30)


@pytest.fixture(scope="session")
def embedder() -> BaseEmbedder:
    return load_embedder(Settings().embedding)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings()
    s.paths.data_dir = tmp_path / "data"
    s.ingest.workers = 2
    return s


class CountingFactory:
    """Hands out the session embedder and counts how often ingestion asked for it."""

    def __init__(self, embedder: BaseEmbedder):
        self.embedder = embedder
        self.calls = 0

    def __call__(self) -> BaseEmbedder:
        self.calls += 1
        return self.embedder


@pytest.fixture
def make_ingestor(settings: Settings, embedder: BaseEmbedder):
    def make(s: Settings | None = None) -> Ingestor:
        factory = CountingFactory(embedder)
        ing = Ingestor(s or settings, factory)
        ing.factory = factory  # type: ignore[attr-defined]
        return ing

    return make


@pytest.fixture
def samples_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample manuals (tests change and delete files in it)."""
    dest = tmp_path / "manuals"
    shutil.copytree(SAMPLES, dest)
    return dest


def shipped_settings(tmp: Path) -> Settings:
    """config.toml as users get it, with its data under `tmp` and no usage log."""
    from assistant.core.config import load_settings

    s = load_settings(ROOT / "config.toml", environ={})
    s.paths.data_dir = tmp / "data"
    s.usage.enabled = False
    return s


@contextmanager
def evidence_service(tmp: Path, corpus: Path, embedder: BaseEmbedder) -> Iterator[QAService]:
    """The Q&A path with the shipped settings over `corpus` (ingested under `tmp`) and a scripted model: the
    evidence is the manuals' text and needs none."""
    from assistant.services import Assistant
    from tests.scripted_models import Scripted

    settings = shipped_settings(tmp)
    assert Ingestor(settings, lambda: embedder).run([corpus]).counts["failed"] == 0
    assistant = Assistant(settings, model=Scripted(""), embedder=embedder)
    try:
        yield QAService(settings, assistant.kb, Scripted(""))
    finally:
        assistant.close()


def ask(service: QAService, question: str) -> Answer:
    """Everything the stream yields, checked to be the final answer's text; the answer."""
    stream = service.ask(question, principal=Principal.everything())
    assert_streamed_is_recorded("".join(stream), stream.answer)
    return stream.answer


def assert_streamed_is_recorded(streamed: str, answer: Answer) -> None:
    """What the user saw is what is recorded. The short answer is the one piece whose place differs: it streams
    after the evidence (which never waits for the model) and the finished answer shows it on top, its sentence
    made bold in the evidence passage already streamed (the UI shows the finished text when the stream ends)."""
    text = answer.text
    if answer.short_answer is not None:
        line, _, text = text.partition("\n\n")
        assert answer.short_answer.text in line
        assert ("\n\n" + line) in streamed
        streamed = streamed.replace("\n\n" + line, "", 1)
        bolded = [m for m in re.finditer(r"\*\*([^*]+)\*\*", text) if m.group(0) not in streamed]
        assert len(bolded) <= 1 and all(answer.short_answer.text in m.group(1) for m in bolded)
        for m in bolded:
            text = text.replace(m.group(0), m.group(1), 1)
    assert streamed.strip() == text


def build_sample_kb(settings: Settings, tmp: Path, embedder: BaseEmbedder, planted: dict[str, str],
                    hr_only: dict[str, str]) -> tuple[Path, Path]:
    """The sample manuals plus `planted` files (every group), and `hr_only` files readable by the hr group only,
    ingested into settings' knowledge base; returns the two folders."""
    corpus = tmp / "manuals"
    shutil.copytree(SAMPLES, corpus)
    for name, text in planted.items():
        (corpus / name).write_text(text, encoding="utf-8")
    ingestor = Ingestor(settings, lambda: embedder)
    assert ingestor.run([corpus]).counts["failed"] == 0
    hr = tmp / "hr"
    hr.mkdir()
    for name, text in hr_only.items():
        (hr / name).write_text(text, encoding="utf-8")
    assert ingestor.run([hr], groups=["hr"]).counts["ingested"] == len(hr_only)
    return corpus, hr
