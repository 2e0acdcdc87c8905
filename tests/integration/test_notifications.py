"""Notifications that carry no content (issue 10, part 3) against a real SMTP server started by the tests, on
SQLite and PostgreSQL: who gets an e-mail and in which language, the Message-ID that is the outbox's idempotency
key, quiet hours in the person's own time zone, a server that is down or refusing, a person who chose nothing,
bad choices refused, addresses resealed by key rotation, the digest, invitations by e-mail, and the leak test:
no canary of a case's content in any e-mail sent or any outbox row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from config import load_settings
from config.timing import Mail
from mediation.audit import AuditTag
from mediation.crypto.keyring import new_kek
from mediation.errors import InvalidInput
from mediation.keyfiles import ensure_instance
from mediation.models import (
    AuditEntry,
    Notice,
    NoticeKind,
    NotificationPreference,
    OutboxEvent,
    OutboxMessage,
    OutboxState,
    User,
)
from mediation.moments import aware
from mediation.notifications import digest, health, invitation_mail, outbox, preferences, sending, smtp, wording
from mediation.notifications.preferences import Choice
from mediation.notifications.quiet_hours import quiet_end
from mediation.runtime import Runtime, open_runtime
from mediation.services import keys as keyservice
from mediation.services import private_line
from mediation.services.listing import ListQuery
from mediation.services.lookup import find_case
from mediation.timers import runner
from tests.integration.dialogue_steps import dialogue_of
from tests.integration.test_messages import Relay, link_accounts
from tests.mail_server import MailServer
from workflows.vocabulary import CaseState

HARMED_ADDRESS = "dana@example.org"
OFFENDER_ADDRESS = "sam@example.org"
NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer().up()
    yield server
    server.down()


@pytest.fixture
def runtime(environment: dict[str, str], tmp_path, mail_server: MailServer) -> Iterator[Runtime]:
    """The tests' runtime, sending to the tests' SMTP server, giving up after 3 attempts."""
    settings = load_settings({**environment, **mail_server.environment(), "MEDIATION_SMTP_MAX_ATTEMPTS": "3",
                              "MEDIATION_PUBLIC_URL": "https://mediation.example.org"}, cwd=tmp_path)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


def choose(runtime: Runtime, user: User, channel: str = "email", address: str = "", **fields: str) -> None:
    with runtime.transaction() as session:
        preferences.set_my_preference(session, runtime.vault.keyring, user,
                                      Choice(channel=channel, address=address, **fields))


def rows(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.transaction(read_only=True) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def send(runtime: Runtime, now: datetime | None = None) -> sending.Sent:
    return sending.send_due(runtime, 50, now)


@pytest.fixture
def relay(runtime, actors, make_case) -> Relay:
    return link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))


def deliver(relay: Relay, author: User, text: str = "Words for the other side.") -> str:
    message_id = relay.submit(author, text)
    relay.review(message_id, "approve")
    return message_id


# --- what arrives, to whom, in which language -----------------------------------------------------------------

def test_a_delivered_message_tells_its_recipient_only_and_says_nothing_more(runtime, actors, relay, mail_server):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    choose(runtime, actors.offender_user, address=OFFENDER_ADDRESS)
    relay.submit(actors.offender_user, "Still waiting for review.")
    assert rows(runtime) == []  # submitted is not delivered: nothing yet
    deliver(relay, actors.offender_user)

    assert send(runtime).sent == 1
    [mail] = mail_server.received
    assert mail["To"] == HARMED_ADDRESS
    assert mail["Subject"] == "There is something new for you"
    assert "https://mediation.example.org/portal/" in mail.get_content()
    [row] = rows(runtime)
    assert (row.state, row.event, row.user_id) == (OutboxState.SENT, OutboxEvent.SOMETHING_NEW, actors.harmed_user.id)
    assert mail["Message-ID"] == sending.message_id_of(runtime, row.idempotency_key)
    assert send(runtime).total == 0 and len(mail_server.received) == 1  # sent once


def test_the_email_is_in_the_recipients_language(runtime, actors, relay, mail_server, monkeypatch):
    french = {wording.SUBJECTS[OutboxEvent.SOMETHING_NEW].text: "Il y a du nouveau pour vous",
              wording.BODIES[OutboxEvent.SOMETHING_NEW].text: "Bonjour, du nouveau : %(link)s"}

    class Catalogue:
        def gettext(self, text: str) -> str:
            return french.get(text, text)

    real = wording.catalogue
    monkeypatch.setattr(wording, "catalogue", lambda language: Catalogue() if language == "fr" else real(language))
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS, language="fr")
    choose(runtime, actors.offender_user, address=OFFENDER_ADDRESS, language="en")
    deliver(relay, actors.offender_user)
    deliver(relay, actors.harmed_user)
    send(runtime)
    [to_harmed] = mail_server.to(HARMED_ADDRESS)
    [to_offender] = mail_server.to(OFFENDER_ADDRESS)
    assert (to_harmed["Subject"], to_harmed["Content-Language"]) == ("Il y a du nouveau pour vous", "fr")
    assert to_harmed.get_content().strip() == "Bonjour, du nouveau : https://mediation.example.org/portal/"
    assert (to_offender["Subject"], to_offender["Content-Language"]) == ("There is something new for you", "en")


def test_the_worker_reads_the_web_uis_compiled_french_catalogue():
    """Without Flask: the e-mails' sentences turn French as soon as the catalogue translates them."""
    assert wording.catalogue("fr").gettext("Sign in") == "Se connecter"  # a sentence the catalogue has
    assert wording.catalogue("en").gettext("Sign in") == "Sign in"
    text = wording.compose(OutboxEvent.SOMETHING_NEW, "fr", "https://x.example.org")
    assert "https://x.example.org/portal/" in text.body


