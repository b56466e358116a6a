"""Settings: one pydantic-settings object with nested sections, prefix ``DME_``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///./var/dme_portal.db"
    echo: bool = False
    pool_size: int = 10


class AuthSettings(BaseModel):
    secret_key: str = DEFAULT_SECRET
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


class WorkerSettings(BaseModel):
    # None: run the SLA worker inside the API process on SQLite (embedded mode) only.
    in_process: bool | None = None
    interval_seconds: float = Field(default=30, gt=0, le=3600)


class Settings(BaseSettings):
    """All configuration; read from the environment (``DME_DB__URL`` ...)."""

    model_config = SettingsConfigDict(
        env_prefix="DME_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("./var")
    db: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    sla: SlaSettings = SlaSettings()
    worker: WorkerSettings = WorkerSettings()
    attachments: AttachmentSettings = AttachmentSettings()
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
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    key = key_file.read_text().strip()
    return settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"secret_key": key})}
    )


@lru_cache
def get_settings() -> Settings:
    """The process settings, with the embedded signing key resolved."""
    return with_embedded_secret(Settings())
