"""Closed cases of the past, in bulk, for the statistics page (the demo) and its benchmark.

A real case takes months of service calls; the demo needs dozens of them and the benchmark 100,000. So the rows
are written with Core inserts, but as the services would leave them: each case's audit chain is built with
``mediation.audit.chain`` (hash-chained, its head on the case row), so ``mediation verify-audit`` passes, and
sealed words are sealed under each case's key when a vault is given (the demo). The benchmark passes no vault:
its placeholder ciphertexts are never opened, the statistics never read them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import table
from mediation.models import CaseReferenceCounter, Role, User, case_chain
from mediation.models.content import new_record_id
from mediation.models.evaluation import QUESTIONS
from mediation.references import PREFIX
from mediation.runtime import Runtime
from mediation.services import users
from mediation.statistics import tallies
from workflows.agreements import AgreementItemKind, AgreementItemStatus, NeedKind, NeedStatus
from workflows.case_workflow import CASE_WORKFLOW_VERSION
from workflows.vocabulary import CaseState, Modality, Outcome

DEMO_CLOSED_CASES = 60
ARCHIVE_MEDIATOR = "mediator.former"  # the synthetic cases' mediator: an account nobody signs in with
COMMENTS = ("The mediator listened and never hurried me.", "I wish it had been quicker.",
            "Writing letters suited me better than a meeting.", "I got answers I had waited years for.",
            "The preparation meetings helped most.", "Hard, but I am glad I did it.")
# Outcome weights and where the case left the path (the steps it went through before closing).
_OUTCOMES = ((Outcome.COMPLETED, 12), (Outcome.WITHDRAWN, 3), (Outcome.DECLINED, 2), (Outcome.INELIGIBLE, 2),
             (Outcome.UNSUITABLE, 1))
_MODALITIES = ((Modality.WRITTEN, 6), (Modality.FACE_TO_FACE, 5), (Modality.RELAY, 2), (Modality.VIDEO, 1))
_DAYS = {CaseState.REQUESTED: (3, 20), CaseState.ASSESSMENT: (10, 60), CaseState.PREPARATION: (20, 120),
         CaseState.CLOSING: (5, 30)}
_DIALOGUE_DAYS = (15, 150)


@dataclass
class _Plan:
    """One case's history: the states it went through, each with the days spent in it."""

    outcome: Outcome
    modality: Modality | None
    steps: list[tuple[CaseState, float]] = field(default_factory=list)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _plan(rng: random.Random) -> _Plan:
    outcome: Outcome = _pick(rng, _OUTCOMES)
    modality: Modality | None = _pick(rng, _MODALITIES)
    path = [CaseState.REQUESTED]
    if outcome is not Outcome.INELIGIBLE:
        path.append(CaseState.ASSESSMENT)
    if outcome in (Outcome.COMPLETED, Outcome.WITHDRAWN, Outcome.UNSUITABLE):
        path.append(CaseState.PREPARATION)
    if outcome in (Outcome.COMPLETED, Outcome.WITHDRAWN) and modality is not None:
        path.append(modality.dialogue_state)
    if outcome is Outcome.COMPLETED:
        path.append(CaseState.CLOSING)
    if outcome in (Outcome.INELIGIBLE, Outcome.DECLINED):
        modality = None
    plan = _Plan(outcome, modality)
    for state in path:
        low, high = _DAYS.get(state, _DIALOGUE_DAYS)
        plan.steps.append((state, rng.uniform(low, high)))
    return plan


_TRIGGERS = {CaseState.ASSESSMENT: AuditTag.SCREEN, CaseState.PREPARATION: AuditTag.PREPARE,
             CaseState.CLOSING: AuditTag.CONCLUDE}


def _transition_tag(source: CaseState, target: CaseState, outcome: Outcome) -> AuditTag:
    if target == CaseState.CLOSED:
        return {Outcome.INELIGIBLE: AuditTag.SCREEN, Outcome.DECLINED: AuditTag.DECLINE,
                Outcome.WITHDRAWN: AuditTag.WITHDRAW}.get(outcome, AuditTag.CLOSE)
    return AuditTag.BEGIN if target.startswith("dialogue_") else _TRIGGERS[target]


def _reserve_references(session: Session, year: int, count: int) -> Iterator[str]:
    """A block of ``count`` references for ``year``, taken from the same counter the services use."""
    last = session.execute(update(CaseReferenceCounter).where(CaseReferenceCounter.year == year)
                           .values(last_number=CaseReferenceCounter.last_number + count)
                           .returning(CaseReferenceCounter.last_number)).scalar_one_or_none()
    if last is None:
        last = count
        session.execute(insert(CaseReferenceCounter).values(year=year, last_number=last))
    return (f"{PREFIX}-{year}-{number:05d}" for number in range(last - count + 1, last + 1))


