"""``mediation diagram --programme NAME [--version V]``: each programme's workflow drawn from the command line
(pure: no database); the ``--workflow`` options keep working beside it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from mediation.cli import main
from workflows.circle_workflow import CIRCLE_WORKFLOW, CircleState
from workflows.diagram import dot, mermaid
from workflows.programmes import programmes
from workflows.resocialisation_workflow import ClientState


@pytest.fixture
def draw() -> Callable[..., Result]:
    return lambda *args: CliRunner().invoke(main, ["diagram", *args], catch_exceptions=False)


@pytest.mark.parametrize("each", programmes(), ids=lambda p: p.name)
@pytest.mark.parametrize(("fmt", "drawn"), [("mermaid", mermaid), ("dot", dot)])
def test_each_programme_is_drawn_in_its_current_version(draw, each, fmt, drawn):
    result = draw("--programme", each.name, "--format", fmt)
    assert result.exit_code == 0
    assert result.stdout == drawn(each.definition())
    explicit = draw("--programme", each.name, "--version", each.current_version, "--format", fmt)
    assert explicit.stdout == result.stdout


def test_victim_offender_mediation_as_a_programme_is_the_case_workflow(draw):
    assert draw("--programme", "victim_offender_mediation").stdout == draw().stdout == draw("--workflow",
                                                                                             "case").stdout


def test_the_circle_workflow_with_its_current_state_marked(draw):
    result = draw("--programme", "circles", "--current", "renewal_due")
    assert result.exit_code == 0
    for state in CircleState:
        assert state.value in result.stdout
    assert "    renewal_due --> active: renew [core_member_consents]" in result.stdout.splitlines()
    assert "    class renewal_due current" in result.stdout.splitlines()
    assert result.stdout == mermaid(CIRCLE_WORKFLOW, "renewal_due")


def test_the_resocialisation_workflow_in_dot(draw):
    result = draw("--programme", "resocialisation", "--format", "dot", "--current", "evaluation")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == 'digraph "resocialisation training" {'
    nodes = [line.split('"')[1] for line in lines if line.startswith('    "') and "->" not in line]
    assert nodes == list(ClientState)
    assert '    "evaluation" -> "completed" [label="complete [attendance_met, individual_plan_recorded]"];' in lines
    assert '    "evaluation" [label="evaluation", style="rounded,filled,bold", fillcolor="#ffd966"];' in lines


@pytest.mark.parametrize(("args", "error"), [
    pytest.param(["--programme", "nope"], "Invalid value for '--programme': 'nope' is not one of",
                 id="unknown-programme"),
    pytest.param(["--programme", "circles", "--version", "vom-1"],
                 "Invalid value for --version: the programme circles has no workflow version 'vom-1'; known "
                 "versions: cosa-1", id="another-programme-s-version"),
    pytest.param(["--programme", "resocialisation", "--version", "reso-2"],
                 "Invalid value for --version: the programme resocialisation has no workflow version 'reso-2'",
                 id="unknown-version"),
    pytest.param(["--version", "vom-1"], "Invalid value for --version: a version is chosen for a programme: add "
                 "--programme", id="version-without-programme"),
    pytest.param(["--programme", "circles", "--workflow", "message"], "Use either --workflow or --programme",
                 id="both"),
    pytest.param(["--programme", "circles", "--current", "dialogue_video"],
                 "Invalid value for --current: 'dialogue_video' is not a state of this workflow",
                 id="a-case-state-on-the-circle-workflow"),
    pytest.param(["--programme", "resocialisation", "--current", "forming"],
                 "Invalid value for --current: 'forming' is not a state of this workflow",
                 id="a-circle-state-on-the-resocialisation-workflow"),
])
def test_the_diagram_refuses_what_does_not_exist(draw, args, error):
    result = draw(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert error in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("each", programmes(), ids=lambda p: p.name)
def test_each_programme_is_drawn_as_an_svg_picture(draw, each):
    definition = each.definition()
    result = draw("--programme", each.name, "--format", "svg", "--current", definition.initial)
    assert result.exit_code == 0
    assert result.stdout.startswith("<?xml")  # a standalone file, unlike the pages' embedded picture
    assert "<svg" in result.stdout and result.stdout.rstrip().endswith("</svg>")
    for state in definition.states:
        assert f"<title>{state}</title>" in result.stdout
    assert 'fill="#ffd966"' in result.stdout


def test_the_svg_is_refused_clearly_without_the_drawing_program(draw, monkeypatch):
    from mediation import diagrams
    monkeypatch.setattr(diagrams, "graphviz_binary", lambda: None)
    result = draw("--format", "svg")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "the graphviz-pure program is missing" in result.stderr
    assert "Traceback" not in result.stderr
