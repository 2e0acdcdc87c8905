"""The accessibility check itself: it must fail on a serious violation, or every green story would mean nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import Page

from tests.e2e.conftest import Axe, AxeViolations


def test_the_check_fails_on_a_critical_violation_and_names_it(open_page: Callable[[], Page], axe: Axe) -> None:
    page = open_page()
    page.goto("/")
    axe.check(page, "self-test: the home page as served")
    page.evaluate("""() => {
        const image = document.createElement('img');  // an image that says nothing to a screen reader
        image.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').append(image);
    }""")
    with pytest.raises(AxeViolations, match=r"\[critical\] image-alt"):
        axe.check(page, "self-test: an image without a text alternative")
