"""The programmes the engine carries (DESIGN.md section 7): each a named, versioned workflow definition plus the
roles that act in it and its vocabulary of reasons.

A programme is added by writing its definition module in ``workflows/`` (states, triggers, guards, effects,
reasons) and registering it in ``_PROGRAMMES`` below. Each case keeps the workflow version it started under, so a
new version is added beside the old one (``definitions``), never in its place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from workflows.case_workflow import _DEFINITIONS as CASE_DEFINITIONS
from workflows.case_workflow import CASE_WORKFLOW_VERSION, case_workflow
from workflows.circle_workflow import CIRCLE_DEFINITIONS, CIRCLE_WORKFLOW_VERSION, circle_workflow
from workflows.engine import SharedWorkflow, WorkflowDefinition
from workflows.errors import UnknownProgramme, UnknownWorkflowVersion
from workflows.resocialisation_workflow import (
    RESOCIALISATION_DEFINITIONS,
    RESOCIALISATION_WORKFLOW_VERSION,
    resocialisation_workflow,
)
from workflows.words import Code, Words, codes

VICTIM_OFFENDER_MEDIATION = "victim_offender_mediation"
CIRCLES = "circles"
RESOCIALISATION = "resocialisation"


@dataclass(frozen=True)
class Programme:
    name: str  # the programme's code, e.g. "circles"
    title: Words
    roles: tuple[str, ...]  # codes of the roles that act in it
    current_version: str  # the version a new case starts under
    definitions: Mapping[str, WorkflowDefinition]  # every version this installation can still run
    machine: Callable[[str], SharedWorkflow]  # the definition module's process-wide machine of a version

    def definition(self, version: str | None = None) -> WorkflowDefinition:
        """The definition of ``version`` (the current one by default); an unknown version is refused."""
        version = self.current_version if version is None else version
        if version not in self.definitions:
            raise UnknownWorkflowVersion(
                "the programme %(programme)s has no workflow version %(version)s; known versions: %(known)s",
                programme=Code(self.name), version=repr(version)[:80], known=", ".join(self.definitions))
        return self.definitions[version]

    @property
    def final_states(self) -> tuple[str, ...]:
        """The final states of every version still running: a case resting in one has its retention running, and
        its data key is destroyed when retention ends (mediation.services.keys)."""
        return tuple(dict.fromkeys(str(state) for d in self.definitions.values() for state in d.final_states))

    def reasons(self, version: str | None = None) -> Mapping[str, tuple[str, ...]]:
        """The vocabulary of reasons: each trigger that needs a reason, with the reasons it accepts."""
        return {name: spec.reasons for name, spec in self.definition(version).triggers.items() if spec.reasons}


_PROGRAMMES: tuple[Programme, ...] = (
    # The roles are the accounts' roles today (mediation.models.user.Role): "admin" is the programme coordinator.
    Programme(VICTIM_OFFENDER_MEDIATION, Words("Victim-offender mediation"),
              roles=("admin", "mediator", "staff", "participant"),
              current_version=CASE_WORKFLOW_VERSION, definitions=CASE_DEFINITIONS, machine=case_workflow),
    # The outer circle (parole officer, police liaison, therapist) is recorded but sees no content.
    Programme(CIRCLES, Words("Circles of Support and Accountability"),
              roles=("coordinator", "supervising_staff", "volunteer", "core_member", "outer_circle"),
              current_version=CIRCLE_WORKFLOW_VERSION, definitions=CIRCLE_DEFINITIONS, machine=circle_workflow),
    # The referring probation officer receives a completion certificate and nothing else.
    Programme(RESOCIALISATION, Words("Resocialisation training programme"),
              roles=("coordinator", "activation_worker", "client", "referring_officer"),
              current_version=RESOCIALISATION_WORKFLOW_VERSION, definitions=RESOCIALISATION_DEFINITIONS,
              machine=resocialisation_workflow),
)
_BY_NAME: Mapping[str, Programme] = {p.name: p for p in _PROGRAMMES}


def programmes() -> tuple[Programme, ...]:
    """Every programme this installation carries, in a fixed order."""
    return _PROGRAMMES


def programme(name: str) -> Programme:
    """The programme called ``name``; an unknown name is refused with the known ones listed."""
    if name not in _BY_NAME:
        raise UnknownProgramme("%(value)s is not a programme of this installation; choose one of: %(choices)s.",
                               value=repr(name)[:80], choices=codes(tuple(_BY_NAME)))
    return _BY_NAME[name]


def programme_of_version(version: str) -> Programme:
    """The programme a workflow version belongs to (versions are unique across programmes)."""
    for candidate in _PROGRAMMES:
        if version in candidate.definitions:
            return candidate
    raise UnknownWorkflowVersion(
        "workflow version %(version)s belongs to no programme of this installation; known versions: %(known)s",
        version=repr(version)[:80], known=", ".join(v for p in _PROGRAMMES for v in p.definitions))


def workflow_of(which: str | Programme, version: str | None = None) -> SharedWorkflow:
    """The process-wide machine of a programme's workflow ``version`` (its current version by default): the one
    its definition module gives (``case_workflow``, ``circle_workflow``...), so there is one per version."""
    chosen = which if isinstance(which, Programme) else programme(which)
    return chosen.machine(chosen.definition(version).version)