class _Sealer:
    """Seals under the case's key with a vault (the demo); a placeholder without (the benchmark)."""

    def __init__(self, session: Session, vault: Vault | None) -> None:
        self.session, self.vault = session, vault

    def __call__(self, context: RecordContext, text: str) -> bytes:
        return b"synthetic" if self.vault is None else self.vault.seal_text(self.session, context, text)


def _case_rows(session: Session, plans: list[tuple[_Plan, datetime]], rng: random.Random,
               mediator: User) -> list[dict[str, Any]]:
    by_year: dict[int, list[int]] = {}
    rows: list[dict[str, Any]] = []
    for index, (plan, closed_at) in enumerate(plans):
        created = closed_at - timedelta(days=sum(days for _, days in plan.steps))
        by_year.setdefault(created.year, []).append(index)
        rows.append({"workflow_version": CASE_WORKFLOW_VERSION, "origin": rng.choice(
            ("harmed_party_request", "offender_request")), "state": CaseState.CLOSED.value,
            "modality": plan.modality.value if plan.modality else None, "outcome": plan.outcome.value,
            "assigned_mediator_id": mediator.id, "created_at": created, "updated_at": closed_at,
            "closed_at": closed_at, "audit_head_seq": 0, "version": len(plan.steps) + 1, "read_receipts": False})
    for year, indexes in by_year.items():
        for index, reference in zip(indexes, _reserve_references(session, year, len(indexes)), strict=True):
            rows[index]["reference"] = reference
    return rows


def _chain(case_id: int, created: datetime, plan: _Plan, mediator: User) -> list[dict[str, Any]]:
    """The case's audit chain: received, then one entry per transition, as ``workflow.fire`` writes them."""
    moment = created
    chain = [audit.next_entry(AuditTag.REQUEST_RECEIVED, chain=case_chain(case_id), head=(0, None), actor=None,
                              now=moment, case_id=case_id, to_state=CaseState.REQUESTED.value)]
    targets = [state for state, _ in plan.steps[1:]] + [CaseState.CLOSED]
    for (state, days), target in zip(plan.steps, targets, strict=True):
        moment += timedelta(days=days)
        details = {"outcome": plan.outcome.value} if target == CaseState.CLOSED else None
        previous = chain[-1]
        chain.append(audit.next_entry(_transition_tag(state, target, plan.outcome), chain=case_chain(case_id),
                                      head=(previous["seq"], previous["entry_hash"]), actor=mediator, now=moment,
                                      case_id=case_id, from_state=state.value, to_state=target.value,
                                      details=details))
    return chain


@dataclass
class _Content:
    """The needs, agreements and answers of the synthetic cases, gathered for one bulk insert per table."""

    rng: random.Random
    seal: _Sealer
    mediator: User
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {
        "participant_needs": [], "agreements": [], "agreement_items": [], "evaluations": []})

    def add(self, case_id: int, plan: _Plan, created: datetime, closed_at: datetime, people: tuple[int, int]) -> None:
        if CaseState.PREPARATION not in [state for state, _ in plan.steps]:
            return
        for _ in range(self.rng.randint(1, 3)):
            self._need(case_id, people[0], created, closed_at)
        if plan.outcome is Outcome.COMPLETED and self.rng.random() < 0.7:
            self._agreement(case_id, people[1], closed_at)
        for person in people:
            if self.rng.random() < 0.6:
                self._answer(case_id, person, closed_at)

    def _need(self, case_id: int, person: int, created: datetime, closed_at: datetime) -> None:
        statuses = [s.value for s in NeedStatus if s is not NeedStatus.OPEN] * 3 + [NeedStatus.ANSWERED.value] * 4
        need = {"id": new_record_id(), "case_id": case_id, "participant_id": person, "created_at": created,
                "kind": self.rng.choice([k.value for k in NeedKind]), "recorded_by_id": self.mediator.id,
                "status": self.rng.choice(statuses), "status_changed_at": closed_at}
        need["sealed_text"] = self.seal(RecordContext(case_id, "need", need["id"], self.mediator.id, "text"),
                                        "A question the person brought to the dialogue.")
        self.rows["participant_needs"].append(need)

    def _agreement(self, case_id: int, responsible: int, closed_at: datetime) -> None:
        agreed = closed_at - timedelta(days=30)
        agreement = {"id": new_record_id(), "case_id": case_id, "agreed_on": agreed.date(),
                     "recorded_by_id": self.mediator.id, "created_at": agreed}
        self.rows["agreements"].append(agreement)
        statuses = ([AgreementItemStatus.COMPLETED.value] * 5 + [AgreementItemStatus.PARTLY_COMPLETED.value] * 2
                    + [AgreementItemStatus.NOT_COMPLETED.value])
        for _ in range(self.rng.randint(1, 3)):
            item = {"id": new_record_id(), "agreement_id": agreement["id"], "case_id": case_id,
                    "kind": self.rng.choice([k.value for k in AgreementItemKind]), "status": self.rng.choice(statuses),
                    "responsible_participant_id": responsible, "due_on": (closed_at - timedelta(days=5)).date(),
                    "recorded_by_id": self.mediator.id, "created_at": agreed, "settled_at": closed_at}
            item["sealed_what"] = self.seal(RecordContext(case_id, "agreement_item", item["id"], self.mediator.id,
                                                          "what"), "Something one person agreed to do.")
            self.rows["agreement_items"].append(item)

    def _answer(self, case_id: int, person: int, closed_at: datetime) -> None:
        answer: dict[str, Any] = {"id": new_record_id(), "case_id": case_id, "participant_id": person,
                                  "answered_at": closed_at + timedelta(days=2), "sealed_comment": None}
        for question, choices in QUESTIONS.items():
            answer[question] = self.rng.choice([choices[0]] * 4 + list(choices) + [None])
        if self.rng.random() < 0.3:
            answer["sealed_comment"] = self.seal(RecordContext(case_id, "evaluation", answer["id"], None, "comment"),
                                                 self.rng.choice(COMMENTS))
        self.rows["evaluations"].append(answer)


