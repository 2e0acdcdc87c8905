"""Settings for every entry point (CLI, web, tests), read from environment variables."""

from config.settings import RateLimits, Serving, Settings, SettingsError, check_web_settings, load_settings

__all__ = ["RateLimits", "Serving", "Settings", "SettingsError", "check_web_settings", "load_settings"]
