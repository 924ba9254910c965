"""Config: one validated object; bad keys and types are reported with their file line or variable."""

from pathlib import Path

import pytest

from assistant.core.config import Settings, load_settings
from assistant.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_is_valid_and_matches_defaults():
    s = load_settings(ROOT / "config.toml", environ={})
    assert s.embedding == Settings().embedding and s.retrieval == Settings().retrieval
    assert s.paths.data_dir == (ROOT / "data").resolve()


def test_unknown_key_names_key_and_line(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[chunking]\nchunk_tokens = 200\nchunk_tokenz = 5\n")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, environ={})
    assert "chunking.chunk_tokenz" in str(e.value)
    assert "line 3" in str(e.value)


def test_wrong_type_names_key_and_line(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[paths]\ndata_dir = "d"\n\n[embedding]\nbatch_size = "many"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, environ={})
    assert "embedding.batch_size" in str(e.value) and "line 5" in str(e.value)


def test_environment_overrides_file_and_errors_name_the_variable(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[embedding]\nthreads = 1\n")
    s = load_settings(
        cfg, environ={"ASSISTANT_EMBEDDING__THREADS": "2", "ASSISTANT_INGEST__DEFAULT_GROUPS": '["staff"]'}
    )
    assert s.embedding.threads == 2
    assert s.ingest.default_groups == ["staff"]
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, environ={"ASSISTANT_CHUNKING__CHUNK_TOKENS": "tiny"})
    assert "ASSISTANT_CHUNKING__CHUNK_TOKENS" in str(e.value)


def test_relative_paths_are_relative_to_the_config_file(tmp_path, monkeypatch):
    cfg = tmp_path / "conf" / "c.toml"
    cfg.parent.mkdir()
    cfg.write_text('[paths]\ndata_dir = "kbdata"\n')
    monkeypatch.chdir(tmp_path)
    assert load_settings(cfg, environ={}).paths.data_dir == (tmp_path / "conf" / "kbdata").resolve()


def test_invalid_toml_and_cross_field_rules(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[chunking\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg, environ={})
    cfg.write_text("[chunking]\nchunk_tokens = 50\noverlap_tokens = 60\n")
    with pytest.raises(ConfigError, match="overlap_tokens"):
        load_settings(cfg, environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml", environ={})
