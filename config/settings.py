"""Typed, frozen settings built by a pure function of the environment.

Every setting has a safe default so that a fresh checkout runs with no configuration: an SQLite database in
WAL mode and key files inside a private instance folder. Production refuses to start with development
shortcuts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from config.care import Care, CareSettingsError, load_care
from config.parsing import PREFIX, SettingsError, flag, one_of, path_setting, whole_number
from config.timing import Mail, Timing, load_mail, load_timing

MEMORY_STORAGE = "memory://"
TRUSTED_HOST = re.compile(r"\.?[a-z0-9-]+(\.[a-z0-9-]+)*")
RATE_LIMIT_STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
MAX_PAGE_SIZE = 500
# The programme's office, shown on the public request form; a deployment sets its own (demo values otherwise).


@dataclass(frozen=True)
class Serving:
    """How ``mediation-web`` serves: where it listens, how it is reached, and how the browser must treat it."""

    host: str
    port: int
    public_url: str | None  # scheme://host[:port], no path; every external link is built from it
    proxy_count: int  # reverse proxies in front whose X-Forwarded-* headers are trusted (ProxyFix)
    trusted_hosts: tuple[str, ...] | None  # Host header values accepted; None accepts any (development only)
    hsts_seconds: int  # 0: no Strict-Transport-Security header
    workers: int
    threads: int
    timeout_seconds: int
    tls_cert: Path | None
    tls_key: Path | None

    @property
    def public_scheme(self) -> str | None:
        return urlsplit(self.public_url).scheme if self.public_url else None

    @property
    def public_host(self) -> str | None:
        """The public URL's host and port as it appears in a URL (``SERVER_NAME``)."""
        return urlsplit(self.public_url).netloc if self.public_url else None


