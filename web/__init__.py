"""The thin web layer: one blueprint per role. Views parse input, call a service, and render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response, request, session
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings, check_web_settings, load_settings
from mediation.keyfiles import read_secret_key
from mediation.languages import DEFAULT_LANGUAGE, LANGUAGES, SPOKEN, supported
from mediation.runtime import Runtime, open_runtime
from web import (
    account,
    activities,  # noqa: F401 - adds its routes to the mediator's blueprint
    admin,
    auth,
    calendar_feed,  # noqa: F401 - adds the calendar feed to the public blueprint
    circles,
    dialogue,  # noqa: F401 - needs, agreements, closing and letters join the mediator's and the portal's blueprints
    directory,
    forms,
    health,
    labels,
    mediator,
    mediator_care,  # noqa: F401 - adds its routes to the mediator's blueprint
    meetings,  # noqa: F401 - face-to-face meetings, on the mediator's blueprint
    notifications,  # noqa: F401 - notification settings (account, portal) and the outbox page (coordinator)
    people,  # noqa: F401 - adds its routes to the mediator's and the portal's blueprints
    portal,
    portal_care,  # noqa: F401 - adds its routes to the portal's blueprint
    portal_evaluation,  # noqa: F401 - adds its routes to the portal's blueprint
    public,
    referrals,
    safety,  # noqa: F401 - its views join the mediator's and the portal's blueprints
    staff,
    statistics,  # noqa: F401 - adds its routes to the coordinator's blueprint
    timers,  # noqa: F401 - reminders on the mediator's blueprint, every timer on the coordinator's
    training,
    two_factor,
)
from web.back import here
from web.errors import register_error_handlers
from web.extensions import babel, csrf, login_manager
from web.limits import install_limits
from web.words import say

MAX_FORM_BYTES = 1024 * 1024


class MediationApp(Flask):
    """Flask, except that an external link (``url_for(..., _external=True)``, e.g. an invitation link) is built
    from the configured public URL, scheme included, never from what the request says about itself."""

    def url_for(self, endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values: Any) -> str:
        if _external and _scheme is None and self.config["SERVER_NAME"]:
            _scheme = self.config["PREFERRED_URL_SCHEME"]
        return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external,
                               **values)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers. No database work happens here."""
    settings = settings or load_settings()
    check_web_settings(settings)
    app = MediationApp(__name__)
    configure(app, settings)
    app.extensions["mediation.runtime"] = runtime or open_runtime(settings)
    register_extensions(app)
    register_blueprints(app)
    install_limits(app, settings.rate_limits)  # wraps views by endpoint, so after the blueprints
    register_error_handlers(app)
    register_hooks(app)
    trust_proxies(app, settings.serving.proxy_count)
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
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,  # raised on the video upload route only (web.media)
        VIDEO_MAX_BYTES=settings.video_max_bytes,
        STALE_CASE_DAYS=settings.stale_case_days,
        INVITATION_HOURS=settings.invitation_hours,
        TWO_FACTOR_REQUIRED_ROLES=settings.two_factor_required_roles,
        PAGE_SIZE=settings.page_size,
        CARE=settings.care,  # support resources, quick exit, the programme's contact (config.care)
        PROGRAMME_OFFICE={"programme_phone": settings.programme_phone, "programme_email": settings.programme_email},
        WTF_CSRF_TIME_LIMIT=None,  # the session's idle timeout already bounds a form's life
        WTF_CSRF_SSL_STRICT=True,  # over HTTPS a form must also come with a Referer from this very site
        HSTS_SECONDS=settings.serving.hsts_seconds if settings.is_production else 0,
        BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE,
        BABEL_TRANSLATION_DIRECTORIES="translations",
    )
    serving = settings.serving
    if serving.public_url is not None:  # links name the public host and scheme, whatever Host a request names
        app.config.update(SERVER_NAME=serving.public_host, PREFERRED_URL_SCHEME=serving.public_scheme)
    if serving.trusted_hosts is not None:  # a request naming any other host is refused (400) before routing
        app.config["TRUSTED_HOSTS"] = list(serving.trusted_hosts)


def trust_proxies(app: Flask, count: int) -> None:
    """Believe the client address, scheme and host that ``count`` reverse proxies in front of us report (the
    last ``count`` values of each X-Forwarded-* header); with 0, believe none."""
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def select_locale() -> str:
    """The language the person chose with the switch, else the best of their browser's Accept-Language."""
    return supported(session.get("lang")) or request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def register_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself


def register_blueprints(app: Flask) -> None:
    for blueprint in (public.bp, auth.bp, account.bp, two_factor.bp, mediator.bp, portal.bp, staff.bp, admin.bp,
                      health.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(circles.bp)  # Circles of Support and Accountability
    app.register_blueprint(training.bp)  # the resocialisation training programme (its grants, not a role)
    app.register_blueprint(referrals.bp)  # referrals to partner organisations, with the person's consent
    app.register_blueprint(directory.bp)  # the network: the partner directory and the referral indicators


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
        # same-origin: other sites learn nothing of where a visitor was, while our own forms carry the Referer
        # that Flask-WTF's strict check requires over HTTPS (no-referrer made every form fail there).
        response.headers.setdefault("Referrer-Policy", "same-origin")  # the calendar feed: no-referrer
        if app.config["HSTS_SECONDS"]:
            response.headers["Strict-Transport-Security"] = f"max-age={app.config['HSTS_SECONDS']}"
        response.headers["Cache-Control"] = "no-store"  # these pages hold sensitive content: never cache them
        response.headers["Content-Language"] = str(get_locale() or "en")
        return response

    app.add_template_filter(labels.label, "label")
    app.add_template_filter(labels.event, "event")
    app.add_template_filter(say, "say")  # the domain's sentences (workflows.words.Words) in the page's language
    app.add_template_global(here, "here")  # the page a form is on, for its hidden "back" field (web/back.py)

    @app.context_processor
    def template_globals() -> dict[str, object]:
        language = str(get_locale() or "en")
        care = app.config["CARE"]
        return {"languages": LANGUAGES, "spoken": SPOKEN, "current_language": language,
                "quick_exit_url": care.quick_exit_url, "support_resources": care.resources_for(language)}
