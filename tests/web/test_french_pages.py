"""Every page of the app, read in French or in Romanian by the person it is for, shows no English the catalog
translates.

The browser stories check the pages they pass through (tests/e2e/french.py); this walks every page the
authorization matrix knows (its ROUTES), as its own principal on their own case, in every language of
mediation.languages, so a page added without its French or Romanian (a label, a refusal, an explanation from the
domain) fails here with the English it showed.
"""

from __future__ import annotations

import pytest

from tests.e2e.french import english_left
from tests.web.conftest import ROUTES, Browser, Route, World, page_text
from tests.web.test_translations import TRANSLATED

ROLE_OF_AREA = {"admin": "admin", "mediator": "mediator", "staff": "staff", "portal": "offender"}
PAGES = [route for route in ROUTES if route.method == "GET" and route.ok == 200 and route.area != "static"
         and route.endpoint != "health.healthz"]


def _signed_in_for(browser: Browser, route: Route) -> None:
    key = ROLE_OF_AREA.get(route.area, "mediator" if route.area == "account" else None)
    if key is not None:
        browser.sign_in(key)


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("route", PAGES, ids=[route.id for route in PAGES])
def test_the_page_in_its_readers_language_shows_no_english(browser: Browser, world: World, route: Route,
                                                           language: str) -> None:
    _signed_in_for(browser, route)
    english = browser.get(route.path(world, False))
    if not english.content_type.startswith("text/html"):
        pytest.skip("not a page (a video stream)")
    assert english_left(page_text(english), language), (
        "the check finds nothing even in English: it would prove nothing")
    browser.post(f"/language/{language}", {"back": "/"})
    response = browser.get(route.path(world, False))
    assert response.status_code == 200
    assert f'lang="{language}"' in response.get_data(as_text=True)
    assert english_left(page_text(response), language) == []