def test_a_person_who_chose_romanian_gets_the_email_in_romanian(runtime, actors, relay, mail_server):
    """The real compiled catalogue, as the worker reads it: Romanian subject and body, the English to the other."""
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS, language="ro", time_zone="Europe/Bucharest")
    choose(runtime, actors.offender_user, address=OFFENDER_ADDRESS, language="en")
    deliver(relay, actors.offender_user)
    deliver(relay, actors.harmed_user)
    send(runtime)
    [to_harmed] = mail_server.to(HARMED_ADDRESS)
    [to_offender] = mail_server.to(OFFENDER_ADDRESS)
    assert (to_harmed["Subject"], to_harmed["Content-Language"]) == ("Aveți ceva nou", "ro")
    body = to_harmed.get_content()
    assert body.startswith("Bună ziua,") and "https://mediation.example.org/portal/" in body
    assert "Acest e-mail nu spune nimic mai mult, intenționat." in body and "Hello" not in body
    assert (to_offender["Subject"], to_offender["Content-Language"]) == ("There is something new for you", "en")


@pytest.mark.parametrize(("language", "sign_in"), [("fr", "Se connecter"), ("ro", "Conectare")])
def test_the_worker_reads_every_compiled_catalogue(language, sign_in):
    assert wording.catalogue(language).gettext("Sign in") == sign_in
    text = wording.compose(OutboxEvent.DIGEST, language, "https://x.example.org", count="3")
    assert "https://x.example.org/login" in text.body and "3" in text.body and "Hello" not in text.body


def test_news_coalesces_and_a_retried_event_enqueues_nothing_twice(runtime, actors, relay):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    deliver(relay, actors.offender_user)
    deliver(relay, actors.offender_user, "A second message.")
    assert len(rows(runtime)) == 1  # one "something new" waiting is enough
    with runtime.transaction() as session:
        key = outbox.idempotency_key(OutboxEvent.DIGEST, "user-1", "day-2026-12-04")
        assert outbox.insert_once(session, OutboxEvent.DIGEST, key, NOON, user_id=actors.mediator.id)
        assert not outbox.insert_once(session, OutboxEvent.DIGEST, key, NOON, user_id=actors.mediator.id)
    assert len(rows(runtime)) == 2


