"""The workflow definitions drawn as Mermaid and DOT: every state, every trigger, the current state marked, and
the same text every time."""

from __future__ import annotations

import re

import pytest

from workflows.case_workflow import CASE_WORKFLOW
from workflows.diagram import dot, mermaid, step_map
from workflows.engine import WorkflowDefinition
from workflows.message_workflow import MESSAGE_WORKFLOW

DEFINITIONS = [pytest.param(CASE_WORKFLOW, id="case"), pytest.param(MESSAGE_WORKFLOW, id="message")]
MERMAID_EDGE = re.compile(r"^    (\S+) --> (\S+)(?:: (.+))?$")
DOT_NODE = re.compile(r'^    "([^"]+)" \[label="([^"]+)"(.*)\];$')
DOT_EDGE = re.compile(r'^    "([^"]+)" -> "([^"]+)" \[label="(.+)"\];$')


def trigger_of(label: str) -> str:
    return label.split(" [", maxsplit=1)[0]


def mermaid_edges(text: str) -> dict[tuple[str, str], list[str]]:
    edges = {}
    for line in text.splitlines():
        if match := MERMAID_EDGE.match(line):
            source, dest, labels = match.groups()
            edges[(source, dest)] = labels.split(" / ") if labels else []
    return edges


def dot_edges(text: str) -> dict[tuple[str, str], list[str]]:
    return {(m[1], m[2]): m[3].split("\\n") for line in text.splitlines() if (m := DOT_EDGE.match(line))}


def dot_nodes(text: str) -> dict[str, str]:
    """Each node's name and its attributes after the label."""
    return {m[1]: m[3] for line in text.splitlines() if (m := DOT_NODE.match(line))}


def definition_edges(definition: WorkflowDefinition) -> set[tuple[str, str]]:
    return {(str(spec.source), str(spec.dest)) for spec in definition.transitions}


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_mermaid_draws_every_state_and_every_trigger(definition):
    edges = mermaid_edges(mermaid(definition))
    drawn_states = {state for pair in edges for state in pair} - {"[*]"}
    assert drawn_states == set(definition.states)
    assert {pair for pair, labels in edges.items() if labels} == definition_edges(definition)
    assert {trigger_of(label) for labels in edges.values() for label in labels} == set(definition.triggers)
    assert edges[("[*]", definition.initial)] == []
    assert {source for (source, dest) in edges if dest == "[*]"} == set(definition.final_states)


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_dot_draws_every_state_and_every_trigger(definition):
    text = dot(definition)
    assert text.startswith(f'digraph "{definition.name}" {{\n')
    assert text.endswith("}\n")
    assert set(dot_nodes(text)) == set(definition.states)
    edges = dot_edges(text)
    assert set(edges) == definition_edges(definition)
    assert {trigger_of(label) for labels in edges.values() for label in labels} == set(definition.triggers)
    assert {state for state, attributes in dot_nodes(text).items() if "peripheries=2" in attributes} \
        == set(definition.final_states)


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_every_transition_is_labelled_with_its_guards(definition):
    edges = mermaid_edges(mermaid(definition))
    for spec in definition.transitions:
        conditions = [g.name for g in spec.guards] + [f"not {g.name}" for g in spec.unless]
        label = spec.trigger + (f" [{', '.join(conditions)}]" if conditions else "")
        assert label in edges[(spec.source, spec.dest)]
    assert dot_edges(dot(definition)) == {pair: labels for pair, labels in edges.items() if labels}


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_mermaid_marks_the_current_state_and_only_it(definition):
    for current in definition.states:
        text = mermaid(definition, current)
        assert re.findall(r"^    class (\S+) current$", text, re.MULTILINE) == [current]
        assert "classDef current " in text
    assert "current" not in mermaid(definition)


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_dot_marks_the_current_state_and_only_it(definition):
    for current in definition.states:
        nodes = dot_nodes(dot(definition, current))
        assert [state for state, attributes in nodes.items() if "fillcolor" in attributes] == [current]
        assert "bold" in nodes[current]
    assert "fillcolor" not in dot(definition)


