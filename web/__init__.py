"""The thin web layer: one blueprint per role. Views parse input, call a service, and render."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request, session
from flask_babel import get_locale

from config import Settings, load_settings
from mediation.keyfiles import read_secret_key
from mediation.runtime import Runtime, open_runtime
from web import admin, auth, forms, health, labels, mediator, portal, public, staff
from web.errors import register_error_handlers
from web.extensions import babel, csrf, login_manager

LANGUAGES = ("en", "fr")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers. No database work happens here."""
    settings = settings or load_settings()
    app = Flask(__name__)
    configure(app, settings)
    app.extensions["mediation.runtime"] = runtime or open_runtime(settings)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_hooks(app)
    return app


def configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=read_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_NAME="mediation_session",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        IDLE_SECONDS=settings.session_idle_minutes * 60,
        MAX_CONTENT_LENGTH=settings.video_max_bytes + 1024 * 1024,
        VIDEO_MAX_BYTES=settings.video_max_bytes,
        STALE_CASE_DAYS=settings.stale_case_days,
        INVITATION_HOURS=settings.invitation_hours,
        WTF_CSRF_TIME_LIMIT=None,  # the session's idle timeout already bounds a form's life
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES="translations",
    )


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def register_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself


def register_blueprints(app: Flask) -> None:
    for blueprint in (public.bp, auth.bp, mediator.bp, portal.bp, staff.bp, admin.bp, health.bp):
        app.register_blueprint(blueprint)


def register_hooks(app: Flask) -> None:
    # First of all hooks (CSRF's included): malformed input never reaches a view, a form parser or the database.
    app.before_request_funcs.setdefault(None, []).insert(0, forms.check_request)
    app.before_request(auth.enforce_idle_timeout)

    @app.before_request
    def permanent_session() -> None:
        session.permanent = True  # the cookie expires with the idle timeout

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"  # these pages hold sensitive content: never cache them
        response.headers["Content-Language"] = str(get_locale() or "en")
        return response

    app.add_template_filter(labels.label, "label")
    app.add_template_filter(labels.event, "event")

    @app.context_processor
    def template_globals() -> dict[str, object]:
        return {"languages": LANGUAGES, "current_language": str(get_locale() or "en")}