def test_a_private_reply_and_a_closure_tell_the_participants(runtime, actors, make_case, mail_server):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.CLOSING))
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    choose(runtime, actors.offender_user, address=OFFENDER_ADDRESS)
    dialogue.sealed(private_line.reply_to_participant, participant_id=dialogue.harmed_id, text="Only for you.")
    assert [r.user_id for r in rows(runtime)] == [actors.harmed_user.id]
    send(runtime)
    dialogue.close()
    assert sorted(r.user_id for r in rows(runtime) if r.state == OutboxState.QUEUED) == sorted(
        [actors.harmed_user.id, actors.offender_user.id])
    send(runtime)
    assert sorted(m["To"] for m in mail_server.received) == sorted([HARMED_ADDRESS, HARMED_ADDRESS, OFFENDER_ADDRESS])


def test_nobody_who_chose_nothing_is_queued_and_a_change_of_mind_drops_what_waits(runtime, actors, relay,
                                                                                  mail_server):
    deliver(relay, actors.offender_user)
    assert rows(runtime) == []  # no preference: nothing
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    deliver(relay, actors.offender_user)
    choose(runtime, actors.harmed_user, channel="none")
    assert send(runtime).dropped == 1
    [row] = rows(runtime)
    assert (row.state, row.last_error) == (OutboxState.DROPPED, "chose_none")
    assert mail_server.received == []
    with runtime.transaction(read_only=True) as session:
        kept = session.get(NotificationPreference, actors.harmed_user.id)
        assert kept is not None and kept.sealed_email is None  # the address is forgotten too


# --- quiet hours ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "zone", "quiet", "end"), [
    (datetime(2026, 12, 4, 4, 0, tzinfo=UTC), "America/Montreal", ("22:00", "07:00"),
     datetime(2026, 12, 4, 12, 0, tzinfo=UTC)),  # 23:00 there, across midnight: until 07:00 tomorrow there
    (datetime(2026, 12, 4, 10, 0, tzinfo=UTC), "America/Montreal", ("22:00", "07:00"),
     datetime(2026, 12, 4, 12, 0, tzinfo=UTC)),  # 05:00 there: the morning part
    (datetime(2026, 12, 4, 13, 0, tzinfo=UTC), "America/Montreal", ("22:00", "07:00"), None),  # 08:00 there
    (datetime(2026, 12, 4, 9, 0, tzinfo=UTC), "Europe/Paris", ("09:00", "17:00"),
     datetime(2026, 12, 4, 16, 0, tzinfo=UTC)),  # 10:00 there, inside a day-time quiet period
    (datetime(2026, 12, 4, 16, 0, tzinfo=UTC), "Europe/Paris", ("09:00", "17:00"), None),  # 17:00 there: over
    (datetime(2026, 7, 4, 3, 0, tzinfo=UTC), "Europe/Paris", ("22:00", "07:00"),
     datetime(2026, 7, 4, 5, 0, tzinfo=UTC)),  # summer time: 05:00 there, until 07:00 = 05:00 UTC
    (datetime(2026, 11, 1, 6, 15, tzinfo=UTC), "America/New_York", ("00:30", "01:30"),
     datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),  # clocks went back: 01:15 the second time, until the second 01:30
    (datetime(2026, 11, 1, 5, 15, tzinfo=UTC), "America/New_York", ("00:30", "01:30"),
     datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # ... and the first time, until the first 01:30
])
def test_quiet_hours_are_read_in_the_persons_own_time_zone(now, zone, quiet, end):
    start, until = (time.fromisoformat(t) for t in quiet)
    assert quiet_end(now, zone, start, until) == end


def test_a_message_due_in_quiet_hours_waits_for_their_end(runtime, actors, relay, mail_server):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS, time_zone="America/Montreal",
           quiet_from="22:00", quiet_until="07:00")
    deliver(relay, actors.offender_user)
    late_evening = datetime(2099, 12, 4, 4, 0, tzinfo=UTC)  # 23:00 in Montreal
    assert send(runtime, late_evening).deferred == 1
    [row] = rows(runtime)
    assert aware(row.next_attempt_at) == late_evening.replace(hour=12)  # 07:00 in Montreal
    assert send(runtime, late_evening.replace(hour=11, minute=59)).total == 0
    assert mail_server.received == []
    with runtime.transaction(read_only=True) as session:  # held back on purpose: not shown as late
        assert health.counts(session, actors.admin, now=late_evening.replace(hour=11)).oldest_due_age is None
        assert health.counts(session, actors.admin, now=late_evening.replace(hour=13)).oldest_due_age is not None
    assert send(runtime, late_evening.replace(hour=12)).sent == 1
    assert [m["To"] for m in mail_server.received] == [HARMED_ADDRESS]


