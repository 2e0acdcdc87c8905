"""Serving in production: the settings it refuses, the links it builds, the hosts it accepts, HSTS, and forms
that work over HTTPS while a form posted from another site is still refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.test import TestResponse

from config import SettingsError, check_web_settings, load_settings
from mediation.runtime import Runtime
from tests.web.conftest import Browser, World, csrf_from, make_app, page_text
from web import server

PUBLIC = "https://mediation.example.org"
PRODUCTION = {"MEDIATION_ENV": "production", "MEDIATION_PUBLIC_URL": PUBLIC,
              "MEDIATION_AUDIT_SIGNING_KEY_FILE": "/etc/mediation/keys/audit-signing.key"}


def production(**extra: str) -> dict[str, str]:
    return {**PRODUCTION, **extra}


# --- settings ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("env", "complaint"), [
    ({**PRODUCTION, "MEDIATION_PUBLIC_URL": ""}, "MEDIATION_PUBLIC_URL must be set in production"),
    (production(MEDIATION_PUBLIC_URL="http://mediation.example.org"), "must be an https:// address"),
    (production(MEDIATION_WEB_WORKERS="4"), "RATELIMIT_STORAGE_URL cannot be memory:// with 4 web workers"),
    (production(MEDIATION_RATELIMIT_ENABLED="false"), "RATELIMIT_ENABLED cannot be off in production"),
    (production(MEDIATION_HSTS_SECONDS="0"), "HSTS_SECONDS cannot be 0 in production"),
])
def test_production_refuses_to_serve_with_unsafe_settings(tmp_path, env, complaint):
    settings = load_settings(env, cwd=tmp_path)  # the command line still runs with these
    with pytest.raises(SettingsError, match=re.escape(complaint)):
        check_web_settings(settings)


def test_production_serves_with_redis_and_several_workers(tmp_path):
    settings = load_settings(production(MEDIATION_WEB_WORKERS="4",
                                        MEDIATION_RATELIMIT_STORAGE_URL="redis://127.0.0.1:6379/0"), cwd=tmp_path)
    check_web_settings(settings)
    assert settings.serving.workers == 4
    assert settings.serving.trusted_hosts == ("mediation.example.org",)
    assert settings.serving.hsts_seconds == 365 * 24 * 3600


def test_development_needs_no_public_url_and_trusts_any_host(tmp_path):
    settings = load_settings({}, cwd=tmp_path)
    check_web_settings(settings)
    assert settings.serving.public_url is None
    assert settings.serving.trusted_hosts is None
    assert settings.serving.hsts_seconds == 0
    assert settings.rate_limits.enabled
    assert settings.rate_limits.storage_url == "memory://"


@pytest.mark.parametrize(("env", "complaint"), [
    ({"MEDIATION_PUBLIC_URL": "mediation.example.org"}, "MEDIATION_PUBLIC_URL must be an address"),
    ({"MEDIATION_PUBLIC_URL": "ftp://mediation.example.org"}, "MEDIATION_PUBLIC_URL must be an address"),
    ({"MEDIATION_PUBLIC_URL": "https://example.org/mediation"}, "must be the site's root"),
    ({"MEDIATION_TRUSTED_HOSTS": "https://example.org"}, "MEDIATION_TRUSTED_HOSTS must be host names"),
    ({"MEDIATION_TRUSTED_HOSTS": "example.org:443"}, "MEDIATION_TRUSTED_HOSTS must be host names"),
    ({"MEDIATION_TLS_CERT": "/etc/cert.pem"}, "MEDIATION_TLS_CERT and MEDIATION_TLS_KEY go together"),
    ({"MEDIATION_RATELIMIT_SIGN_IN": "lots"}, "MEDIATION_RATELIMIT_SIGN_IN must be rate limits"),
    ({"MEDIATION_RATELIMIT_STORAGE_URL": "mongodb://x"}, "must be memory:// or a Redis URL"),
    ({"MEDIATION_WEB_WORKERS": "0"}, "MEDIATION_WEB_WORKERS must be at least 1"),
    ({"MEDIATION_PROXY_COUNT": "-1"}, "MEDIATION_PROXY_COUNT must be at least 0"),
])
def test_malformed_serving_settings_are_refused_by_name(tmp_path, env, complaint):
    with pytest.raises(SettingsError, match=re.escape(complaint)):
        load_settings(env, cwd=tmp_path)


def test_the_public_url_is_normalised_and_trusted_hosts_can_be_listed(tmp_path):
    settings = load_settings({"MEDIATION_PUBLIC_URL": "HTTPS://Mediation.Example.org:8443/",
                              "MEDIATION_TRUSTED_HOSTS": "mediation.example.org, .internal.example"}, cwd=tmp_path)
    assert settings.serving.public_url == "https://mediation.example.org:8443"
    assert settings.serving.public_host == "mediation.example.org:8443"
    assert settings.serving.trusted_hosts == ("mediation.example.org", ".internal.example")


def test_gunicorn_takes_workers_threads_timeout_and_tls_from_the_settings(tmp_path):
    settings = load_settings({"MEDIATION_WEB_WORKERS": "3", "MEDIATION_WEB_THREADS": "5", "MEDIATION_WEB_TIMEOUT": "90",
                              "MEDIATION_HOST": "::1", "MEDIATION_PORT": "8443", "MEDIATION_TLS_CERT": "/tls/c.pem",
                              "MEDIATION_TLS_KEY": "/tls/k.pem"}, cwd=tmp_path)
    options = server.gunicorn_options(settings)
    assert options["bind"] == ["[::1]:8443"]
    assert (options["workers"], options["threads"], options["timeout"]) == (3, 5, 90)
    assert (options["certfile"], options["keyfile"]) == ("/tls/c.pem", "/tls/k.pem")
    assert options["forwarded_allow_ips"] == ""  # forwarded headers are ProxyFix's, with MEDIATION_PROXY_COUNT
    # and gunicorn accepts every one of them
    app = server.WebServer(options, lambda: Flask(__name__))
    assert app.cfg.workers == 3
    assert app.cfg.threads == 5


# --- mediation-web refuses, in one line, what it cannot serve safely -----------------------------------------

def _serve(monkeypatch, folder: Path, **env: str) -> str:
    monkeypatch.chdir(folder)
    for name in ("MEDIATION_DATABASE_URL", "MEDIATION_INSTANCE_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        server.main()
    return str(stopped.value.code)


def test_mediation_web_refuses_production_without_a_public_url(tmp_path, monkeypatch):
    message = _serve(monkeypatch, tmp_path, MEDIATION_ENV="production",
                     MEDIATION_AUDIT_SIGNING_KEY_FILE=PRODUCTION["MEDIATION_AUDIT_SIGNING_KEY_FILE"])
    assert message.startswith("mediation-web: MEDIATION_PUBLIC_URL must be set in production")


def test_mediation_web_refuses_production_over_plain_http_without_a_proxy(tmp_path, monkeypatch):
    message = _serve(monkeypatch, tmp_path, **production())
    assert "set MEDIATION_TLS_CERT and MEDIATION_TLS_KEY, or serve it behind a TLS reverse proxy" in message


def test_mediation_web_says_which_tls_file_is_missing(tmp_path, monkeypatch):
    message = _serve(monkeypatch, tmp_path, MEDIATION_TLS_CERT=str(tmp_path / "nope.pem"),
                     MEDIATION_TLS_KEY=str(tmp_path / "nope.key"))
    assert f"MEDIATION_TLS_CERT names {tmp_path / 'nope.pem'}, which is not a readable file" in message


def test_mediation_web_refuses_a_rate_limit_storage_that_does_not_answer(tmp_path, monkeypatch, web_runtime):
    message = _serve(monkeypatch, tmp_path, MEDIATION_DATABASE_URL=web_runtime.settings.database_url,
                     MEDIATION_INSTANCE_DIR=str(web_runtime.settings.instance_dir),
                     MEDIATION_RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0")
    assert message == "mediation-web: the rate-limit storage redis://127.0.0.1:1/0 does not answer"


# --- the app in production ---------------------------------------------------------------------------------------

def production_app(runtime: Runtime, **extra: str) -> Flask:
    """The test's site as production serves it at PUBLIC (the test client's own host, localhost, also trusted)."""
    env = {"MEDIATION_DATABASE_URL": runtime.settings.database_url,
           "MEDIATION_INSTANCE_DIR": str(runtime.settings.instance_dir),
           "MEDIATION_TRUSTED_HOSTS": "mediation.example.org,localhost", **production(**extra)}
    return make_app(runtime, load_settings(env))


class HttpsBrowser(Browser):
    """A browser on https://``host``/ (the test client's default is http://localhost/)."""

    def __init__(self, app: Flask, world: World, host: str) -> None:
        super().__init__(app.test_client(), world)
        self.base_url = f"https://{host}"

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        return super().request(method, path, base_url=self.base_url, **kwargs)


