"""Settings refuse default secrets outside dev; dev generates and keeps its own key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dme_portal.config import DEFAULT_SECRET, AuthSettings, Settings, with_embedded_secret


def test_prod_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="DME_AUTH__SECRET_KEY"):
        Settings(env="prod")


def test_prod_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env="prod", auth=AuthSettings(secret_key="short"))


def test_prod_accepts_a_long_random_secret() -> None:
    settings = Settings(env="prod", auth=AuthSettings(secret_key="k" * 48))
    assert settings.auth.secret_key == "k" * 48


def test_dev_generates_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = with_embedded_secret(Settings(env="dev", data_dir=tmp_path))
    second = with_embedded_secret(Settings(env="dev", data_dir=tmp_path))
    assert first.auth.secret_key != DEFAULT_SECRET
    assert len(first.auth.secret_key) >= 32
    assert first.auth.secret_key == second.auth.secret_key
    assert (tmp_path / "signing.key").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DME_DB__URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("DME_AUTH__ACCESS_TOKEN_MINUTES", "5")
    settings = Settings()
    assert settings.db.url == "postgresql+asyncpg://u@h/db"
    assert settings.auth.access_token_minutes == 5
