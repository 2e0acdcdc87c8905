"""``mediation-web``: serve the app with gunicorn, configured from the settings (``MEDIATION_WEB_*``).

The same server runs in development (``scripts/run``) and production. Before gunicorn starts, everything that
can be checked is checked once, here, so a mistake is one clear line instead of a worker that fails to boot.
Each worker then builds its own app after the fork (database pools, Redis connections and the limiter's memory
must not be shared between processes). ``wsgi()`` stays for those who run gunicorn or another server themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import gunicorn.http.wsgi
from flask import Flask
from gunicorn.app.base import BaseApplication

from config import Settings, check_web_settings, load_settings
from mediation.errors import InvalidInput
from mediation.failures import describe, one_line
from mediation.runtime import open_runtime
from mediation.schema import database_exists, schema_problem
from web import create_app
from web.limits import limiter_of

# gunicorn names itself in every response's Server header and offers no setting for it; the header is the one
# place it reads this name from (the e2e test checks that no response names gunicorn, Python or Werkzeug).
SERVER_HEADER = "mediation"


class WebServer(BaseApplication):
    """gunicorn embedded: its options come from the settings, its app from ``app_factory`` in each worker."""

    def __init__(self, options: dict[str, Any], app_factory: Callable[[], Flask]) -> None:
        self.options = options
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return self.app_factory()


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    serving = settings.serving
    host = f"[{serving.host}]" if ":" in serving.host else serving.host
    options: dict[str, Any] = {
        "bind": [f"{host}:{serving.port}"],
        "workers": serving.workers,
        "worker_class": "gthread",
        "threads": serving.threads,
        "timeout": serving.timeout_seconds,
        "graceful_timeout": serving.timeout_seconds,
        "proc_name": "mediation-web",
        "errorlog": "-",
        "accesslog": None,  # no log of who asked for which case; the audit log records what people did
        # Forwarded headers are ProxyFix's job, with MEDIATION_PROXY_COUNT: gunicorn must not trust them too.
        "forwarded_allow_ips": "",
        "control_socket_disable": True,  # no control socket in the user's home
    }
    if serving.tls_cert is not None and serving.tls_key is not None:
        options.update(certfile=str(serving.tls_cert), keyfile=str(serving.tls_key))
    return options


def preflight(settings: Settings) -> None:
    """Everything a worker would trip on, checked once with a clear message: settings, files, schema, Redis."""
    check_web_settings(settings)
    serving = settings.serving
    for name, path in (("MEDIATION_TLS_CERT", serving.tls_cert), ("MEDIATION_TLS_KEY", serving.tls_key)):
        if path is not None and not path.is_file():
            raise InvalidInput("%(name)s names %(path)s, which is not a readable file", name=name, path=str(path))
    if settings.is_production and serving.tls_cert is None and serving.proxy_count == 0:
        raise InvalidInput("in production the site is served over HTTPS: set MEDIATION_TLS_CERT and "
                           "MEDIATION_TLS_KEY, or serve it behind a TLS reverse proxy and set "
                           "MEDIATION_PROXY_COUNT to the number of proxies in front of it")
    if not database_exists(settings):
        raise InvalidInput("there is no database yet; run 'mediation init' (or 'mediation demo') first")
    runtime = open_runtime(settings)
    try:
        problem = schema_problem(runtime.engine)
        if problem is not None:
            raise InvalidInput(problem)
        app = create_app(settings, runtime)
        if settings.rate_limits.enabled and not limiter_of(app).storage.check():
            raise InvalidInput("the rate-limit storage %(url)s does not answer",
                               url=str(settings.rate_limits.storage_url))
    finally:
        runtime.close()


def main() -> None:
    try:
        settings = load_settings()
        preflight(settings)
    except Exception as error:  # whatever stops the start (an unreachable database too) is one line
        sys.exit(f"mediation-web: {one_line(describe(error))}")
    gunicorn.http.wsgi.SERVER = SERVER_HEADER
    server = WebServer(gunicorn_options(settings), lambda: create_app(settings))
    serving = settings.serving
    scheme = "https" if serving.tls_cert is not None else "http"
    public = f" for {serving.public_url}/" if serving.public_url else ""
    print(f"Serving on {scheme}://{serving.host}:{serving.port}/{public}  (Ctrl+C to stop)", flush=True)
    server.run()


def wsgi() -> Flask:
    """For a WSGI server of your own: ``gunicorn 'web.server:wsgi()'``."""
    return create_app()
