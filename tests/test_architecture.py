"""The package map holds: dependencies point one way (README, "Architecture"). Every import is read from the
source, those inside functions too, so a lazy import cannot hide a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name.split(".")[0] in ("assistant", "ingest", "ui")}


def modules(package: str) -> list[tuple[str, set[str]]]:
    out = []
    single = (ROOT / package).with_suffix(".py")
    for path in [single] if single.is_file() else sorted((ROOT / package).rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out.append((name, imports_of(path)))
    return out


def within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


# What each part of the core may import from the project (besides itself).
ALLOWED = {
    "assistant.core": (),
    "assistant.kb": ("assistant.core",),
    "assistant.embeddings": ("assistant.core",),
    "assistant.llm": ("assistant.core",),
    "assistant.retrieval": ("assistant.core", "assistant.kb", "assistant.embeddings"),
    "assistant.answering": ("assistant.core", "assistant.kb", "assistant.retrieval", "assistant.llm"),
    "assistant.analytics": ("assistant.core", "assistant.kb", "assistant.services"),
    "assistant.drafting": (
        "assistant.core", "assistant.kb", "assistant.retrieval", "assistant.llm", "assistant.answering"
    ),
    # training feeds the runtime: it reads with the answering step's prompt and span check, scores with analytics'
    # metrics, and distils through the services
    "assistant.tuning": ("assistant.core", "assistant.llm", "assistant.answering", "assistant.analytics.metrics",
                         "assistant.services"),
    "ingest": ("assistant.core", "assistant.kb", "assistant.embeddings"),
    "assistant.page_preview": ("assistant.core",),
    # the web app: thin over the services (and ingest, for the admin's uploads), never the CLI
    "ui": ("assistant.core", "assistant.kb", "assistant.services", "assistant.answering.records",
           "assistant.page_preview", "assistant.analytics.report", "assistant.analytics.report_html", "ingest",
           "assistant.drafting.records", "assistant.drafting.review", "assistant.drafting.export",
           "assistant.drafting.outline"),
}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_lies_beneath_it(package):
    wrong = []
    for name, imported in modules(package.replace(".", "/")):
        for target in imported:
            if not within(target, package, *ALLOWED[package]):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_only_services_drafting_cli_and_ui_reach_the_answering_package():
    wrong = [
        f"{name} imports {target}"
        for package in ("assistant", "ingest", "ui")
        for name, imported in modules(package)
        for target in imported
        if within(target, "assistant.answering")
        and not within(name, "assistant.answering", "assistant.drafting", "assistant.services", "assistant.cli", "ui",
                       "assistant.tuning")
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_outside_the_cli_imports_the_cli_and_only_the_cli_reaches_ingest():
    wrong = []
    for package in ("assistant", "ingest", "ui"):
        for name, imported in modules(package):
            for target in imported:
                if within(target, "assistant.cli") and not within(name, "assistant.cli"):
                    wrong.append(f"{name} imports {target}")
                if within(target, "ingest") and not within(name, "ingest", "assistant.cli", "ui"):
                    wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_imports_inside_functions():
    sample = ROOT / "assistant" / "cli" / "kb_commands.py"
    assert "ingest.pipeline" in imports_of(sample)  # imported lazily, inside a command


def test_only_the_serve_command_reaches_the_web_app_and_the_core_never_does():
    wrong = [
        f"{name} imports {target}"
        for package in ("assistant", "ingest")
        for name, imported in modules(package)
        for target in imported
        if within(target, "ui") and name != "assistant.cli.serve_commands"
    ]
    assert not wrong, "\n".join(wrong)
