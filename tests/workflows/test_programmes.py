"""The programme registry: three programmes, victim-offender mediation unchanged, unknown names and versions
refused clearly; and each programme's workflow drawn like the others."""

from __future__ import annotations

import pytest

from tests.workflows.test_diagram import definition_edges, dot_edges, dot_nodes, mermaid_edges, trigger_of
from workflows import case_workflow as case_workflow_module
from workflows.case_workflow import CASE_WORKFLOW, case_workflow
from workflows.circle_workflow import CIRCLE_WORKFLOW, circle_workflow
from workflows.diagram import dot, mermaid, step_map
from workflows.errors import UnknownProgramme, UnknownWorkflowVersion
from workflows.programmes import (
    CIRCLES,
    RESOCIALISATION,
    VICTIM_OFFENDER_MEDIATION,
    Programme,
    programme,
    programme_of_version,
    programmes,
    workflow_of,
)
from workflows.resocialisation_workflow import RESOCIALISATION_WORKFLOW, resocialisation_workflow


def test_the_registry_lists_three_programmes_in_order():
    assert [p.name for p in programmes()] == ["victim_offender_mediation", "circles", "resocialisation"]
    assert tuple(p.name for p in programmes()) == (VICTIM_OFFENDER_MEDIATION, CIRCLES, RESOCIALISATION)
    assert [str(p.title) for p in programmes()] == [
        "Victim-offender mediation", "Circles of Support and Accountability", "Resocialisation training programme"]
    assert [p.current_version for p in programmes()] == ["vom-1", "cosa-1", "reso-1"]


def test_victim_offender_mediation_is_the_same_definition_and_machine_as_before():
    vom = programme(VICTIM_OFFENDER_MEDIATION)
    assert vom.definition() is CASE_WORKFLOW
    assert vom.definitions is case_workflow_module._DEFINITIONS
    assert workflow_of(VICTIM_OFFENDER_MEDIATION) is case_workflow()
    assert workflow_of(vom, "vom-1") is case_workflow("vom-1")
    assert workflow_of(VICTIM_OFFENDER_MEDIATION).definition is CASE_WORKFLOW


def test_each_programme_gives_its_definition_module_s_machine():
    assert workflow_of(CIRCLES) is circle_workflow()
    assert workflow_of(CIRCLES, "cosa-1").definition is CIRCLE_WORKFLOW
    assert workflow_of(RESOCIALISATION) is resocialisation_workflow()
    assert workflow_of(programme(RESOCIALISATION)).definition is RESOCIALISATION_WORKFLOW


def test_each_programme_names_the_roles_that_act_in_it():
    assert programme(VICTIM_OFFENDER_MEDIATION).roles == ("admin", "mediator", "staff", "participant")
    assert {"coordinator", "volunteer", "core_member", "supervising_staff", "outer_circle"} \
        == set(programme(CIRCLES).roles)
    assert {"activation_worker", "client", "referring_officer"} <= set(programme(RESOCIALISATION).roles)
    for each in programmes():
        assert len(set(each.roles)) == len(each.roles)


def test_the_vocabulary_of_reasons_comes_from_the_definition():
    vom = programme(VICTIM_OFFENDER_MEDIATION).reasons()
    assert vom == {name: spec.reasons for name, spec in CASE_WORKFLOW.triggers.items() if spec.reasons}
    assert set(vom) == {"decline", "close", "pause", "withdraw"}
    circles = programme(CIRCLES).reasons("cosa-1")
    assert set(circles) == {"decline", "pause", "end"}
    assert "not_renewed" in circles["end"]
    assert set(programme(RESOCIALISATION).reasons()) == {"end"}


@pytest.mark.parametrize("name", ["", "circle", "VOM", "Circles", "cosa-1"])
def test_an_unknown_programme_is_refused_with_the_known_ones(name):
    message = (f"{name!r} is not a programme of this installation; choose one of: victim_offender_mediation, "
               "circles, resocialisation.")
    with pytest.raises(UnknownProgramme) as refused:
        programme(name)
    assert str(refused.value) == message
    with pytest.raises(UnknownProgramme):
        workflow_of(name)