@dataclass(frozen=True)
class RateLimits:
    """Flask-Limiter limits, each a string such as ``10 per 15 minutes`` (several separated by ``;``)."""

    enabled: bool
    storage_url: str
    request_form: str  # per client: the public request form
    sign_in: str  # per client: every sign-in attempt
    sign_in_failures: str  # per client: failed sign-ins
    sign_in_failures_per_account: str  # per client and username: failed sign-ins
    sign_in_failures_global: str  # every client together: failed sign-ins (throttles only clients that fail)
    activation: str  # per client: portal activations
    request_status: str = "20 per hour"  # per client: "check my request" (receipt code and secret)
    calendar_feed: str = "60 per hour"  # per client: a mediator's calendar feed (a GET with a secret token)


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
    serving: Serving
    rate_limits: RateLimits
    two_factor_required_roles: frozenset[str] = frozenset()
    page_size: int = 50
    secret_key_from_env: str | None = None
    keyring_from_env: str | None = None
    care: Care = field(default_factory=lambda: load_care({}))  # support resources, quick exit (config.care)
    timing: Timing = field(default_factory=Timing)  # timers and the worker (config.timing)
    mail: Mail = field(default_factory=Mail)  # outgoing e-mail (config.timing)

    @property
    def programme_phone(self) -> str:
        """The programme office's phone, shown on the public and participant pages (config.care)."""
        return self.care.programme.phone

    @property
    def programme_email(self) -> str:
        return self.care.programme.email

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _limit(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse_many  # Flask-Limiter's own parser: a limit that parses here works there

    value = (env.get(PREFIX + name) or default).strip()
    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be rate limits such as '10 per 15 minutes' (several separated "
                            f"by ';'), got {value!r}") from None
    return value


def _public_url(env: Mapping[str, str]) -> str | None:
    raw = (env.get(PREFIX + "PUBLIC_URL") or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{PREFIX}PUBLIC_URL must be an address such as https://mediation.example.org, "
                            f"got {raw!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username or parts.password:
        raise SettingsError(f"{PREFIX}PUBLIC_URL must be the site's root (scheme and host only: the app is "
                            f"served at the root of its own host name), got {raw!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _trusted_hosts(env: Mapping[str, str], public_url: str | None) -> tuple[str, ...] | None:
    raw = env.get(PREFIX + "TRUSTED_HOSTS")
    if raw:
        hosts = tuple(host.strip().lower() for host in raw.split(","))
        if not all(TRUSTED_HOST.fullmatch(host) for host in hosts):
            raise SettingsError(f"{PREFIX}TRUSTED_HOSTS must be host names (or IPv4 addresses) without scheme or "
                                f"port, separated by commas; '.example.org' also accepts its subdomains; got {raw!r}")
        return hosts
    hostname = urlsplit(public_url).hostname if public_url else None
    return (hostname,) if hostname else None


def _serving(env: Mapping[str, str], environment: str) -> Serving:
    tls_cert, tls_key = env.get(PREFIX + "TLS_CERT") or None, env.get(PREFIX + "TLS_KEY") or None
    if (tls_cert is None) != (tls_key is None):
        raise SettingsError(f"{PREFIX}TLS_CERT and {PREFIX}TLS_KEY go together: set both or neither")
    public_url = _public_url(env)
    return Serving(
        host=env.get(PREFIX + "HOST") or "127.0.0.1",
        port=whole_number(env, "PORT", 5000, minimum=1),
        public_url=public_url,
        proxy_count=whole_number(env, "PROXY_COUNT", 0),
        trusted_hosts=_trusted_hosts(env, public_url),
        hsts_seconds=whole_number(env, "HSTS_SECONDS", 365 * 24 * 3600 if environment == "production" else 0),
        workers=whole_number(env, "WEB_WORKERS", 1, minimum=1),
        threads=whole_number(env, "WEB_THREADS", 8, minimum=1),
        timeout_seconds=whole_number(env, "WEB_TIMEOUT", 60, minimum=1),
        tls_cert=Path(tls_cert).expanduser() if tls_cert else None,
        tls_key=Path(tls_key).expanduser() if tls_key else None,
    )


def _rate_limits(env: Mapping[str, str]) -> RateLimits:
    storage_url = (env.get(PREFIX + "RATELIMIT_STORAGE_URL") or MEMORY_STORAGE).strip()
    if urlsplit(storage_url).scheme not in RATE_LIMIT_STORAGE_SCHEMES:
        raise SettingsError(f"{PREFIX}RATELIMIT_STORAGE_URL must be memory:// or a Redis URL such as "
                            f"redis://127.0.0.1:6379/0, got {storage_url!r}")
    return RateLimits(
        enabled=flag(env, "RATELIMIT_ENABLED", default=True),
        storage_url=storage_url,
        request_form=_limit(env, "RATELIMIT_REQUEST_FORM", "5 per hour; 20 per day"),
        sign_in=_limit(env, "RATELIMIT_SIGN_IN", "30 per minute"),
        sign_in_failures=_limit(env, "RATELIMIT_SIGN_IN_FAILURES", "10 per 15 minutes"),
        sign_in_failures_per_account=_limit(env, "RATELIMIT_SIGN_IN_FAILURES_PER_ACCOUNT", "5 per 15 minutes"),
        sign_in_failures_global=_limit(env, "RATELIMIT_SIGN_IN_FAILURES_GLOBAL", "100 per 15 minutes"),
        activation=_limit(env, "RATELIMIT_ACTIVATION", "10 per hour"),
        request_status=_limit(env, "RATELIMIT_REQUEST_STATUS", "20 per hour"),
        calendar_feed=_limit(env, "RATELIMIT_CALENDAR_FEED", "60 per hour"),
    )
ROLES = ("admin", "mediator", "staff", "participant", "volunteer")
PRODUCTION_TWO_FACTOR_ROLES = "admin,mediator,staff,volunteer"  # the roles that see content or every case's metadata


def _roles(env: Mapping[str, str], name: str, default: str) -> frozenset[str]:
    raw = env.get(PREFIX + name)
    chosen = {part.strip().lower() for part in (default if raw is None else raw).split(",") if part.strip()}
    unknown = sorted(chosen - set(ROLES))
    if unknown:
        raise SettingsError(f"{PREFIX}{name} lists unknown role(s) {', '.join(unknown)}; choose among "
                            f"{', '.join(ROLES)}")
    return frozenset(chosen)


def load_settings(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment) without touching the filesystem."""
    env = os.environ if env is None else env
    base = cwd if cwd is not None else Path.cwd()
    environment = env.get(PREFIX + "ENV", "development")
    if environment not in {"development", "production", "test"}:
        raise SettingsError(f"{PREFIX}ENV must be development, production or test, got {environment!r}")

    instance_dir = path_setting(env, "INSTANCE_DIR", base / "instance")
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
        secret_key_file=path_setting(env, "SECRET_KEY_FILE", instance_dir / "secret.key"),
        audit_signing_key_file=path_setting(env, "AUDIT_SIGNING_KEY_FILE", instance_dir / "audit-signing.key"),
        sqlite_busy_timeout_ms=whole_number(env, "SQLITE_BUSY_TIMEOUT_MS", 5000),
        sqlite_synchronous=one_of(env, "SQLITE_SYNCHRONOUS", "FULL", ("FULL", "NORMAL", "EXTRA")),
        keyring_file=path_setting(env, "KEYRING_FILE", instance_dir / "keyring.json"),
        blob_dir=path_setting(env, "BLOB_DIR", instance_dir / "blobs"),
        video_max_bytes=whole_number(env, "VIDEO_MAX_BYTES", 500_000_000, minimum=1),
        retention_days=whole_number(env, "RETENTION_DAYS", 5 * 365, minimum=1),
        session_idle_minutes=whole_number(env, "SESSION_IDLE_MINUTES", 30, minimum=1),
        cookie_secure=flag(env, "COOKIE_SECURE", default=environment == "production"),
        stale_case_days=whole_number(env, "STALE_CASE_DAYS", 14, minimum=1),
        invitation_hours=whole_number(env, "INVITATION_HOURS", 72, minimum=1),
        serving=_serving(env, environment),
        rate_limits=_rate_limits(env),
        two_factor_required_roles=_roles(env, "TWO_FACTOR_REQUIRED_ROLES",
                                         PRODUCTION_TWO_FACTOR_ROLES if environment == "production" else ""),
        page_size=whole_number(env, "PAGE_SIZE", 50, minimum=1),
        secret_key_from_env=secret,
        keyring_from_env=env.get(PREFIX + "KEYRING") or None,
        care=_care(env),
        timing=load_timing(env),
        mail=load_mail(env),
    )
    if settings.is_production and settings.uses_sqlite and ":memory:" in settings.database_url:
        raise SettingsError("an in-memory database cannot be used in production")
    if settings.page_size > MAX_PAGE_SIZE:
        raise SettingsError(f"{PREFIX}PAGE_SIZE must be at most {MAX_PAGE_SIZE}: lists stay small, got "
                            f"{settings.page_size}")
    if settings.is_production and not settings.cookie_secure:
        raise SettingsError(f"{PREFIX}COOKIE_SECURE cannot be off in production: serve the site over HTTPS")
    if settings.is_production:
        _refuse_audit_key_beside_the_data(settings)
        _refuse_checkpoints_beside_the_data(settings)
    return settings


def _refuse_checkpoints_beside_the_data(settings: Settings) -> None:
    """A checkpoint vouches for the audit log only if whoever can rewrite the instance cannot rewrite it too."""
    folder = settings.timing.checkpoint_dir
    if folder is None:
        return
    where = Path(os.path.abspath(folder))
    if where.is_relative_to(Path(os.path.abspath(settings.instance_dir))):
        raise SettingsError(
            f"{PREFIX}AUDIT_CHECKPOINT_DIR must not be inside the instance folder in production ({where}): write "
            "the checkpoints where whoever can change the database cannot, e.g. a mounted folder of another host")


def _care(env: Mapping[str, str]) -> Care:
    try:
        return load_care(env)
    except CareSettingsError as error:
        raise SettingsError(str(error)) from None


def _require_https_public_url(serving: Serving) -> None:
    if serving.public_url is None:
        raise SettingsError(f"{PREFIX}PUBLIC_URL must be set in production (e.g. https://mediation.example.org): "
                            f"every link the site sends is built from it")
    if serving.public_scheme != "https":
        raise SettingsError(f"{PREFIX}PUBLIC_URL must be an https:// address in production, "
                            f"got {serving.public_url!r}")


def check_worker_settings(settings: Settings) -> None:
    """Refuse to run the worker in production where its e-mail would go astray or travel in the clear: an
    invitation's e-mail carries a working code and the person's address."""
    if not settings.is_production:
        return
    mail = settings.mail
    if not mail.host_given:
        raise SettingsError(f"in production the worker needs {PREFIX}SMTP_HOST (and {PREFIX}SMTP_PORT, "
                            f"{PREFIX}SMTP_SECURITY...) set explicitly: it would otherwise send e-mail to the "
                            "development mail catcher's address")
    if mail.security == "none" and not mail.host_is_loopback:
        raise SettingsError(f"{PREFIX}SMTP_SECURITY must be starttls or tls in production to send through "
                            f"{mail.host}: e-mail must not cross the network in the clear (a relay on this "
                            "machine, 127.0.0.1, may take it without)")
    if settings.timing.lease_seconds < 2 * mail.timeout_seconds:
        raise SettingsError(f"{PREFIX}OUTBOX_LEASE_SECONDS ({settings.timing.lease_seconds}) must be at least twice "
                            f"{PREFIX}SMTP_TIMEOUT ({mail.timeout_seconds}) in production: a lease that ends while a "
                            "worker still waits on the mail server lets another worker send the same e-mail again")
    _require_https_public_url(settings.serving)  # the links in every e-mail


def check_web_settings(settings: Settings) -> None:
    """Refuse to serve the web app in production with settings that would make it unsafe.

    Apart from ``load_settings`` so that the command line, which sends no links and serves nothing, runs in
    production without the web server's settings.
    """
    if not settings.is_production:
        return
    serving, limits = settings.serving, settings.rate_limits
    _require_https_public_url(serving)
    if serving.hsts_seconds == 0:
        raise SettingsError(f"{PREFIX}HSTS_SECONDS cannot be 0 in production: browsers must keep to HTTPS")
    if not limits.enabled:
        raise SettingsError(f"{PREFIX}RATELIMIT_ENABLED cannot be off in production")
    if serving.workers > 1 and limits.storage_url == MEMORY_STORAGE:
        raise SettingsError(f"{PREFIX}RATELIMIT_STORAGE_URL cannot be memory:// with {serving.workers} web workers "
                            f"(each would count apart): use Redis, e.g. redis://127.0.0.1:6379/0, "
                            f"or {PREFIX}WEB_WORKERS=1")
def _refuse_audit_key_beside_the_data(settings: Settings) -> None:
    """Whoever can rewrite the database must not also hold the key that vouches for its history."""
    key = Path(os.path.abspath(settings.audit_signing_key_file))
    places = [Path(os.path.abspath(settings.instance_dir))]
    database = settings.database_url.removeprefix("sqlite:///").split("?", 1)[0]
    if settings.uses_sqlite and database != settings.database_url:
        places.append(Path(os.path.abspath(database)).parent)
    if any(key.is_relative_to(place) for place in places):
        raise SettingsError(
            f"{PREFIX}AUDIT_SIGNING_KEY_FILE must not be inside the instance folder or beside the database in "
            f"production ({key}): keep the audit signing key where whoever can write the database cannot, e.g. a "
            "secret mounted read-only from elsewhere")
