"""Logic of logins and uploads, without a server: sessions expire, the throttle locks and doubles, passwords are
stored only as argon2 hashes, upload names cannot escape, and the CLI adds users with a prompted password."""

from __future__ import annotations

import sqlite3

import pytest

from assistant.core.config import Settings, UserSeed
from assistant.core.errors import AccessDenied, AssistantError, DocumentError
from assistant.core.identity import UserDirectory
from assistant.core.passwords import api_key_digest, hash_password
from ingest.uploads import check_upload, safe_name, store_upload
from ui.auth import LoginThrottle, Sessions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_lasts_its_lifetime_and_no_longer():
    clock = Clock()
    sessions = Sessions(3600, clock)
    token = sessions.open("staff")
    assert sessions.user(token) == "staff" and sessions.user("forged") is None and sessions.user(None) is None
    clock.now += 3599
    assert sessions.user(token) == "staff"
    clock.now += 2
    assert sessions.user(token) is None
    token = sessions.open("staff")
    sessions.close(token)
    assert sessions.user(token) is None


def test_the_throttle_locks_after_the_allowed_failures_and_doubles_the_wait():
    clock = Clock()
    throttle = LoginThrottle(attempts=3, lockout_s=60, clock=clock)
    for _ in range(2):
        throttle.failed("Staff", "10.0.0.1")
    assert throttle.wait_s("staff", "10.0.0.1") == 0
    throttle.failed("staff", "10.0.0.1")
    assert throttle.wait_s("STAFF", "10.0.0.1") == 60  # names are compared without case
    assert throttle.wait_s("staff", "10.0.0.2") == 0  # another address is not locked out by this one
    clock.now += 61
    for _ in range(3):
        throttle.failed("staff", "10.0.0.1")
    assert throttle.wait_s("staff", "10.0.0.1") == 120
    throttle.succeeded("staff", "10.0.0.1")
    assert throttle.wait_s("staff", "10.0.0.1") == 0


def test_passwords_are_stored_only_as_argon2_hashes(tmp_path):
    directory = UserDirectory(tmp_path / "users.sqlite", {"admin": ["*"]})
    directory.set("carol", ["all"], "writer")
    directory.set_password("carol", "correct horse")
    with sqlite3.connect(tmp_path / "users.sqlite") as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE name = 'carol'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert directory.authenticate("carol", "correct horse").role == "writer"
    assert directory.authenticate("carol", "wrong horse") is None
    assert directory.authenticate("admin", "anything") is None  # no password set: cannot log in at all
    assert directory.authenticate("nobody", "correct horse") is None
    with pytest.raises(AssistantError, match="too short"):
        directory.set_password("carol", "short")


def test_config_users_carry_role_and_hash_and_config_refuses_a_password_in_clear(tmp_path):
    seed = {"w": UserSeed(groups=["all"], role="writer", password_hash=hash_password("writer-pass"))}
    directory = UserDirectory(tmp_path / "users.sqlite", seed)
    assert directory.authenticate("w", "writer-pass").role == "writer"
    with pytest.raises(ValueError, match="argon2"):
        UserSeed(groups=["all"], password_hash="plain-password")
    settings = Settings()
    with pytest.raises(ValueError, match="never in clear"):
        settings.access.api_keys = {"sk-da-plain": "staff"}


def test_api_keys_act_as_their_user_and_only_their_digest_is_kept(tmp_path):
    directory = UserDirectory(tmp_path / "users.sqlite", {"staff": ["all"]}, {api_key_digest("sk-da-cfg"): "staff"})
    assert directory.principal_for_key("sk-da-cfg").name == "staff"
    key = directory.add_api_key("staff", "intranet bot")
    assert directory.principal_for_key(key).groups == frozenset({"all"})
    assert directory.principal_for_key(key + "x") is None
    assert key not in (tmp_path / "users.sqlite").read_bytes().decode("utf-8", "replace")
    directory.set("temp", ["all"])
    temp_key = directory.add_api_key("temp")
    directory.remove("temp")
    assert directory.principal_for_key(temp_key) is None  # a removed user's keys stop working


