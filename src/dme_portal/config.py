"""Settings: one pydantic-settings object with nested sections, prefix ``DME_``."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SECRET = "change-me"


class DatabaseSettings(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    # repr=False: a PostgreSQL URL may carry the password.
    url: str = Field(default="sqlite+aiosqlite:///./var/dme_portal.db", repr=False)
    # PostgreSQL: `dme-portal migrate` connects as this role (the owner of the tables) and
    # grants DME_DB__URL's role only what the app needs: no UPDATE, DELETE or ownership of the
    # access log, so the app cannot rewrite the audit trail (docs/SECURITY.md, Database roles).
    # None: migrations run as DME_DB__URL's role, which then owns everything (one role).
    migration_url: str | None = Field(default=None, repr=False)
    echo: bool = False
    pool_size: int = 10

    @field_validator("migration_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _same_database_for_migrations(self) -> DatabaseSettings:
        if self.migration_url is None or self.migration_url == self.url:
            return self
        try:
            runtime, owner = make_url(self.url), make_url(self.migration_url)
        except ArgumentError:
            message = "DME_DB__URL and DME_DB__MIGRATION_URL must be database URLs"
            raise ValueError(message) from None
        if runtime.get_backend_name() != "postgresql" or owner.get_backend_name() != "postgresql":
            raise ValueError("DME_DB__MIGRATION_URL applies to PostgreSQL only (unset it)")
        if runtime.database != owner.database:
            raise ValueError("DME_DB__MIGRATION_URL must name the same database as DME_DB__URL")
        if runtime.username is None or owner.username is None:
            raise ValueError(
                "DME_DB__URL and DME_DB__MIGRATION_URL must name their users (the roles)"
            )
        return self

    @property
    def migration_dsn(self) -> str:
        """The URL that migrations connect with: the owner's, or the app's own."""
        return self.migration_url or self.url

    @property
    def runtime_role(self) -> str | None:
        """The app's role when migrations run as another one, to be granted by the migrate step."""
        if self.migration_url is None:
            return None
        runtime, owner = make_url(self.url).username, make_url(self.migration_url).username
        return runtime if runtime != owner else None


class AuthSettings(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    secret_key: str = Field(default=DEFAULT_SECRET, repr=False)
    algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    issuer: str = "urn:dme-portal"
    audience: str = "dme-portal-api"
    # Short-lived (issue 15): a stolen token is useful for at most this long, and a revoked
    # or deactivated one is refused at once anyway (see revocation_refresh_seconds).
    access_token_minutes: int = Field(default=15, ge=1, le=15)
    # How stale the in-process revocation cache (revoked jtis, deactivated accounts) may be
    # before a request reloads it from the database: the bound for other processes' changes.
    revocation_refresh_seconds: float = Field(default=2.0, gt=0, le=60)


class SlaSettings(BaseModel):
    default_turnaround_hours: int = Field(default=72, ge=1, le=24 * 30)
    at_risk_fraction: float = Field(default=1 / 6, gt=0, lt=1)


class AttachmentSettings(BaseModel):
    # The bytes are read into memory and stored in a database row, so the ceiling stays modest.
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=100 * 1024 * 1024)


class LimitSettings(BaseModel):
    """Request size limits and throttles (issue 15 point 4)."""

    # JSON and form bodies, refused with 413 before they are parsed; uploads have their own.
    max_json_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    # POST /v1/auth/token: failed attempts per account (username or client_id, known or not)
    # within the window; reaching it locks the account for lockout_minutes.
    token_failures_per_account: int = Field(default=10, ge=1, le=1000)
    # ...and per client address within the window (answered 429 until the window ends).
    token_failures_per_address: int = Field(default=50, ge=1, le=1_000_000)
    token_failure_window_seconds: int = Field(default=60, ge=1, le=24 * 3600)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)

    # Member lookups (eligibility, coverage checks) per caller (subject and organisation) in
    # any sliding minute, counted from the access log: a guard against CIN enumeration.
    member_lookups_per_minute: int = Field(default=120, ge=1, le=100_000)


class WorkerSettings(BaseModel):
    # None: run the SLA worker inside the API process on SQLite (embedded mode) only.
    in_process: bool | None = None
    interval_seconds: float = Field(default=30, gt=0, le=3600)


class LogSettings(BaseModel):
    # None: JSON lines in prod, readable text elsewhere.
    format: Literal["text", "json"] | None = None
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class ApiSettings(BaseModel):
    # None: /docs, /redoc and /openapi.json are served outside prod and answer 404 in prod.
    docs: bool | None = None


class Settings(BaseSettings):
    """All configuration; read from the environment (``DME_DB__URL`` ...)."""

    model_config = SettingsConfigDict(
        env_prefix="DME_",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
        # A refused setting must not echo the value it refused (the signing key, a DSN).
        hide_input_in_errors=True,
    )

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("./var")
    db: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    sla: SlaSettings = SlaSettings()
    worker: WorkerSettings = WorkerSettings()
    attachments: AttachmentSettings = AttachmentSettings()
    log: LogSettings = LogSettings()
    api: ApiSettings = ApiSettings()
    limits: LimitSettings = LimitSettings()

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.env == "prod" and (
            self.auth.secret_key == DEFAULT_SECRET or len(self.auth.secret_key) < 32
        ):
            raise ValueError(
                "DME_AUTH__SECRET_KEY must be set to a random value of at least 32 characters "
                "outside dev mode"
            )
        return self

    @model_validator(mode="after")
    def _enforce_production_database(self) -> Settings:
        if self.env == "prod" and self.is_sqlite:
            raise ValueError("DME_DB__URL must name a PostgreSQL database in prod, not SQLite")
        if self.env == "prod" and self.db.echo:
            # Echoed SQL goes to the logs; prod logs carry no statements about members.
            raise ValueError("DME_DB__ECHO must be off in prod")
        return self

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def log_format(self) -> Literal["text", "json"]:
        return self.log.format or ("json" if self.is_prod else "text")

    @property
    def docs_enabled(self) -> bool:
        return (not self.is_prod) if self.api.docs is None else self.api.docs

    @property
    def is_sqlite(self) -> bool:
        return self.db.url.startswith("sqlite")

    @property
    def worker_in_process(self) -> bool:
        return self.is_sqlite if self.worker.in_process is None else self.worker.in_process


def with_embedded_secret(settings: Settings) -> Settings:
    """In dev mode, replace the default secret by a random key kept in the data directory."""
    if settings.auth.secret_key != DEFAULT_SECRET or settings.env == "prod":
        return settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key_file = settings.data_dir / "signing.key"
    if not key_file.exists():
        publish_private(key_file, secrets.token_urlsafe(48))
    key = key_file.read_text().strip()
    return settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"secret_key": key})}
    )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file that is readable by its owner only from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)  # an older file may have been made with a wider mode
        f.write(text)


def publish_private(path: Path, text: str) -> None:
    """Create ``path`` (mode 0600) holding ``text`` unless it exists; never a half-written file.

    The text goes to a fresh private file first (``O_EXCL``), which is then hard-linked into
    place: a concurrent first start either publishes its key or finds the other one's, whole.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@lru_cache
def get_settings() -> Settings:
    """The process settings, with the embedded signing key resolved."""
    return with_embedded_secret(Settings())
