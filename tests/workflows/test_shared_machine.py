"""One machine per workflow, built once and shared by every thread; models are never registered on it."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from types import SimpleNamespace

import pytest

from tests.workflows.fakes import HARMED_ID, RESPONSIBLE_ID, FakeCase
from workflows.case_workflow import CASE_WORKFLOW_VERSION, case_workflow
from workflows.errors import GuardNotMet, UnknownWorkflowVersion
from workflows.message_workflow import MESSAGE_WORKFLOW_VERSION, message_workflow
from workflows.vocabulary import CaseState, Consent, Modality, Outcome, Safety

S = CaseState
THREADS = 8
ROUNDS = 100  # 12 events a round: about 10,000 events in all


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, so events really interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def test_case_workflow_returns_the_same_machine_every_time():
    assert case_workflow() is case_workflow()
    assert case_workflow().version == CASE_WORKFLOW_VERSION


def test_message_workflow_returns_the_same_machine_every_time():
    assert message_workflow() is message_workflow()
    assert message_workflow().version == MESSAGE_WORKFLOW_VERSION


def test_naming_the_current_version_returns_the_same_machine():
    assert case_workflow(CASE_WORKFLOW_VERSION) is case_workflow()
    assert case_workflow(version=CASE_WORKFLOW_VERSION) is case_workflow()


@pytest.mark.parametrize("version", ["vom-0", "vom-2", "", "VOM-1"])
def test_an_unknown_workflow_version_is_refused_by_name(version):
    with pytest.raises(UnknownWorkflowVersion) as refusal:
        case_workflow(version)
    assert repr(version) in str(refusal.value)
    assert f"known versions: {CASE_WORKFLOW_VERSION}" in str(refusal.value)


def test_firing_registers_nothing_on_the_machine_or_the_model():
    workflow = case_workflow()
    case = FakeCase()
    workflow.fire(case, "screen")
    case.participant_facts.clear()
    with pytest.raises(GuardNotMet):  # a refusal registers nothing either
        workflow.fire(case, "prepare")
    assert workflow._machine.models == []
    assert set(vars(case)) == {f.name for f in fields(FakeCase)}


def test_the_machine_fires_on_any_object_with_a_state():
    closing = SimpleNamespace(state="closing", paused_from=None)
    assert case_workflow().fire(closing, "pause", reason="other") == S.PAUSED
    assert closing.paused_from == S.CLOSING
    assert case_workflow()._machine.models == []


def _run_case_many_times(index: int, barrier: threading.Barrier, log: list[int]) -> FakeCase:
    """Drive one case round and round its workflow, checking every step; return it at the end."""
    workflow = case_workflow()
    modality = list(Modality)[index % len(Modality)]
    other = list(Modality)[(index + 1) % len(Modality)]
    who = HARMED_ID if index % 2 else RESPONSIBLE_ID
    case = FakeCase(modality=modality.value)

    def step(trigger: str, expected: str, **arguments: object) -> None:
        assert workflow.fire(case, trigger, **arguments) == expected
        assert case.state == expected
        log.append(index)
        time.sleep(0)  # let another thread in between events too

    barrier.wait()
    step("screen", S.ASSESSMENT)
    for _ in range(ROUNDS):
        step("prepare", S.PREPARATION)
        step("pause", S.PAUSED, reason="wellbeing")
        step("resume", S.PREPARATION)
        step("begin", modality.dialogue_state)
        step("change_modality", other.dialogue_state, modality=other.value)
        step("pause", S.PAUSED, reason="participant_request")
        step("resume", other.dialogue_state)
        step("change_modality", modality.dialogue_state, modality=modality.value)
        step("withdraw", S.CLOSED, reason="participant_choice", participant_id=who)
        step("reopen", S.ASSESSMENT, participant_id=who)
        with pytest.raises(GuardNotMet) as refusal:  # the withdrawer consents again, everyone is reassessed
            workflow.fire(case, "prepare")
        assert refusal.value.unmet == ("all_consented", "safety_cleared")
        case.participant(who).consent = Consent.GIVEN.value
        for person in case.participant_facts:
            person.safety = Safety.CLEARED.value
        log.append(index)
    step("prepare", S.PREPARATION)
    step("begin", modality.dialogue_state)
    step("conclude", S.CLOSING)
    step("close", S.CLOSED, reason="dialogue_completed")
    return case


@pytest.mark.usefixtures("frequent_thread_switches")
def test_one_shared_machine_fires_correctly_from_eight_threads_at_once():
    workflow = case_workflow()
    barrier = threading.Barrier(THREADS)
    log: list[int] = []
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_run_case_many_times, index, barrier, log) for index in range(THREADS)]
        cases = [future.result(timeout=120) for future in futures]

    for index, case in enumerate(cases):
        modality = list(Modality)[index % len(Modality)]
        assert (case.state, case.outcome, case.modality) == (S.CLOSED, Outcome.COMPLETED, modality)
        assert case.paused_from is None
        assert case.withdrawn_by_participant_id is None
        assert all(p.consent == Consent.GIVEN for p in case.participant_facts)
    assert len(log) == THREADS * (ROUNDS * 11 + 5)
    switches = sum(1 for before, after in itertools.pairwise(log) if before != after)
    assert switches > THREADS * 10, "the threads ran one after the other; nothing was tested"
    assert workflow._machine.models == []
    assert workflow is case_workflow()