def insert_closed_cases(session: Session, count: int, *, mediator: User, closed_from: datetime,
                        closed_until: datetime, seed: int = 9, vault: Vault | None = None) -> None:
    """``count`` closed cases, closed between the two dates, with varied outcomes, modalities, step times, needs,
    agreement items and questionnaire answers; every case's audit chain verifies, and the statistics tallies
    count them."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible on purpose
    span = (closed_until - closed_from).total_seconds()
    plans = [(_plan(rng), closed_from + timedelta(seconds=rng.uniform(0, span))) for _ in range(count)]
    rows = _case_rows(session, plans, rng, mediator)
    cases, participants = table("cases"), table("participants")
    ids = session.execute(insert(cases).returning(cases.c.id, sort_by_parameter_order=True), rows).scalars().all()
    entries, heads, people = [], [], []
    for case_id, row, (plan, _) in zip(ids, rows, plans, strict=True):
        chain = _chain(case_id, row["created_at"], plan, mediator)
        entries.extend(chain)
        heads.append({"b_id": case_id, "b_seq": chain[-1]["seq"], "b_hash": chain[-1]["entry_hash"],
                      "b_updated": chain[-1]["occurred_at"]})
        for side, relationship in (("harmed", "victim"), ("responsible", "offender")):
            people.append({"case_id": case_id, "side": side, "relationship": relationship, "role": "primary",
                           "consent": "given", "safety": "cleared", "created_at": row["created_at"]})
    session.execute(insert(table("audit_entries")), entries)
    # The chains are named after the ids, so the heads are set once the ids are known.
    session.execute(update(cases).where(cases.c.id == bindparam("b_id")).values(
        audit_head_seq=bindparam("b_seq"), audit_head_hash=bindparam("b_hash"), updated_at=bindparam("b_updated")),
        heads)
    person_ids = session.execute(insert(participants).returning(participants.c.id, sort_by_parameter_order=True),
                                 people).scalars().all()
    content = _Content(rng, _Sealer(session, vault), mediator)
    for index, (case_id, row, (plan, closed_at)) in enumerate(zip(ids, rows, plans, strict=True)):
        content.add(case_id, plan, row["created_at"], closed_at, (person_ids[2 * index], person_ids[2 * index + 1]))
    for name, found in content.rows.items():
        if found:
            session.execute(insert(table(name)), found)
    tallies.tally_new_cases(session.connection(), ids)  # the statistics count them as if closed by the services


def load_statistics_demo(runtime: Runtime) -> None:
    """Dozens of cases closed this year, for the coordinator's statistics page (some cells above 5, some hidden)."""
    now = datetime.now(UTC)
    with runtime.transaction() as s:
        mediator = users.create_user(s, None, username=ARCHIVE_MEDIATOR, display_name="Former Mediator",
                                     role=Role.MEDIATOR.value, password=None)
        insert_closed_cases(s, DEMO_CLOSED_CASES, mediator=mediator, vault=runtime.vault,
                            closed_from=datetime(now.year, 1, 1, tzinfo=UTC), closed_until=now - timedelta(days=3))

