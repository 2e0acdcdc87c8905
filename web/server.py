"""``mediation-web``: serve the app (the development server; behind a WSGI server in production)."""

from __future__ import annotations

import os
import sys

from config import SettingsError, load_settings
from mediation.errors import InvalidInput
from mediation.schema import database_exists
from web import create_app
from workflows.errors import DomainError


def main() -> None:
    try:
        settings = load_settings()
        host = os.environ.get("MEDIATION_HOST", "127.0.0.1")
        port = int(os.environ.get("MEDIATION_PORT", "5000"))
        if not database_exists(settings):
            raise InvalidInput("there is no database yet; run 'mediation init' (or 'mediation demo') first")
        app = create_app(settings)
    except (DomainError, SettingsError, ValueError) as error:
        sys.exit(f"mediation-web: {error}")
    print(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    app.run(host=host, port=port, threaded=True, debug=False, use_reloader=False)


def wsgi() -> object:
    """For a WSGI server: ``gunicorn 'web.server:wsgi()'``."""
    return create_app()