# --- faults ------------------------------------------------------------------------------------------------------

def test_a_server_that_is_down_leaves_the_message_queued_with_backoff_then_it_goes_once(runtime, actors, relay,
                                                                                       mail_server):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    deliver(relay, actors.offender_user)
    mail_server.down()
    start = datetime.now(UTC) + timedelta(minutes=1)
    assert send(runtime, start).failed == 1
    [row] = rows(runtime)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.QUEUED, 1, "unreachable")
    assert aware(row.next_attempt_at) == start + timedelta(minutes=1)
    assert send(runtime, start + timedelta(seconds=59)).total == 0  # not before its time
    assert send(runtime, start + timedelta(minutes=1)).failed == 1
    [row] = rows(runtime)
    assert row.attempts == 2 and aware(row.next_attempt_at) == start + timedelta(minutes=3)  # 2 minutes later
    mail_server.up()
    assert send(runtime, start + timedelta(minutes=3)).sent == 1
    assert len(mail_server.received) == 1 and rows(runtime)[0].state == OutboxState.SENT


@pytest.mark.parametrize("refusal", ["refuse_451", "refuse_554"])
def test_a_refusing_server_fails_the_message_after_the_last_attempt(runtime, actors, relay, mail_server, refusal):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    deliver(relay, actors.offender_user)
    mail_server.mode = refusal
    moment = datetime.now(UTC)
    for _ in range(3):
        moment += timedelta(hours=7)
        assert send(runtime, moment).failed == 1
    [row] = rows(runtime)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.FAILED, 3, f"smtp_{refusal[-3:]}")
    assert send(runtime, moment + timedelta(days=1)).total == 0
    with runtime.transaction(read_only=True) as session:
        seen = health.failing(session, actors.admin, ListQuery(size=10))
        totals = health.counts(session, actors.admin)
    assert [(r.id, r.attempts, r.last_error) for r in seen.items] == [(row.id, 3, row.last_error)]
    assert totals.by_state["failed"] == 1


def test_a_worker_that_dies_after_sending_sends_again_with_the_same_message_id(runtime, actors, relay,
                                                                               mail_server, monkeypatch):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    deliver(relay, actors.offender_user)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the worker dies between the SMTP conversation and recording it

    with monkeypatch.context() as patch:
        patch.setattr(sending, "_record_sent", killed)
        with pytest.raises(KeyboardInterrupt):
            send(runtime)
    assert send(runtime).total == 0  # leased: nobody takes it while the lease runs
    after_lease = datetime.now(UTC) + timedelta(seconds=runtime.settings.timing.lease_seconds + 1)
    assert send(runtime, after_lease).sent == 1
    assert len(mail_server.received) == 2  # at least once...
    assert len({m["Message-ID"] for m in mail_server.received}) == 1  # ... and the same message, not another


# --- choices refused --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "message"), [
    ({"address": "not an address"}, "not an e-mail address"),
    ({"address": "a@b.org, c@d.org"}, "not an e-mail address"),
    ({"address": "a@example.org\r\nBcc: x@evil.org"}, "not an e-mail address"),
    ({"address": ""}, "Write the e-mail address"),
    ({"address": "a\x00@example.org"}, "NUL"),
    ({"address": "a" * 250 + "@example.org"}, "too long"),
    ({"address": HARMED_ADDRESS, "time_zone": "Mars/Olympus"}, "no time zone called"),
    ({"address": HARMED_ADDRESS, "time_zone": "../../etc/passwd"}, "no time zone called"),
    ({"address": HARMED_ADDRESS, "time_zone": "Europe/" + "x" * 500}, "too long"),
    ({"address": HARMED_ADDRESS, "quiet_from": "22:00", "quiet_until": "22:00"}, "never end"),
    ({"address": HARMED_ADDRESS, "quiet_from": "22:00"}, "both the start and the end"),
    ({"address": HARMED_ADDRESS, "quiet_from": "25:00", "quiet_until": "07:00"}, "time of day"),
    ({"address": HARMED_ADDRESS, "language": "de"}, "Choose the"),
    ({"channel": "sms", "address": HARMED_ADDRESS}, "Choose the"),
])
def test_bad_choices_are_refused_with_a_message_and_change_nothing(runtime, actors, fields, message):
    choice = {"channel": "email", **fields}
    with pytest.raises(InvalidInput) as refused, runtime.transaction() as session:
        preferences.set_my_preference(session, runtime.vault.keyring, actors.harmed_user, Choice(**choice))
    assert message in str(refused.value)
    with runtime.transaction(read_only=True) as session:
        assert session.get(NotificationPreference, actors.harmed_user.id) is None


