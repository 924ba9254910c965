"""`assistant users`: who may use the assistant and which documents they read (the user directory)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.core.identity import comma_list

console = Console(highlight=False)
users_app = typer.Typer(help="List and change users, their role and access groups (changes apply at once).")


def _directory(ctx: typer.Context):  # noqa: ANN202
    from assistant.core.identity import UserDirectory

    settings = ctx.obj.settings
    return UserDirectory(settings.paths.users_db, settings.access.users, settings.access.api_keys)


@users_app.command("list")
def list_users(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False
) -> None:
    """Every user with role, groups and whether config.toml or an admin manages it."""
    users = _directory(ctx).users()
    if as_json:
        rows = [
            {"name": u.name, "role": u.role, "groups": u.groups, "managed_by": u.managed_by,
             "has_password": u.has_password}
            for u in users
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="Users")
    for col in ("name", "role", "groups", "web login", "managed by", "changed"):
        table.add_column(col)
    for u in users:
        groups = ", ".join(u.groups) or "(none: sees no document)"
        login = "password set" if u.has_password else "no password"
        table.add_row(u.name, u.role, groups, login, u.managed_by, u.updated_at)
    console.print(table)


@users_app.command("set")
def set_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (case is kept).")],
    groups: Annotated[str, typer.Option("--groups", "-g", help="Comma-separated access groups; '*' = every document.")],
    role: Annotated[str | None, typer.Option("--role", help="staff | writer | admin (default: unchanged).")] = None,
) -> None:
    """Add a user or change one's groups/role; applies to that user's next question."""
    parts = comma_list(groups)
    record = _directory(ctx).set(name, parts, role)
    console.print(f"user {record.name}: role {record.role}, groups {', '.join(record.groups) or '(none)'}")


def _ask_password(name: str) -> str:
    return typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (case is kept).")],
    role: Annotated[str, typer.Option("--role", help="staff | writer | admin.")] = "staff",
    groups: Annotated[str, typer.Option("--groups", "-g", help="Comma-separated access groups; '*' = every document.")]
    = "all",
) -> None:
    """Add a user who logs in to the web app; asks for the password (stored only as an argon2 hash)."""
    from assistant.core.errors import AssistantError
    from assistant.core.passwords import hash_password

    directory = _directory(ctx)
    if directory.get(name) is not None:
        raise AssistantError(f"user '{name}' exists: change it with `users set`, its password with `users passwd`")
    password = _ask_password(name)
    hash_password(password)  # too short a password is refused before the user is created
    parts = comma_list(groups)
    record = directory.set(name, parts, role)
    directory.set_password(name, password)
    console.print(f"user {record.name} added: role {record.role}, groups {', '.join(record.groups) or '(none)'}")


@users_app.command("passwd")
def set_password(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Set a user's password (asked twice, stored only as an argon2 hash)."""
    _directory(ctx).set_password(name, _ask_password(name))
    console.print(f"password of {name} changed")


@users_app.command("api-key")
def api_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user the key acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the key is for.")] = "",
) -> None:
    """Make an API key acting as a user; the key is printed once, only its digest is kept."""
    from assistant.core.passwords import api_key_digest

    key = _directory(ctx).add_api_key(name, label)
    console.print(f"API key for {name} (shown once, keep it secret):\n{key}")
    console.print(f"[dim]its digest, should you prefer config.toml [access.api_keys]: {api_key_digest(key)}[/]")


@users_app.command("hash-password")
def hash_password_command() -> None:
    """Print the argon2 hash of a password, for config.toml [access.users.NAME] password_hash."""
    from assistant.core.passwords import hash_password

    sys.stdout.write(hash_password(_ask_password("the config file")) + "\n")


@users_app.command("remove")
def remove_user(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Remove a user added with `users set` (users from config.toml are removed there)."""
    _directory(ctx).remove(name)
    console.print(f"user {name} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
