"""Reading one environment variable into a typed value, or a ``SettingsError`` that names the variable."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

PREFIX = "MEDIATION_"


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message names the variable."""


def whole_number(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
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


def one_of(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(PREFIX + name) or default).upper()
    if value not in allowed:
        raise SettingsError(f"{PREFIX}{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (env.get(PREFIX + name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def path_setting(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(PREFIX + name)
    return Path(raw).expanduser() if raw else default