def test_a_choice_is_audited_without_the_address_and_read_back_by_its_owner_only(runtime, actors):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS, language="fr", time_zone="Europe/Paris",
           quiet_from="21:30", quiet_until="08:00")
    with runtime.transaction(read_only=True) as session:
        mine = preferences.my_preference(session, runtime.vault.keyring, actors.harmed_user)
        theirs = preferences.my_preference(session, runtime.vault.keyring, actors.offender_user)
        row = session.get(NotificationPreference, actors.harmed_user.id)
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.NOTIFICATIONS_SET)))
    assert (mine.address, mine.language, mine.quiet_from) == (HARMED_ADDRESS, "fr", time(21, 30))
    assert theirs.address is None and not theirs.by_email
    assert row is not None and HARMED_ADDRESS.encode() not in (row.sealed_email or b"")
    assert len(entries) == 1 and HARMED_ADDRESS not in entries[0].details


# --- keys ---------------------------------------------------------------------------------------------------------

def test_key_rotation_reseals_addresses_and_the_old_kek_is_then_retirable(runtime, actors, relay, mail_server):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    vault = runtime.vault
    old = vault.keyring.active
    vault.keyring = vault.keyring.with_new_active(*new_kek())
    with runtime.transaction() as session:
        assert keyservice.keys_in_use(session).get(old, 0) >= 1  # the address counts as sealed under the old KEK
        keyservice.check_all_open(session, vault)
        while keyservice.rewrap_batch(session, vault):
            pass
        row = session.get(NotificationPreference, actors.harmed_user.id)
        assert row is not None and row.kek_id == vault.keyring.active
        assert old not in keyservice.keys_in_use(session)
    vault.keyring = vault.keyring.without(old)
    deliver(relay, actors.offender_user)
    assert send(runtime).sent == 1 and mail_server.received[0]["To"] == HARMED_ADDRESS


# --- the digest ---------------------------------------------------------------------------------------------------

def test_the_daily_digest_counts_what_waits_and_is_armed_once_a_day(runtime, actors, relay, mail_server):
    choose(runtime, actors.mediator, address="mia@example.org")
    choose(runtime, actors.other_mediator, address="other@example.org")  # nothing waits for them
    relay.submit(actors.offender_user, "For review.")
    relay.submit(actors.harmed_user, "Also for review.")
    # Tomorrow, 06:00 UTC: before the digest hour, and before any of the case's own reminders is due (the
    # first, the invitations' expiry, is three days away), so only the digest fires here.
    morning = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(6, 0), tzinfo=UTC)
    runner.arrange_recurring(runtime, morning)
    runner.arrange_recurring(runtime, morning)
    assert runner.fire_due(runtime, limit=10, now=morning).total == 0  # not before the digest hour
    due = digest.next_digest(morning, runtime.settings.timing.digest_hour)
    assert runner.fire_due(runtime, limit=10, now=due).done == 1
    assert runner.fire_due(runtime, limit=10, now=due + timedelta(hours=1)).total == 0  # once that day
    assert send(runtime, due).sent == 1
    [mail] = mail_server.received
    assert mail["To"] == "mia@example.org"
    assert "Things waiting for your attention: 2." in mail.get_content()
    assert relay.reference not in mail.as_string()


