"""A workflow definition as data, and one shared ``transitions`` machine per definition.

Case rows are never registered on the machine: events are fired on the model passed in. With no event queue,
firing mutates nothing on the machine itself, so one instance serves every thread of the process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from transitions import EventData, Machine

from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed
from workflows.words import Code, Words, codes


class StatefulModel(Protocol):
    state: str


Arguments = Mapping[str, Any]
# What a trigger's arguments are called when one is missing.
ARGUMENT_NAMES: Mapping[str, Words] = {
    "participant_id": Words("participant id"), "note": Words("note"), "redacted_text": Words("redacted text"),
    "modality": Words("modality"), "outcome": Words("outcome"),
}


@dataclass(frozen=True)
class Guard:
    """A named condition over a model and the trigger's arguments, testable on its own."""

    name: str
    explanation: Words  # says what is missing when the guard fails (a literal template is made a Words)
    predicate: Callable[[Any, Arguments], bool]
    uses_arguments: bool = False  # cannot be judged before the caller supplies the arguments
    # Says what is missing in this very case (e.g. who has a safety concern); ``explanation`` when absent.
    explain: Callable[[Any, Arguments], Words] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.explanation, str):
            object.__setattr__(self, "explanation", Words(self.explanation))

    def __call__(self, event: EventData) -> bool:
        return self.predicate(event.model, event.kwargs)

    def holds(self, model: Any, arguments: Arguments | None = None) -> bool:
        return self.predicate(model, arguments or {})

    def explanation_for(self, model: Any, arguments: Arguments | None = None) -> str | Words:
        """What is missing for ``model``: the specific explanation when the guard has one."""
        return self.explanation if self.explain is None else self.explain(model, arguments or {})


@dataclass(frozen=True)
class TransitionContext:
    source: str
    dest: str
    arguments: Arguments


