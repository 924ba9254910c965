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


def test_a_user_named_bob_keeps_its_name_from_file_and_environment(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[access]\nusers = { Bob = ["all", "HR"], admin = ["*"] }\n')
    assert load_settings(cfg, environ={}).access.users == {"Bob": ["all", "HR"], "admin": ["*"]}
    s = load_settings(cfg, environ={"ASSISTANT_ACCESS__USERS": '{"Bob": ["all"], "Carol": ["hr"]}'})
    assert s.access.users == {"Bob": ["all"], "Carol": ["hr"]}  # the variable's table replaces the file's
    with pytest.raises(ConfigError) as e:  # a name inside a variable's name would lose its case: refused
        load_settings(cfg, environ={"ASSISTANT_ACCESS__USERS__Bob": '["all"]'})
    assert "ASSISTANT_ACCESS__USERS__Bob" in str(e.value) and "JSON" in str(e.value)


def test_an_invalid_environment_value_is_a_clear_error_naming_the_variable(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[ingest]\nworkers = 2\n")
    cases = {
        "ASSISTANT_INGEST__WORKERS": "many",  # not a number: no silent fallback to a string
        "ASSISTANT_INGEST__DEFAULT_GROUPS": "[staff",  # a list that is not valid JSON
        "ASSISTANT_GENERATION__TEMPERATURE": "9",  # out of range
        "ASSISTANT_EMBEDDING__THREADZ": "2",  # no such key
    }
    for var, value in cases.items():
        with pytest.raises(ConfigError) as e:
            load_settings(cfg, environ={var: value})
        assert f"environment variable {var}" in str(e.value), str(e.value)


def test_settings_alone_do_not_read_the_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING__THREADS", "2")
    assert Settings().embedding.threads == 1  # only load_settings reads the environment


def _invalid_values():
    """For every setting with a bound or a fixed set of choices: (section, key, a value outside them)."""
    import typing

    from annotated_types import Ge, Gt, Le, Lt

    from assistant.core.config import Settings

    cases = []
    for section, field in Settings.model_fields.items():
        for key, info in field.annotation.model_fields.items():
            bounds = {type(m): m for m in info.metadata}
            if Ge in bounds:
                cases.append((section, key, bounds[Ge].ge - 1))
            elif Gt in bounds:
                cases.append((section, key, bounds[Gt].gt - 1))
            elif Le in bounds:
                cases.append((section, key, bounds[Le].le + 1))
            elif Lt in bounds:
                cases.append((section, key, bounds[Lt].lt + 1))
            elif typing.get_origin(info.annotation) is typing.Literal:
                cases.append((section, key, "no-such-choice"))
    return cases


INVALID = _invalid_values()


def test_the_bounded_settings_are_found():
    assert len(INVALID) >= 30 and ("ingest", "workers", 0) in INVALID


@pytest.mark.parametrize(("section", "key", "value"), INVALID, ids=[f"{s}.{k}" for s, k, _ in INVALID])
def test_every_invalid_value_names_its_key_in_the_file_and_in_the_environment(tmp_path, section, key, value):
    cfg = tmp_path / "c.toml"
    literal = f'"{value}"' if isinstance(value, str) else repr(value)
    cfg.write_text(f"[{section}]\n{key} = {literal}\n")
    with pytest.raises(ConfigError) as e:
        load_settings(cfg, environ={})
    message = str(e.value)
    assert f"{section}.{key}" in message and "line 2" in message and message.count("\n") == 1, message
    variable = f"ASSISTANT_{section.upper()}__{key.upper()}"
    with pytest.raises(ConfigError) as e:
        load_settings(None, environ={variable: str(value)})
    assert variable in str(e.value) and f"{section}.{key}" in str(e.value), str(e.value)


def test_short_answer_confidence_is_one_number_or_one_per_language(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[qa]\nshort_answer_min_confidence = { ja = 0.8, en = 0.6 }\n", encoding="utf-8")
    qa = load_settings(cfg, environ={}).qa
    assert (qa.short_answer_confidence("ja"), qa.short_answer_confidence("en")) == (0.8, 0.6)
    assert qa.short_answer_confidence("de") == 1.0  # a language nobody calibrated shows nothing unsure
    qa = load_settings(cfg, environ={"ASSISTANT_QA__SHORT_ANSWER_MIN_CONFIDENCE": "0.7"}).qa
    assert qa.short_answer_confidence("ja") == qa.short_answer_confidence("en") == 0.7
    cfg.write_text("[qa]\nshort_answer_min_confidence = { ja = 1.5 }\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="short_answer_min_confidence"):
        load_settings(cfg, environ={})