def test_each_person_gets_the_digest_at_the_digest_hour_of_their_own_clock(runtime, actors, relay, mail_server):
    choose(runtime, actors.mediator, address="mia@example.org", time_zone="America/Montreal")
    relay.submit(actors.offender_user, "For review.")
    hour = runtime.settings.timing.digest_hour
    midnight = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(0, 0), tzinfo=UTC)
    due = digest.next_digest(midnight, hour, "America/Montreal")
    assert digest.local_time(due, "America/Montreal").hour == hour and due.hour != hour  # not the UTC hour
    queued_at = []
    for step in range(30):  # the worker's rounds, hour by hour, from midnight UTC
        moment = midnight + timedelta(hours=step)
        runner.arrange_recurring(runtime, moment - timedelta(minutes=5))
        runner.fire_due(runtime, limit=10, now=moment)
        if len(rows(runtime)) > len(queued_at):
            queued_at.append(moment)
    assert queued_at == [due]  # once, at 07:00 in Montreal, not at 07:00 UTC
    assert send(runtime, due).sent == 1 and mail_server.received[0]["To"] == "mia@example.org"


# --- invitations by e-mail -----------------------------------------------------------------------------------------

def test_an_invitation_goes_by_email_only_with_consent_and_its_code_is_wiped_once_sent(runtime, actors, make_case,
                                                                                         mail_server):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        participant_id = find_case(session, actors.mediator, reference).participants[0].id
    with pytest.raises(InvalidInput, match="agreed"), runtime.transaction() as session:
        invitation_mail.invite_by_email(session, runtime.vault.keyring, actors.mediator, reference,
                                        participant_id=participant_id, hours=48, address="p@example.org",
                                        agreed=False)
    with runtime.transaction() as session:
        invitation_mail.invite_by_email(session, runtime.vault.keyring, actors.mediator, reference,
                                        participant_id=participant_id, hours=48, address="p@example.org",
                                        agreed=True, language="en")
    [row] = rows(runtime)
    assert row.event == OutboxEvent.INVITATION and row.sealed_payload is not None
    assert b"p@example.org" not in row.sealed_payload
    assert send(runtime).sent == 1
    [mail] = mail_server.received
    assert mail["To"] == "p@example.org" and "https://mediation.example.org/activate" in mail.get_content()
    assert reference not in mail.as_string()
    [row] = rows(runtime)
    assert row.sealed_payload is None and row.kek_id is None
    with runtime.transaction(read_only=True) as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.INVITATION_EMAILED))
    assert "p@example.org" not in entry.details


def test_an_invitation_in_romanian_is_written_in_romanian(runtime, actors, make_case, mail_server):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        participant_id = find_case(session, actors.mediator, reference).participants[0].id
        invitation_mail.invite_by_email(session, runtime.vault.keyring, actors.mediator, reference,
                                        participant_id=participant_id, hours=48, address="p@example.org",
                                        agreed=True, language="ro")
    assert send(runtime).sent == 1
    [mail] = mail_server.received
    assert (mail["Subject"], mail["Content-Language"]) == ("Invitația dumneavoastră pe site-ul programului", "ro")
    body = mail.get_content()
    assert "introduceți acest cod de invitație" in body and "https://mediation.example.org/activate" in body
    assert "invitation code" not in body and reference not in mail.as_string()


def test_an_invitation_that_cannot_be_emailed_tells_the_mediator_to_invite_again(runtime, actors, make_case,
                                                                              mail_server):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        participant_id, case_id = case.participants[0].id, case.id
        invitation_mail.invite_by_email(session, runtime.vault.keyring, actors.mediator, reference,
                                        participant_id=participant_id, hours=48, address="p@example.org",
                                        agreed=True, language="en")
    mail_server.mode = "refuse_554"
    moment = datetime.now(UTC)
    for attempt in range(3):
        assert mediator_notices(runtime, actors.mediator) == []  # not while it may still go
        moment += timedelta(hours=1 + attempt)
        assert send(runtime, moment).failed == 1
    [row] = rows(runtime)
    assert row.state == OutboxState.FAILED and row.sealed_payload is None
    assert mediator_notices(runtime, actors.mediator) == [(NoticeKind.INVITATION_EMAIL_FAILED, case_id)]


def mediator_notices(runtime: Runtime, user: User) -> list[tuple[str, int | None]]:
    with runtime.transaction(read_only=True) as session:
        return [(n.kind, n.case_id) for n in session.scalars(select(Notice).where(Notice.user_id == user.id))]


