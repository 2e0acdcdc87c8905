"""``mediation-web``: serve the app (the development server; behind a WSGI server in production)."""

from __future__ import annotations

import os

from config import load_settings
from web import create_app


def main() -> None:
    settings = load_settings()
    host = os.environ.get("MEDIATION_HOST", "127.0.0.1")
    port = int(os.environ.get("MEDIATION_PORT", "5000"))
    app = create_app(settings)
    print(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    app.run(host=host, port=port, threaded=True, debug=False, use_reloader=False)


def wsgi() -> object:
    """For a WSGI server: ``gunicorn 'web.server:wsgi()'``."""
    return create_app()