def https_browser(app: Flask, world: World, host: str = "mediation.example.org") -> HttpsBrowser:
    return HttpsBrowser(app, world, host)


def test_external_links_are_built_from_the_public_url_whatever_the_request_says(web_runtime):
    """The way the invitation link is built (``url_for(..., _external=True)``), under another trusted host name
    and plain HTTP: the link still names the public URL. The browser test follows a real invitation."""
    app = production_app(web_runtime)
    with app.test_request_context("/mediator/", base_url="http://localhost:8000"):
        assert url_for("public.request_mediation", _external=True) == f"{PUBLIC}/request"
        assert url_for("public.request_mediation") == "/request"


def test_a_request_naming_an_untrusted_host_is_refused(web_runtime, world):
    visitor = https_browser(production_app(web_runtime), world, host="evil.example")
    response = visitor.get("/login")
    assert response.status_code == 400
    assert page_text(response) == "This site does not answer to that address."
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_sends_hsts_and_development_does_not(web_runtime, world, fresh_app):
    secure = https_browser(production_app(web_runtime), world).get("/")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert secure.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in fresh_app.test_client().get("/").headers


def test_over_https_a_form_with_this_sites_referer_works(web_runtime, world):
    """What a browser sends with Referrer-Policy same-origin: the form succeeds (no-referrer made it fail)."""
    visitor = https_browser(production_app(web_runtime), world)
    token = csrf_from(page_text(visitor.get("/request")))
    response = visitor.post("/request", {"relationship": "victim", "understood": "y", "name": "Robin",
                                         "phone": "555-0142"}, token=token,
                            headers={"Referer": f"{PUBLIC}/request"})
    assert response.status_code == 200
    assert "HR-" in page_text(response)  # the receipt code of a request held for the coordinator


@pytest.mark.parametrize("headers", [
    {},  # what every browser sent under no-referrer: refused, so the policy had to change
    {"Referer": "https://evil.example/request"},
    {"Referer": "http://mediation.example.org/request"},  # the same host over plain HTTP is another origin
    {"Referer": "https://evil.example/", "Origin": "https://evil.example"},
])
def test_over_https_a_form_without_this_sites_referer_is_refused(web_runtime, world, headers):
    visitor = https_browser(production_app(web_runtime), world)
    token = csrf_from(page_text(visitor.get("/request")))
    response = visitor.post("/request", {"relationship": "victim", "understood": "y", "name": "Robin",
                                         "phone": "555-0142"}, token=token,
                            headers=headers)
    assert response.status_code == 400
    assert "did not come from this site" in page_text(response)