# --- the leak test ------------------------------------------------------------------------------------------------

def test_no_canary_of_case_content_reaches_any_email_or_outbox_row(runtime, actors, make_case, mail_server):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.CLOSING))
    for user, address in ((actors.harmed_user, HARMED_ADDRESS), (actors.offender_user, OFFENDER_ADDRESS),
                          (actors.mediator, "mia@example.org")):
        choose(runtime, user, address=address)
    canaries = ["CANARY-PRIVATE-7781", "CANARY-SUMMARY-4410", dialogue.reference, actors.mediator.display_name,
                actors.harmed_user.username, actors.offender_user.username, actors.mediator.username]
    dialogue.sealed(private_line.reply_to_participant, participant_id=dialogue.harmed_id, text=canaries[0])
    send(runtime)
    dialogue.close(summary=canaries[1])
    send(runtime)
    runner.arrange_recurring(runtime, NOON.replace(year=2099))
    runner.fire_due(runtime, limit=10, now=NOON.replace(year=2099, day=5))
    send(runtime, NOON.replace(year=2099, day=5))
    assert len(mail_server.raw) >= 3
    for raw in mail_server.raw:
        for canary in canaries:
            assert canary.encode() not in raw, canary
    for row in rows(runtime):
        values = " ".join(str(getattr(row, column.key)) for column in OutboxMessage.__table__.columns)
        assert not [canary for canary in canaries if canary in values]


# --- what cannot be sent, and what a purge takes away ----------------------------------------------------------

def test_a_row_that_cannot_be_written_fails_alone_and_the_others_go(runtime, actors, relay, mail_server):
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    choose(runtime, actors.offender_user, address=OFFENDER_ADDRESS)
    deliver(relay, actors.offender_user)
    deliver(relay, actors.harmed_user)
    with runtime.transaction() as session:  # a zone this machine's tzdata no longer knows
        row = session.get(NotificationPreference, actors.harmed_user.id)
        assert row is not None
        row.time_zone, row.quiet_from, row.quiet_until = "Gone/Zone", time(22), time(7)
    report = send(runtime)
    assert (report.sent, report.failed) == (1, 1)
    assert [m["To"] for m in mail_server.received] == [OFFENDER_ADDRESS]
    failed = next(r for r in rows(runtime) if r.user_id == actors.harmed_user.id)
    assert (failed.state, failed.attempts, failed.last_error) == (OutboxState.QUEUED, 1, "cannot_prepare")


def test_a_purge_forgets_the_addresses_of_anonymised_accounts_and_waiting_invitations(runtime, actors, make_case):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.CLOSED))
    choose(runtime, actors.harmed_user, address=HARMED_ADDRESS)
    with runtime.transaction() as session:
        session.add(OutboxMessage(event=OutboxEvent.INVITATION.value, participant_id=dialogue.offender_id,
                                  idempotency_key="waiting-invitation", sealed_payload=b"sealed", kek_id="kek-x"))
        case = find_case(session, actors.mediator, dialogue.reference)
        case.closed_at = datetime.now(UTC) - timedelta(days=30)
    with runtime.transaction() as session:
        purged = keyservice.purge_expired(session, runtime.vault, retention_days=7)
    assert purged.accounts_anonymised == 2
    with runtime.transaction(read_only=True) as session:
        assert session.get(NotificationPreference, actors.harmed_user.id) is None
    [waiting] = rows(runtime)
    assert (waiting.state, waiting.sealed_payload, waiting.kek_id) == (OutboxState.DROPPED, None, None)


@pytest.mark.parametrize(("security", "code"), [("tls", "tls_failed"), ("starttls", "tls_unsupported")])
def test_a_server_without_the_tls_asked_for_gets_nothing_in_the_clear(mail_server, security, code):
    mail = Mail(port=mail_server.port, security=security, timeout_seconds=5)
    message = smtp.build(mail, to=HARMED_ADDRESS, subject="s", body="b", message_id="<k@mediation.invalid>",
                         language="en")
    with pytest.raises(smtp.SendFailed) as failed:
        smtp.send(mail, message)
    assert failed.value.code == code
    assert mail_server.received == []
