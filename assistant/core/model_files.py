"""Where model files are: a configured reference is a local path or 'pkg:<package>' for weights that a
Python package ships (found through the import system, never a hard-coded site-packages path)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from assistant.core.errors import ModelLoadError


def package_root(name: str, setting: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(f"model package '{name}' is not installed (configured as {setting} = 'pkg:{name}')")
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_gguf(ref: str, setting: str = "generation.model") -> Path:
    """A .gguf file from 'pkg:NAME[/FILE]', a file path, or a folder holding exactly one .gguf file."""
    if ref.startswith("pkg:"):
        name, _, file = ref[4:].partition("/")
        path = package_root(name, setting) / file if file else package_root(name, setting)
    else:
        path = Path(ref).expanduser()
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) != 1:
            raise ModelLoadError(
                f"{setting} = '{ref}': the folder {path} holds {len(found)} .gguf files; name the file"
            )
        path = found[0]
    if not path.is_file():
        raise ModelLoadError(f"{setting} = '{ref}': model file not found ({path})")
    return path
