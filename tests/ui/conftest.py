"""A real server for the web tests: the shipped config (demo users, demo API key), the sample manuals plus an
HR-only document, the real embedder and the real shipped model, served by uvicorn on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from assistant.core.config import Settings, load_settings
from assistant.services import Assistant
from ingest.pipeline import Ingestor

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "manuals"
HR_ONLY = "# Salary Bands 2026\n\nThe salary band for grade G7 engineers is 6.2 to 7.4 million yen per year.\n"
STAFF_KEY = "sk-da-demo-staff"  # the demo key of config.toml
LOGINS = {"staff": "staff-demo", "admin": "admin-demo", "hr": "hr-demo-1", "writer": "writer-demo"}


@dataclass
class Running:
    url: str
    service: Assistant
    settings: Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web(tmp_path_factory, embedder) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("web")
    settings = load_settings(ROOT / "config.toml", environ={})  # as shipped
    settings.paths.data_dir = tmp / "data"
    corpus = tmp / "manuals"
    shutil.copytree(SAMPLES, corpus)
    ingestor = Ingestor(settings, lambda: embedder)
    assert ingestor.run([corpus]).ok
    (tmp / "hr").mkdir()
    (tmp / "hr" / "salary-bands.md").write_text(HR_ONLY, encoding="utf-8")
    assert ingestor.run([tmp / "hr"], groups=["hr"]).counts["ingested"] == 1
    service = Assistant(settings, embedder=embedder)
    yield from serve(service, settings)


def serve(service: Assistant, settings: Settings) -> Iterator[Running]:
    """`service`'s app on a free loopback port, for as long as the generator is not closed."""
    from ui.server import create_app

    app = create_app(service)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    started = threading.Event()
    original = server.startup

    async def startup(sockets=None):  # noqa: ANN001, ANN202 - told when uvicorn listens, not guessed
        await original(sockets)
        started.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert started.wait(120), "the server did not start"
    yield Running(f"http://127.0.0.1:{port}", service, settings)
    server.should_exit = True
    thread.join(30)
    service.close()