Effect = Callable[[Any, TransitionContext], None]


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    source: str
    dest: str
    guards: tuple[Guard, ...] = ()
    unless: tuple[Guard, ...] = ()  # guards that must NOT hold
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class TriggerSpec:
    """What a trigger needs from the caller, so services and UIs ask for it before firing."""

    name: str
    label: str
    reasons: tuple[str, ...] = ()  # allowed reason codes; non-empty means a reason is required
    required: tuple[str, ...] = ()  # other argument names the trigger needs
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def needs_reason(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    subject: str  # what moves through it, for messages: "case", "message"
    version: str
    states: tuple[str, ...]
    initial: str
    final_states: tuple[str, ...]
    triggers: Mapping[str, TriggerSpec]
    transitions: tuple[TransitionSpec, ...]


def _effect_callback(effect: Effect) -> Callable[[EventData], None]:
    def run(event: EventData) -> None:
        transition = event.transition
        assert transition is not None
        effect(event.model, TransitionContext(transition.source, str(transition.dest), event.kwargs))

    return run


def _negated(guard: Guard) -> Guard:
    return Guard(f"not {guard.name}", Words("not (%(condition)s)", condition=guard.explanation),
                 lambda m, a: not guard.predicate(m, a),
                 guard.uses_arguments)


class SharedWorkflow:
    """Fires the triggers of one definition on any number of unregistered models."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._machine = Machine(
            model=None,
            # Plain strings: transitions would name Enum states by their member names, not their values.
            states=[str(state) for state in definition.states],
            initial=str(definition.initial),
            transitions=[
                {
                    "trigger": spec.trigger,
                    "source": str(spec.source),
                    "dest": str(spec.dest),
                    "conditions": list(spec.guards),
                    "unless": list(spec.unless),
                    "after": [_effect_callback(e) for e in spec.effects],
                }
                for spec in definition.transitions
            ],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
            queued=False,
        )
        self._specs_by_source: dict[tuple[str, str], tuple[TransitionSpec, ...]] = {}
        for spec in definition.transitions:
            key = (spec.source, spec.trigger)
            self._specs_by_source[key] = (*self._specs_by_source.get(key, ()), spec)
        self._triggers_by_state = {
            state: tuple(t for t in definition.triggers if (state, t) in self._specs_by_source)
            for state in definition.states
        }

    @property
    def version(self) -> str:
        return self.definition.version

    def triggers_from(self, state: str) -> tuple[str, ...]:
        """Triggers that exist in ``state``, whatever their guards say, in definition order."""
        return self._triggers_by_state.get(state, ())

    def validate_arguments(self, trigger: str, arguments: Arguments) -> None:
        spec = self.definition.triggers[trigger]
        unexpected = set(arguments) - set(spec.required) - ({"reason"} if spec.needs_reason else set())
        if unexpected:
            raise InvalidArguments("'%(action)s' does not take %(names)s.", action=Code(trigger),
                                   names=codes(sorted(unexpected)))
        if spec.needs_reason:
            reason = arguments.get("reason")
            if not reason:
                raise InvalidArguments("'%(action)s' needs a reason; choose one of: %(choices)s.",
                                       action=Code(trigger), choices=codes(spec.reasons))
            if reason not in spec.reasons:
                raise InvalidArguments("'%(value)s' is not a reason for '%(action)s'; choose one of: %(choices)s.",
                                       value=str(reason)[:80], action=Code(trigger), choices=codes(spec.reasons))
        for name in spec.required:
            if arguments.get(name) in (None, ""):
                raise InvalidArguments("'%(action)s' needs %(what)s.", action=Code(trigger),
                                       what=ARGUMENT_NAMES.get(name, Code(name)))
            allowed = spec.choices.get(name)
            if allowed and arguments[name] not in allowed:
                raise InvalidArguments("'%(value)s' is not a valid %(what)s for '%(action)s'; choose one of: "
                                       "%(choices)s.", value=str(arguments[name])[:80],
                                       what=ARGUMENT_NAMES.get(name, Code(name)), action=Code(trigger),
                                       choices=codes(allowed))

    def unmet_guards(self, model: StatefulModel, trigger: str, arguments: Arguments | None = None,
                     *, judge_arguments: bool = True) -> tuple[Guard, ...]:
        """Guards that keep ``trigger`` from firing now; empty when it can fire.

        With several candidate transitions, report the one closest to firing (fewest guards unmet); on a tie,
        what they all lack, or else the path this case is on (the one with most guards met).
        """
        arguments = arguments or {}
        candidates = self._specs_by_source.get((model.state, trigger), ())
        if not candidates:
            raise TriggerNotAllowed(trigger, model.state, self.triggers_from(model.state), self.definition.subject)
        failures: list[tuple[int, tuple[Guard, ...]]] = []  # (guards met, guards unmet) per candidate
        for spec in candidates:
            checks = (*spec.guards, *(_negated(g) for g in spec.unless))
            failed = tuple(g for g in checks
                           if (judge_arguments or not g.uses_arguments) and not g.holds(model, arguments))
            if not failed:
                return ()
            failures.append((len(checks) - len(failed), failed))
        fewest = min(len(f) for _, f in failures)
        tied = [(met, f) for met, f in failures if len(f) == fewest]
        common = [g for g in tied[0][1] if all(g.name in {h.name for h in other} for _, other in tied[1:])]
        return tuple(common or max(tied, key=lambda candidate: candidate[0])[1])

    def fire(self, model: StatefulModel, trigger: str, **arguments: Any) -> str:
        """Fire ``trigger`` on ``model`` and return the new state; raise if it is refused."""
        if trigger not in self._triggers_by_state.get(model.state, ()):
            raise TriggerNotAllowed(trigger, model.state, self.triggers_from(model.state), self.definition.subject)
        self.validate_arguments(trigger, arguments)
        if not self._machine.events[trigger].trigger(model, **arguments):
            unmet = self.unmet_guards(model, trigger, arguments)
            raise GuardNotMet(trigger, [g.name for g in unmet], [g.explanation_for(model, arguments) for g in unmet])
        return model.state


class Versions:
    """Every version of one workflow this installation still runs, each with its one process-wide machine.

    A case (a circle, a referral...) keeps the version it started under, so a new version goes beside the old
    one. ``unknown`` builds the refusal for a version not here: each workflow names its own subject in it.
    """

    def __init__(self, *definitions: WorkflowDefinition) -> None:
        self.definitions: Mapping[str, WorkflowDefinition] = {d.version: d for d in definitions}
        self._machines: dict[str, SharedWorkflow] = {}

    @property
    def known(self) -> str:
        return ", ".join(self.definitions)

    def machine(self, version: str, unknown: Callable[[], Exception]) -> SharedWorkflow:
        if version not in self.definitions:
            raise unknown()
        machine = self._machines.get(version)
        if machine is None:  # two threads may build one each; every caller then gets the one kept
            machine = self._machines.setdefault(version, SharedWorkflow(self.definitions[version]))
        return machine