@pytest.mark.parametrize("draw", [mermaid, dot])
@pytest.mark.parametrize("definition", DEFINITIONS)
def test_diagrams_are_the_same_text_every_time(draw, definition):
    assert draw(definition, "closed") == draw(definition, "closed")
    assert draw(definition) == draw(definition)


def test_the_message_workflow_in_mermaid():
    assert mermaid(MESSAGE_WORKFLOW, "returned") == """\
stateDiagram-v2
    [*] --> submitted
    submitted --> delivered: approve [case_carries_messages, no_safety_concern]
    submitted --> returned: return
    returned --> submitted: revise
    submitted --> awaiting_author: redact
    awaiting_author --> delivered: accept [case_carries_messages, no_safety_concern]
    awaiting_author --> returned: refuse
    submitted --> withheld: withhold
    awaiting_author --> withheld: withhold
    returned --> withheld: withhold
    delivered --> read: open
    read --> [*]
    withheld --> [*]
    classDef current fill:#ffd966,stroke:#7f6000,stroke-width:3px
    class returned current
"""


def test_the_message_workflow_in_dot():
    assert dot(MESSAGE_WORKFLOW, "returned") == """\
digraph "message review" {
    rankdir=LR;
    node [shape=box, style=rounded];
    "submitted" [label="submitted"];
    "returned" [label="returned", style="rounded,filled,bold", fillcolor="#ffd966"];
    "awaiting_author" [label="awaiting_author"];
    "delivered" [label="delivered"];
    "read" [label="read", peripheries=2];
    "withheld" [label="withheld", peripheries=2];
    "submitted" -> "delivered" [label="approve [case_carries_messages, no_safety_concern]"];
    "submitted" -> "returned" [label="return"];
    "returned" -> "submitted" [label="revise"];
    "submitted" -> "awaiting_author" [label="redact"];
    "awaiting_author" -> "delivered" [label="accept [case_carries_messages, no_safety_concern]"];
    "awaiting_author" -> "returned" [label="refuse"];
    "submitted" -> "withheld" [label="withhold"];
    "awaiting_author" -> "withheld" [label="withhold"];
    "returned" -> "withheld" [label="withhold"];
    "delivered" -> "read" [label="open"];
}
"""


def test_parallel_transitions_share_one_edge_in_the_case_diagram():
    edges = mermaid_edges(mermaid(CASE_WORKFLOW))
    assert edges[("closing", "closed")] == ["close [agreement_items_settled]", "withdraw [participant_on_case]"]
    assert edges[("assessment", "closed")] == ["decline", "withdraw [participant_on_case]"]
    assert edges[("requested", "closed")] == ["screen [sentence_recorded, not sentence_qualifies]",
                                              "withdraw [participant_on_case]"]


def test_the_step_map_lists_every_state_once_with_every_move_leaving_it():
    steps = dict(step_map(CASE_WORKFLOW))
    assert list(steps) == [str(state) for state in CASE_WORKFLOW.states]
    for spec in CASE_WORKFLOW.transitions:
        assert (spec.trigger, str(spec.dest)) in steps[str(spec.source)]
    assert all(len(moves) == len(set(moves)) for moves in steps.values())  # parallel guarded edges listed once
    assert steps["closed"] == [("reopen", "assessment"), ("reopen", "requested")]


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_dot_without_guards_keeps_every_edge_and_trigger_but_no_condition(definition: WorkflowDefinition):
    full, plain = dot_edges(dot(definition)), dot_edges(dot(definition, guards=False))
    assert plain.keys() == full.keys()
    for edge, labels in full.items():
        assert plain[edge] == list(dict.fromkeys(trigger_of(label) for label in labels))
    assert "[" not in "".join(label for labels in plain.values() for label in labels)
    assert dot_nodes(dot(definition, "closed" if "closed" in definition.states else None, guards=False)) == \
        dot_nodes(dot(definition, "closed" if "closed" in definition.states else None))
