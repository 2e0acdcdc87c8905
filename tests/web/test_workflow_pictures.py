"""The workflow on the case pages: the mediator sees their case's own workflow version drawn as an SVG with the
current step marked, beside the text step map; a participant sees a progress line in plain words, no picture;
staff who forward requests see neither."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import update

from mediation import diagrams
from mediation.models import Case
from tests.web.conftest import World, page_text, readable
from tests.web.test_routes import covers
from workflows import case_workflow as case_workflow_module
from workflows.case_workflow import CASE_WORKFLOW


@pytest.fixture(autouse=True)
def fresh_pictures() -> Iterator[None]:
    diagrams.forget()
    yield
    diagrams.forget()


def picture(page: str) -> str:
    match = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert match, "no workflow picture on the page"
    return match.group(0)


def marked(svg: str) -> list[str]:
    """The states drawn filled (the current step)."""
    return re.findall(r'<title>([^<]+)</title>\s*<path fill="#ffd966"', svg)


def progress(page: str, reference: str) -> str:
    section = re.search(rf'<section[^>]*aria-labelledby="case-{reference}".*?</section>', page, re.S)
    assert section, f"no section for {reference}"
    line = re.search(r'<ol class="progress-line".*?</ol>', section.group(0), re.S)
    assert line, "no progress line"
    return line.group(0)


@covers("mediator.case GET")
def test_the_mediators_case_page_draws_the_workflow_with_the_current_step(browser_for, world: World) -> None:
    page = page_text(browser_for("mediator").get(f"/mediator/cases/{world.own_assessment}"))
    svg = picture(page)
    assert 'role="img"' in svg
    assert 'aria-label="Workflow of this case; current step: assessment"' in svg
    assert marked(svg) == ["assessment"]
    assert ">Reopen at a participant's request</text>" in html.unescape(svg)  # the triggers in the page's words
    assert "<figure" in page and "<figcaption" in page
    # the text step map stays, as the picture's accessible alternative
    assert re.search(r'<li aria-current="step" class="current-step">\s*<strong>assessment</strong>', page)
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


def test_each_case_page_marks_its_own_step(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    assert marked(picture(page_text(mediator.get(f"/mediator/cases/{world.own_requested}")))) == ["requested"]
    assert marked(picture(page_text(mediator.get(f"/mediator/cases/{world.own}")))) == ["dialogue_written"]


def test_a_case_under_an_older_version_shows_that_version(browser_for, world: World, web_runtime,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Only one version of victim-offender mediation exists: an older one, without the change of modality, is
    installed for this test and a case put under it."""
    older = replace(CASE_WORKFLOW, version="vom-0", name="mediation first edition",
                    transitions=tuple(t for t in CASE_WORKFLOW.transitions if t.trigger != "change_modality"))
    monkeypatch.setitem(case_workflow_module._DEFINITIONS, "vom-0", older)
    with web_runtime.transaction() as s:
        s.execute(update(Case).where(Case.reference == world.own).values(workflow_version="vom-0"))
    mediator = browser_for("mediator")
    old_page = readable(mediator.get(f"/mediator/cases/{world.own}"))
    old_svg = picture(old_page)
    change = "<title>dialogue_written->dialogue_video</title>"  # an edge of change_modality
    assert "mediation first edition" in old_svg and change not in old_svg
    assert marked(old_svg) == ["dialogue_written"]
    assert "version vom-0" in old_page
    current_svg = picture(readable(mediator.get(f"/mediator/cases/{world.own_requested}")))
    assert "victim-offender mediation" in current_svg and change in current_svg


def test_without_the_drawing_program_the_page_keeps_its_step_map(browser_for, world: World,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagrams, "graphviz_binary", lambda: None)
    response = browser_for("mediator").get(f"/mediator/cases/{world.own_assessment}")
    assert response.status_code == 200
    page = page_text(response)
    assert "<svg" not in page and "<figure" not in page
    assert '<li aria-current="step" class="current-step">' in page


@covers("portal.home GET")
def test_a_participant_sees_a_progress_line_and_no_picture(browser_for, world: World) -> None:
    page = readable(browser_for("offender").get("/portal/"))
    assert "<svg" not in page
    line = progress(page, world.own)  # in dialogue_written
    steps = re.findall(r"<li( aria-current=\"step\")?>(.*?)</li>", line, re.S)
    assert [re.sub(r"<.*?>|\(current step\)", "", text).strip() for _, text in steps] == \
        ["Request received", "Preparing", "Dialogue", "Closing", "Closed"]
    assert [current != "" for current, _ in steps] == [False, False, True, False, False]
    assert "dialogue_written" not in line


@covers("staff.referrals GET", "staff.forward GET")
def test_staff_who_forward_requests_see_neither_picture_nor_progress(browser_for) -> None:
    staff = browser_for("staff")
    for path in ("/staff/", "/staff/forward"):
        page = page_text(staff.get(path))
        assert "<svg" not in page
        assert "progress-line" not in page and 'aria-current="step"' not in page
        assert "ffd966" not in page


def test_the_picture_speaks_the_pages_language(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    mediator.post("/language/fr", {"back": "/"})
    svg = html.unescape(picture(page_text(mediator.get(f"/mediator/cases/{world.own_assessment}"))))
    assert ">évaluation</text>" in svg and ">assessment</text>" not in svg
    assert marked(svg) == ["assessment"]  # the node ids stay codes
    english = html.unescape(picture(page_text(browser_for("mediator").get(f"/mediator/cases/{world.own_assessment}"))))
    assert ">assessment</text>" in english