@pytest.mark.parametrize(
    "given, kept",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\evil.pdf", "evil.pdf"),
        ("経費 規程（改定版）.PDF", "経費_規程_改定版.pdf"),
        (".hidden.md", "hidden.md"),
        ("a/b/c/manual v2.docx", "manual_v2.docx"),
    ],
)
def test_upload_names_keep_only_a_safe_last_component(given, kept):
    assert safe_name(given) == kept


def test_uploads_are_refused_by_type_size_and_emptiness_with_a_clear_reason(tmp_path):
    s = Settings()
    s.paths.data_dir = tmp_path / "data"
    s.server.upload_max_mb = 1
    with pytest.raises(DocumentError, match=r"\.exe files are not accepted"):
        check_upload(s, "setup.exe", 10)
    with pytest.raises(DocumentError, match="the limit is 1 MB"):
        check_upload(s, "big.pdf", 2 * 1024 * 1024)
    with pytest.raises(DocumentError, match="empty"):
        check_upload(s, "empty.md", 0)
    with pytest.raises(DocumentError, match="extension"):
        check_upload(s, "..", 10)
    path = store_upload(s, "../../notes.md", b"# Notes\n")
    assert path == s.paths.uploads_dir.resolve() / "notes.md" and path.read_bytes() == b"# Notes\n"


def test_users_add_prompts_for_the_password_and_refuses_an_existing_user(tmp_path):
    from tests.cli_runner import run_cli

    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    typed = "dana-secret\ndana-secret\n"  # the password, and its confirmation
    r = run_cli(cfg, "users", "add", "dana", "--role", "writer", "--groups", "all,hr", stdin=typed)
    assert r.returncode == 0, r.stdout + r.stderr
    directory = UserDirectory(tmp_path / "data" / "users.sqlite", {})
    assert directory.authenticate("dana", "dana-secret").groups == frozenset({"all", "hr"})
    r = run_cli(cfg, "users", "add", "dana", stdin="x\nx\n")
    assert r.returncode != 0 and "exists" in r.stdout + r.stderr
    with pytest.raises(AccessDenied):
        directory.principal("nobody")


def test_every_admin_handler_of_the_page_refuses_a_non_admin_even_when_called_directly():
    from types import SimpleNamespace

    from assistant.core.identity import Principal
    from ui.views.admin import require_admin

    roles = {"staff": "staff", "writer": "writer", "admin": "admin"}
    service = SimpleNamespace(principal=lambda name: Principal.of(name, ["all"], roles[name]))
    for name in ("staff", "writer"):
        with pytest.raises(AccessDenied, match="not an admin"):
            require_admin(service, SimpleNamespace(username=name))
    with pytest.raises(AccessDenied):
        require_admin(service, SimpleNamespace(username=None))
    require_admin(service, SimpleNamespace(username="admin"))


def test_no_admin_usage_or_drafting_handler_forgets_the_role_check():
    import ast
    from pathlib import Path

    views = Path(__file__).resolve().parents[2] / "ui" / "views"
    unchecked = []
    for name, check in (("admin.py", "require_admin"), ("usage.py", "require_admin"), ("drafting.py", "writer")):
        for node in ast.walk(ast.parse((views / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name != check:
                takes_request = any(a.arg == "request" for a in node.args.args)
                calls = {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
                if takes_request and check not in calls:
                    unchecked.append(f"{name}:{node.name}")
    assert not unchecked, unchecked


def test_drafting_handlers_refuse_staff_even_when_called_directly():
    from types import SimpleNamespace

    from assistant.core.identity import Principal
    from assistant.drafting.service import DraftingService
    from ui.views.drafting import writer

    roles = {"staff": "staff", "writer": "writer", "admin": "admin"}
    service = SimpleNamespace(
        principal=lambda name: Principal.of(name, ["all"], roles[name]),
        drafting=SimpleNamespace(require_writer=DraftingService.require_writer),
    )
    with pytest.raises(AccessDenied, match="writers and admins"):
        writer(service, SimpleNamespace(username="staff"))
    assert writer(service, SimpleNamespace(username="writer")).role == "writer"