@pytest.mark.parametrize(("name", "version", "known"), [
    (VICTIM_OFFENDER_MEDIATION, "cosa-1", "vom-1"),
    (CIRCLES, "vom-1", "cosa-1"),
    (RESOCIALISATION, "reso-2", "reso-1"),
    (CIRCLES, "", "cosa-1"),
])
def test_an_unknown_version_of_a_programme_is_refused(name, version, known):
    with pytest.raises(UnknownWorkflowVersion) as refused:
        workflow_of(name, version)
    assert str(refused.value) == (f"the programme {name} has no workflow version {version!r}; known versions: "
                                  f"{known}")


def test_a_version_names_its_programme():
    assert programme_of_version("vom-1").name == VICTIM_OFFENDER_MEDIATION
    assert programme_of_version("cosa-1").name == CIRCLES
    assert programme_of_version("reso-1").name == RESOCIALISATION
    with pytest.raises(UnknownWorkflowVersion, match="known versions: vom-1, cosa-1, reso-1"):
        programme_of_version("message-review-1")


def test_versions_are_unique_across_programmes():
    versions = [v for p in programmes() for v in p.definitions]
    assert len(versions) == len(set(versions))


def test_a_programme_is_frozen():
    with pytest.raises(AttributeError):
        programme(CIRCLES).current_version = "cosa-2"  # type: ignore[misc]
    assert isinstance(programme(CIRCLES), Programme)


@pytest.mark.parametrize("each", programmes(), ids=lambda p: p.name)
def test_every_definition_is_consistent(each):
    """Every transition's states exist, every trigger is used, and every state is reachable from the initial one."""
    definition = each.definition()
    states = set(definition.states)
    assert definition.initial in states and set(definition.final_states) <= states
    for spec in definition.transitions:
        assert {spec.source, spec.dest} <= states
    assert {spec.trigger for spec in definition.transitions} == set(definition.triggers)
    reached, frontier = {definition.initial}, [definition.initial]
    while frontier:
        state = frontier.pop()
        for spec in definition.transitions:
            if spec.source == state and spec.dest not in reached:
                reached.add(spec.dest)
                frontier.append(spec.dest)
    assert reached == states


# ---------------------------------------------------------------------------------------------------------------
# Drawn like the others


NEW_DEFINITIONS = [pytest.param(CIRCLE_WORKFLOW, id="circles"), pytest.param(RESOCIALISATION_WORKFLOW, id="reso")]


@pytest.mark.parametrize("definition", NEW_DEFINITIONS)
def test_the_new_workflows_are_drawn_with_every_state_and_trigger(definition):
    edges = mermaid_edges(mermaid(definition))
    assert {state for pair in edges for state in pair} - {"[*]"} == set(definition.states)
    assert {pair for pair, labels in edges.items() if labels} == definition_edges(definition)
    assert {trigger_of(label) for labels in edges.values() for label in labels} == set(definition.triggers)
    text = dot(definition, current=definition.initial)
    assert set(dot_nodes(text)) == set(definition.states)
    assert set(dot_edges(text)) == definition_edges(definition)
    assert [s for s, attributes in dot_nodes(text).items() if "fillcolor" in attributes] == [definition.initial]
    assert [state for state, _moves in step_map(definition)] == list(definition.states)


def test_the_circle_diagram_shows_the_volunteer_rules_and_the_reflexive_add():
    edges = mermaid_edges(mermaid(CIRCLE_WORKFLOW))
    assert edges[("forming", "forming")] == [
        "add_volunteer [room_for_volunteer, volunteer_not_in_circle, volunteer_screened_and_trained]"]
    assert edges[("forming", "active")] == [
        "activate [core_member_present, supervisor_assigned, enough_volunteers, at_most_max_volunteers, "
        "all_volunteers_ready]"]
    assert edges[("renewal_due", "active")] == ["renew [core_member_consents]"]
    assert edges[("paused", "active")] == ["resume [escalation_recorded]"]


def test_the_resocialisation_diagram_shows_the_completion_guard():
    edges = mermaid_edges(mermaid(RESOCIALISATION_WORKFLOW))
    assert edges[("evaluation", "completed")] == ["complete [attendance_met, individual_plan_recorded]"]
    assert edges[("completed", "continuing")] == ["continue_voluntarily"]
    assert edges[("evaluation", "ended")] == ["end", "withdraw"]
