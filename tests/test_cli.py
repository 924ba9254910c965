"""The admin command line as an admin uses it: exit codes, JSON for scripts, readable errors."""

import json
from pathlib import Path

import pdf_factory as pf
from cli_runner import run_cli as run

from assistant.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_ingest_status_docs_and_exit_codes(tmp_path, samples_copy):
    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n')
    pf.image_pdf(samples_copy / "scan.pdf", pages=1)

    dry = run(config, "ingest", str(samples_copy), "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["counts"]["ingested"] == 6
    assert not (tmp_path / "data" / "kb" / "CURRENT").exists()

    res = run(config, "ingest", str(samples_copy), "--groups", "staff,qa", "--json")
    assert res.returncode == 1, res.stderr  # one file failed, the others are in
    summary = json.loads(res.stdout)
    assert summary["counts"]["ingested"] == 5 and summary["counts"]["failed"] == 1
    failed = next(f for f in summary["files"] if f["status"] == "failed")
    assert failed["label"].startswith("failed: no text layer")

    table = run(config, "ingest", str(samples_copy / "it-helpdesk-guide.pdf"))
    assert table.returncode == 0 and "skipped (unchanged)" in table.stdout

    status = json.loads(run(config, "status", "--json", "--check").stdout)
    assert status["documents"] == 5 and status["chunks"] > 20 and status["problems"] == []
    default = Settings().embedding
    assert (status["embedder"]["backend"], status["embedder"]["model"]) == (default.backend, default.model)
    assert status["embedder"]["dim"] in (384, 512)
    assert status["groups"] == ["qa", "staff"] and status["last_ingestion"]["counts"]["ingested"] == 5

    listed = json.loads(run(config, "docs", "list", "--json").stdout)
    assert {d["name"] for d in listed} >= {"expense-travel-policy.pdf", "onboarding-handbook.docx"}
    shown = run(config, "docs", "show", "expense-travel-policy.pdf", "--chunks", "6")
    assert shown.returncode == 0 and "第1章 総則" in shown.stdout
    removed = run(config, "docs", "remove", "onboarding-handbook.docx", "--yes")
    assert removed.returncode == 0
    assert json.loads(run(config, "status", "--json").stdout)["documents"] == 4
    missing = run(config, "docs", "show", "nope.pdf")
    assert missing.returncode == 2 and "no document matches 'nope.pdf'" in missing.stderr


def test_configuration_errors_are_one_clear_line(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[embedding]\nbackend = "gpt"\n')
    res = run(config, "status")
    assert res.returncode == 2
    assert "embedding.backend" in res.stderr and "line 2" in res.stderr and "Traceback" not in res.stderr


def test_users_are_listed_changed_and_removed_from_the_command_line(tmp_path):
    config = tmp_path / "c.toml"
    users = '[access]\nusers = { admin = ["*"], staff = ["all"] }\n'
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n' + users)
    assert run(config, "users", "set", "Bob", "--groups", "all,hr", "--role", "writer").returncode == 0
    users = {u["name"]: u for u in json.loads(run(config, "users", "list", "--json").stdout)}
    assert users["Bob"] == {"name": "Bob", "role": "writer", "groups": ["all", "hr"], "managed_by": "admin",
                            "has_password": False}
    assert users["admin"]["role"] == "admin" and users["staff"]["managed_by"] == "config"
    kept = run(config, "users", "remove", "staff")
    assert kept.returncode == 2 and "config.toml" in kept.stderr  # config users are removed in the config
    assert run(config, "users", "remove", "Bob").returncode == 0
    assert "Bob" not in run(config, "users", "list").stdout
    bad = run(config, "users", "set", "eve", "--groups", "all", "--role", "boss")
    assert bad.returncode == 2 and "unknown role 'boss'" in bad.stderr
