"""mediation.diagrams: each workflow version drawn as an SVG by the graphviz-pure binary, fit to embed in a page
(named image, no prolog, sized by its viewBox), the current step marked apart from the others, drawn once per
version and step, and no picture (never an exception) when the binary is missing or fails."""

from __future__ import annotations

import logging
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediation import diagrams
from workflows.case_workflow import CASE_WORKFLOW_VERSION
from workflows.programmes import programmes
from workflows.vocabulary import CaseState

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    diagrams.forget()
    yield
    diagrams.forget()


def nodes(svg: str) -> dict[str, ET.Element]:
    """Each state's drawn shape (the element after the node's <title>)."""
    root = ET.fromstring(svg)
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title")
            shape = next(child for child in group if child.tag in (f"{SVG}path", f"{SVG}polygon"))
            assert title is not None
            found[title.text or ""] = shape
    return found


def test_the_picture_is_an_embeddable_named_image() -> None:
    svg = diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment",
                                "Workflow of this case; current step: assessment")
    assert svg is not None
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<!--" not in svg
    root = ET.fromstring(svg)  # well-formed on its own
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Workflow of this case; current step: assessment"
    assert root.find(f"{SVG}title").text == "Workflow of this case; current step: assessment"
    # drawn at its size (the page's figure scrolls), so the page's stylesheet can scale it: no fixed height
    assert root.get("width") == str(round(float(root.get("viewBox").split()[2])))
    assert root.get("height") is None
    assert " style=" not in svg  # the pages' CSP (style-src 'self') would block inline styles


def test_the_title_is_escaped() -> None:
    svg = diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment", 'a "quoted" <b>title</b> & more')
    assert svg is not None
    root = ET.fromstring(svg)
    assert root.get("aria-label") == 'a "quoted" <b>title</b> & more'
    assert "<b>" not in svg


@pytest.mark.parametrize("state", [CaseState.REQUESTED, CaseState.ASSESSMENT, CaseState.PAUSED])
def test_the_current_step_alone_is_marked(state: CaseState) -> None:
    drawn = nodes(diagrams.workflow_svg(CASE_WORKFLOW_VERSION, state) or "")
    assert set(drawn) == set(CaseState)
    assert drawn[state].get("fill") == "#ffd966"
    assert drawn[state].get("stroke-width") == "2"
    others = [name for name, shape in drawn.items() if name != state]
    assert all(drawn[name].get("fill") != "#ffd966" for name in others)
    assert all(drawn[name].get("stroke-width") is None for name in others)


def test_nothing_is_marked_without_a_current_step() -> None:
    drawn = nodes(diagrams.workflow_svg(CASE_WORKFLOW_VERSION, None) or "")
    assert all(shape.get("fill") != "#ffd966" for shape in drawn.values())


@pytest.mark.parametrize("each", programmes(), ids=lambda p: p.name)
def test_every_programme_version_is_drawn_with_its_own_states(each) -> None:
    definition = each.definition()
    svg = diagrams.workflow_svg(definition.version, definition.initial)
    assert svg is not None
    drawn = nodes(svg)
    assert set(drawn) == set(definition.states)
    assert drawn[definition.initial].get("fill") == "#ffd966"
    for spec in definition.transitions:
        assert spec.trigger in svg
    assert "[" not in svg  # the page's picture leaves the guards to the step map and the CLI


def test_each_version_and_step_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = []
    real = diagrams.render_svg
    monkeypatch.setattr(diagrams, "render_svg", lambda source: runs.append(source) or real(source))
    first = diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment", "Title-One")
    again = diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment", "Title-Two")  # another language's title
    assert len(runs) == 1
    assert first is not None and again is not None and first.replace("Title-One", "Title-Two") == again
    diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "preparation")
    assert len(runs) == 2


def test_a_missing_binary_gives_no_picture_and_logs_once(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(diagrams, "graphviz_binary", lambda: None)
    with caplog.at_level(logging.WARNING, logger="mediation.diagrams"):
        assert diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment") is None
        assert diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "preparation") is None
        assert diagrams.render_svg("digraph { a -> b }") is None
    warnings = [r for r in caplog.records if r.name == "mediation.diagrams"]
    assert len(warnings) == 1
    assert "graphviz-pure" in warnings[0].getMessage()


@pytest.mark.parametrize("program", [
    pytest.param("import sys; sys.exit(3)", id="fails"),
    pytest.param("print('not a picture')", id="prints-nonsense"),
])
def test_a_failing_binary_gives_no_picture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, program: str) -> None:
    fake = tmp_path / "graphviz-pure"
    fake.write_text(f"#!{sys.executable}\n{program}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(diagrams, "graphviz_binary", lambda: str(fake))
    assert diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment") is None


def test_a_binary_that_hangs_is_given_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "graphviz-pure"
    fake.write_text(f"#!{sys.executable}\nimport time; time.sleep(30)\n")
    fake.chmod(0o755)
    monkeypatch.setattr(diagrams, "graphviz_binary", lambda: str(fake))
    monkeypatch.setattr(diagrams, "TIMEOUT_SECONDS", 0.5)
    assert diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment") is None


def test_the_binary_is_found_beside_this_python() -> None:
    found = diagrams.graphviz_binary()
    assert found is not None
    assert Path(found).parent == Path(sys.executable).parent


def test_states_and_triggers_are_worded_as_asked_even_with_quotes() -> None:
    names = {"assessment": 'Évaluation "now" \\ here', "prepare": "Préparer"}
    svg = diagrams.workflow_svg(CASE_WORKFLOW_VERSION, "assessment", names=names)
    assert svg is not None
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert 'Évaluation "now" \\ here' in texts and "Préparer" in texts
    assert "assessment" not in texts and "requested" in texts  # a state without a name keeps its code
    assert nodes(svg)["assessment"].get("fill") == "#ffd966"
