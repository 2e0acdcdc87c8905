"""Typed, frozen settings built by a pure function of the environment.

Every setting has a safe default so that a fresh checkout runs with no configuration: an SQLite database in
WAL mode and key files inside a private instance folder. Production refuses to start with development
shortcuts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PREFIX = "MEDIATION_"
MAX_PAGE_SIZE = 500


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    environment: str
    instance_dir: Path
    database_url: str
    secret_key_file: Path
    audit_signing_key_file: Path
    sqlite_busy_timeout_ms: int
    sqlite_synchronous: str
    keyring_file: Path
    blob_dir: Path
    video_max_bytes: int
    retention_days: int
    session_idle_minutes: int
    cookie_secure: bool
    stale_case_days: int
    invitation_hours: int
    page_size: int = 50
    secret_key_from_env: str | None = None
    keyring_from_env: str | None = None

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be at least {minimum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(PREFIX + name) or default).upper()
    if value not in allowed:
        raise SettingsError(f"{PREFIX}{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (env.get(PREFIX + name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(PREFIX + name)
    return Path(raw).expanduser() if raw else default


def load_settings(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment) without touching the filesystem."""
    env = os.environ if env is None else env
    base = cwd if cwd is not None else Path.cwd()
    environment = env.get(PREFIX + "ENV", "development")
    if environment not in {"development", "production", "test"}:
        raise SettingsError(f"{PREFIX}ENV must be development, production or test, got {environment!r}")

    instance_dir = _path(env, "INSTANCE_DIR", base / "instance")
    if not instance_dir.is_absolute():
        instance_dir = base / instance_dir
    database_url = env.get(PREFIX + "DATABASE_URL") or f"sqlite:///{instance_dir / 'mediation.db'}"
    secret = env.get(PREFIX + "SECRET_KEY") or None
    if secret is not None and len(secret) < 32:
        raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters long")

    settings = Settings(
        environment=environment,
        instance_dir=instance_dir,
        database_url=database_url,
        secret_key_file=_path(env, "SECRET_KEY_FILE", instance_dir / "secret.key"),
        audit_signing_key_file=_path(env, "AUDIT_SIGNING_KEY_FILE", instance_dir / "audit-signing.key"),
        sqlite_busy_timeout_ms=_int(env, "SQLITE_BUSY_TIMEOUT_MS", 5000),
        sqlite_synchronous=_choice(env, "SQLITE_SYNCHRONOUS", "FULL", ("FULL", "NORMAL", "EXTRA")),
        keyring_file=_path(env, "KEYRING_FILE", instance_dir / "keyring.json"),
        blob_dir=_path(env, "BLOB_DIR", instance_dir / "blobs"),
        video_max_bytes=_int(env, "VIDEO_MAX_BYTES", 500_000_000, minimum=1),
        retention_days=_int(env, "RETENTION_DAYS", 5 * 365, minimum=1),
        session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30, minimum=1),
        cookie_secure=_flag(env, "COOKIE_SECURE", default=environment == "production"),
        stale_case_days=_int(env, "STALE_CASE_DAYS", 14, minimum=1),
        invitation_hours=_int(env, "INVITATION_HOURS", 72, minimum=1),
        page_size=_int(env, "PAGE_SIZE", 50, minimum=1),
        secret_key_from_env=secret,
        keyring_from_env=env.get(PREFIX + "KEYRING") or None,
    )
    if settings.is_production and settings.uses_sqlite and ":memory:" in settings.database_url:
        raise SettingsError("an in-memory database cannot be used in production")
    if settings.page_size > MAX_PAGE_SIZE:
        raise SettingsError(f"{PREFIX}PAGE_SIZE must be at most {MAX_PAGE_SIZE}: lists stay small, got "
                            f"{settings.page_size}")
    if settings.is_production and not settings.cookie_secure:
        raise SettingsError(f"{PREFIX}COOKIE_SECURE cannot be off in production: serve the site over HTTPS")
    return settings
