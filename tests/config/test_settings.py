"""Settings refuse unsafe production setups and never show a secret; dev keeps its own key."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from dme_portal.config import (
    DEFAULT_SECRET,
    ApiSettings,
    AuthSettings,
    DatabaseSettings,
    LogSettings,
    Settings,
    publish_private,
    with_embedded_secret,
    write_private,
)

PG = DatabaseSettings(url="postgresql+asyncpg://hub:pw-in-dsn@db.internal/hub")
KEY = "k" * 48


def test_prod_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="DME_AUTH__SECRET_KEY"):
        Settings(env="prod")


def test_prod_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env="prod", auth=AuthSettings(secret_key="short"))


def test_prod_accepts_a_long_random_secret_on_postgresql() -> None:
    settings = Settings(env="prod", db=PG, auth=AuthSettings(secret_key=KEY))
    assert settings.auth.secret_key == KEY


def test_prod_refuses_sqlite() -> None:
    with pytest.raises(ValidationError, match="PostgreSQL database in prod"):
        Settings(env="prod", auth=AuthSettings(secret_key=KEY))


def test_prod_refuses_sql_echo() -> None:
    echo = DatabaseSettings(url=PG.url, echo=True)
    with pytest.raises(ValidationError, match="DME_DB__ECHO must be off"):
        Settings(env="prod", db=echo, auth=AuthSettings(secret_key=KEY))


def test_dev_may_echo_sql_on_sqlite() -> None:
    assert Settings(env="dev", db=DatabaseSettings(echo=True)).db.echo


class TestSecretsStayOutOfSight:
    def test_repr_shows_neither_the_key_nor_the_dsn(self) -> None:
        settings = Settings(env="prod", db=PG, auth=AuthSettings(secret_key=KEY))
        assert KEY not in repr(settings)
        assert KEY not in str(settings)
        assert "pw-in-dsn" not in repr(settings)

    def test_a_refused_setting_does_not_echo_the_secret(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        short = "short-but-secret-value"
        monkeypatch.setenv("DME_ENV", "prod")
        monkeypatch.setenv("DME_DB__URL", PG.url)
        monkeypatch.setenv("DME_AUTH__SECRET_KEY", short)
        with pytest.raises(ValidationError) as refused:
            Settings()
        assert "DME_AUTH__SECRET_KEY" in str(refused.value)
        assert short not in str(refused.value)
        assert "pw-in-dsn" not in str(refused.value)


class TestProductionDefaults:
    def test_prod_writes_json_logs_and_hides_the_docs(self) -> None:
        settings = Settings(env="prod", db=PG, auth=AuthSettings(secret_key=KEY))
        assert settings.log_format == "json"
        assert not settings.docs_enabled

    def test_dev_writes_text_logs_and_serves_the_docs(self) -> None:
        settings = Settings(env="dev")
        assert settings.log_format == "text"
        assert settings.docs_enabled

    def test_both_can_be_chosen(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DME_LOG__FORMAT", "json")
        monkeypatch.setenv("DME_API__DOCS", "false")
        settings = Settings(env="dev")
        assert settings.log == LogSettings(format="json")
        assert settings.api == ApiSettings(docs=False)
        assert settings.log_format == "json"
        assert not settings.docs_enabled


def test_dev_generates_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = with_embedded_secret(Settings(env="dev", data_dir=tmp_path))
    second = with_embedded_secret(Settings(env="dev", data_dir=tmp_path))
    assert first.auth.secret_key != DEFAULT_SECRET
    assert len(first.auth.secret_key) >= 32
    assert first.auth.secret_key == second.auth.secret_key
    assert (tmp_path / "signing.key").stat().st_mode & 0o077 == 0


class TestPrivateFiles:
    def test_the_key_file_is_private_even_under_a_permissive_umask(self, tmp_path: Path) -> None:
        old = os.umask(0)
        try:
            with_embedded_secret(Settings(env="dev", data_dir=tmp_path))
        finally:
            os.umask(old)
        assert stat.S_IMODE((tmp_path / "signing.key").stat().st_mode) == 0o600
        # No temporary file is left behind.
        assert [p.name for p in tmp_path.iterdir()] == ["signing.key"]

    def test_concurrent_first_starts_agree_on_one_whole_key(self, tmp_path: Path) -> None:
        keys: list[str] = []
        barrier = threading.Barrier(8)

        def start() -> None:
            barrier.wait()
            keys.append(
                with_embedded_secret(Settings(env="dev", data_dir=tmp_path)).auth.secret_key
            )

        threads = [threading.Thread(target=start) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(keys)) == 1
        assert len(keys[0]) >= 32

    def test_publish_private_never_replaces_an_existing_file(self, tmp_path: Path) -> None:
        path = tmp_path / "k"
        publish_private(path, "first")
        publish_private(path, "second")
        assert path.read_text() == "first"

    def test_write_private_narrows_an_existing_file(self, tmp_path: Path) -> None:
        path = tmp_path / "creds.txt"
        path.write_text("old")
        path.chmod(0o644)
        write_private(path, "new")
        assert path.read_text() == "new"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DME_DB__URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("DME_AUTH__ACCESS_TOKEN_MINUTES", "5")
    settings = Settings()
    assert settings.db.url == "postgresql+asyncpg://u@h/db"
    assert settings.auth.access_token_minutes == 5
