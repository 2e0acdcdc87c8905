"""Two-factor sign-in through the services, on each database: enrolment with a real code from the secret, codes
that cannot be replayed, recovery codes that work once, guessing locked out, the secret sealed at rest and
following key rotation, and who may turn it off or reset it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, update

from config import SettingsError, load_settings
from config.settings import PRODUCTION_TWO_FACTOR_ROLES, ROLES
from mediation.crypto.errors import CryptoError, TamperedContent
from mediation.crypto.keyring import new_kek
from mediation.db import Base, utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import SYSTEM_CHAIN, AuditEntry, RecoveryCode, Role, TwoFactorCredential
from mediation.services import keys as keyservice
from mediation.services import two_factor, users
from mediation.services.two_factor import SecondStep, SignInExpired

REQUIRED = frozenset({"admin", "mediator", "staff"})


def _enrol(runtime, user, *, now=None):
    """Enrol ``user`` as a person would: start, read the secret, confirm with a code computed from it."""
    keyring = runtime.vault.keyring
    with runtime.transaction() as session:
        two_factor.begin_enrolment(session, keyring, user.id)
    with runtime.transaction() as session:
        enrolment = two_factor.pending_enrolment(session, keyring, user.id)
    now = now or utcnow()
    with runtime.transaction() as session:
        enrolled = two_factor.confirm_enrolment(session, keyring, user.id, pyotp.TOTP(enrolment.secret).at(now),
                                                now=now)
    assert enrolled is not None
    return enrolment.secret, enrolled.recovery_codes


def _start(runtime, user):
    with runtime.transaction() as session:
        return two_factor.start_sign_in(session, runtime.vault.keyring, user.id, required_roles=REQUIRED)


def _next_step(runtime, user) -> SecondStep:
    """What an accepted password leads to for ``user``."""
    return _start(runtime, user).step


def _verify(runtime, user, code, now=None):
    """A whole second step: the password accepted (a new attempt), then the code."""
    attempt = _start(runtime, user).attempt
    with runtime.transaction() as session:
        return two_factor.verify_sign_in(session, runtime.vault.keyring, user.id, attempt, code, now=now)


def _wrong_code(secret, now):
    """A well-formed code that no step within the drift window gives."""
    valid = {pyotp.TOTP(secret).at(now + timedelta(seconds=30 * step)) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def _tags(runtime):
    with runtime.transaction() as session:
        return [(entry.tag, json.loads(entry.details)) for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.chain == SYSTEM_CHAIN).order_by(AuditEntry.seq))]


def test_enrolment_turns_it_on_with_a_code_from_the_secret_and_gives_ten_recovery_codes(runtime, actors):
    assert _next_step(runtime, actors.mediator) is SecondStep.ENROL
    secret, codes = _enrol(runtime, actors.mediator)
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT == len(set(codes))
    assert _next_step(runtime, actors.mediator) is SecondStep.CODE
    with runtime.transaction() as session:
        status = two_factor.status(session, actors.mediator.id, required_roles=REQUIRED)
    assert (status.on, status.required, status.recovery_codes_left) == (True, True, 10)
    assert ("user:two_factor:enabled", {"user_id": actors.mediator.id}) in _tags(runtime)
    assert secret not in json.dumps(_tags(runtime))


def test_a_wrong_code_does_not_turn_it_on(runtime, actors):
    keyring = runtime.vault.keyring
    with runtime.transaction() as session:
        two_factor.begin_enrolment(session, keyring, actors.harmed_user.id)
    with runtime.transaction() as session:
        secret = two_factor.pending_enrolment(session, keyring, actors.harmed_user.id).secret
    wrong = pyotp.TOTP(secret).at(utcnow() - timedelta(minutes=10))
    with runtime.transaction() as session:
        assert two_factor.confirm_enrolment(session, keyring, actors.harmed_user.id, wrong) is None
    assert _next_step(runtime, actors.harmed_user) is SecondStep.NONE


def test_starting_again_makes_a_new_secret_so_one_shown_earlier_is_never_enrolled(runtime, actors):
    keyring = runtime.vault.keyring
    secrets = []
    for _ in range(2):
        with runtime.transaction() as session:
            two_factor.begin_enrolment(session, keyring, actors.staff.id)
        with runtime.transaction() as session:
            secrets.append(two_factor.pending_enrolment(session, keyring, actors.staff.id).secret)
    assert secrets[0] != secrets[1]
    with runtime.transaction() as session:
        assert two_factor.confirm_enrolment(session, keyring, actors.staff.id, pyotp.TOTP(secrets[0]).now()) is None


def test_the_enrolment_uri_names_the_site_and_the_account_and_carries_the_secret(runtime, actors):
    keyring = runtime.vault.keyring
    with runtime.transaction() as session:
        two_factor.begin_enrolment(session, keyring, actors.mediator.id)
    with runtime.transaction() as session:
        enrolment = two_factor.pending_enrolment(session, keyring, actors.mediator.id)
    parsed = pyotp.parse_uri(enrolment.uri)
    assert (parsed.secret, parsed.name, parsed.issuer) == (enrolment.secret, "mediator.one", two_factor.ISSUER)


def test_a_code_signs_in_once_and_its_replay_is_refused(runtime, actors):
    secret, _ = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=5))
    now = utcnow()
    code = pyotp.TOTP(secret).at(now)
    assert _verify(runtime, actors.mediator, code, now).user.id == actors.mediator.id
    assert _verify(runtime, actors.mediator, code, now).user is None  # the same step again: a replay
    assert _verify(runtime, actors.mediator, pyotp.TOTP(secret).at(now - timedelta(seconds=30)), now).user is None


def test_one_step_of_clock_drift_either_way_is_accepted_and_two_are_not(runtime, actors):
    secret, _ = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=10))
    totp, now = pyotp.TOTP(secret), utcnow()
    assert _verify(runtime, actors.mediator, totp.at(now - timedelta(seconds=60)), now).user is None
    assert _verify(runtime, actors.mediator, totp.at(now + timedelta(seconds=60)), now).user is None
    assert _verify(runtime, actors.mediator, totp.at(now - timedelta(seconds=30)), now).user is not None
    assert _verify(runtime, actors.mediator, totp.at(now + timedelta(seconds=30)), now).user is not None
    # the step after the latest accepted one is in the past now: refused, even within the window
    assert _verify(runtime, actors.mediator, totp.at(now), now).user is None


def test_the_code_that_confirmed_enrolment_cannot_sign_in(runtime, actors):
    now = utcnow()
    secret, _ = _enrol(runtime, actors.mediator, now=now)
    assert _verify(runtime, actors.mediator, pyotp.TOTP(secret).at(now), now).user is None


def test_a_recovery_code_works_once_is_audited_and_says_how_many_remain(runtime, actors):
    secret, codes = _enrol(runtime, actors.mediator)
    check = _verify(runtime, actors.mediator, codes[3].upper().replace("-", " "))  # as people type it
    assert (check.user.id, check.recovery_codes_left) == (actors.mediator.id, 9)
    assert _verify(runtime, actors.mediator, codes[3]).user is None
    assert _verify(runtime, actors.mediator, codes[4]).recovery_codes_left == 8
    used = [details for tag, details in _tags(runtime) if tag == "user:recovery_code:used"]
    assert used == [{"user_id": actors.mediator.id, "recovery_codes_left": 9},
                    {"user_id": actors.mediator.id, "recovery_codes_left": 8}]
    trail = json.dumps(_tags(runtime))
    assert secret not in trail
    assert not any(code in trail or code.replace("-", "") in trail for code in codes)


def test_recovery_codes_are_stored_only_as_argon2_hashes(runtime, actors):
    _, codes = _enrol(runtime, actors.mediator)
    with runtime.transaction() as session:
        hashes = list(session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == actors.mediator.id)))
    assert len(hashes) == 10
    assert all(value.startswith("$argon2id$") for value in hashes)
    assert not any(code.replace("-", "") in value or code in value for code in codes for value in hashes)


def test_new_recovery_codes_replace_the_old_ones_and_need_a_current_code(runtime, actors):
    secret, old_codes = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=5))
    keyring = runtime.vault.keyring
    with runtime.transaction() as session:
        assert two_factor.regenerate_recovery_codes(session, keyring, actors.mediator.id, "000000") is None
    with runtime.transaction() as session:
        new_codes = two_factor.regenerate_recovery_codes(session, keyring, actors.mediator.id,
                                                         pyotp.TOTP(secret).now())
    assert new_codes is not None
    assert set(new_codes).isdisjoint(old_codes)
    assert _verify(runtime, actors.mediator, old_codes[0]).user is None
    assert _verify(runtime, actors.mediator, new_codes[0]).recovery_codes_left == 9
    assert ("user:recovery_code:regenerated", {"user_id": actors.mediator.id}) in _tags(runtime)


def test_wrong_codes_in_a_row_lock_every_code_out_for_a_while(runtime, actors):
    secret, codes = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(hours=1))
    start, totp = utcnow(), pyotp.TOTP(secret)
    for _ in range(two_factor.MAX_FAILED_CODES):
        assert _verify(runtime, actors.mediator, _wrong_code(secret, start), start).user is None
    assert _verify(runtime, actors.mediator, totp.at(start), start).user is None  # right, but locked
    assert _verify(runtime, actors.mediator, codes[0], start).user is None  # a recovery code too
    later = start + two_factor.CODE_LOCKOUT + timedelta(seconds=1)
    assert _verify(runtime, actors.mediator, totp.at(later), later).user is not None
    with runtime.transaction() as session:
        assert two_factor.status(session, actors.mediator.id, required_roles=REQUIRED).recovery_codes_left == 10


def test_a_sign_in_attempt_works_once_and_only_the_latest_one_works(runtime, actors):
    secret, _ = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=5))
    keyring, totp, now = runtime.vault.keyring, pyotp.TOTP(secret), utcnow()
    first, second = _start(runtime, actors.mediator).attempt, _start(runtime, actors.mediator).attempt
    with pytest.raises(SignInExpired), runtime.transaction() as session:  # replaced by the newer sign-in
        two_factor.verify_sign_in(session, keyring, actors.mediator.id, first, totp.at(now), now=now)
    with runtime.transaction() as session:
        assert two_factor.verify_sign_in(session, keyring, actors.mediator.id, second, totp.at(now),
                                         now=now).user is not None
    later = now + timedelta(seconds=30)
    with pytest.raises(SignInExpired), runtime.transaction() as session:  # spent by signing in
        two_factor.verify_sign_in(session, keyring, actors.mediator.id, second, totp.at(later), now=later)
    with pytest.raises(SignInExpired), runtime.transaction() as session:
        two_factor.verify_sign_in(session, keyring, actors.mediator.id, "made-up", totp.at(later), now=later)


def test_a_wrong_code_keeps_the_attempt_so_the_person_can_try_again(runtime, actors):
    secret, _ = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=5))
    attempt, keyring = _start(runtime, actors.mediator).attempt, runtime.vault.keyring
    with runtime.transaction() as session:
        assert two_factor.verify_sign_in(session, keyring, actors.mediator.id, attempt,
                                         _wrong_code(secret, utcnow())).user is None
    with runtime.transaction() as session:
        assert two_factor.verify_sign_in(session, keyring, actors.mediator.id, attempt,
                                         pyotp.TOTP(secret).now()).user is not None


def test_an_account_deactivated_during_its_second_step_is_not_signed_in(runtime, actors):
    secret, _ = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=5))
    attempt = _start(runtime, actors.mediator).attempt
    with runtime.transaction() as session:
        users.deactivate_user(session, actors.admin, actors.mediator.id)
    with pytest.raises(SignInExpired), runtime.transaction() as session:
        two_factor.verify_sign_in(session, runtime.vault.keyring, actors.mediator.id, attempt,
                                  pyotp.TOTP(secret).now())


def test_enrolling_at_sign_in_needs_the_current_attempt(runtime, actors):
    keyring = runtime.vault.keyring
    first = _start(runtime, actors.staff).attempt
    with runtime.transaction() as session:
        shown_first = two_factor.sign_in_enrolment(session, keyring, actors.staff.id, first).secret
    second = _start(runtime, actors.staff).attempt
    with runtime.transaction() as session:
        shown_second = two_factor.sign_in_enrolment(session, keyring, actors.staff.id, second).secret
    assert shown_first != shown_second  # a new sign-in, a new secret
    with pytest.raises(SignInExpired), runtime.transaction() as session:
        two_factor.sign_in_enrolment(session, keyring, actors.staff.id, first)  # the older marker sees nothing
    with runtime.transaction() as session:
        assert two_factor.confirm_sign_in_enrolment(session, keyring, actors.staff.id, second,
                                                    pyotp.TOTP(shown_first).now()) is None
    with runtime.transaction() as session:
        enrolled = two_factor.confirm_sign_in_enrolment(session, keyring, actors.staff.id, second,
                                                        pyotp.TOTP(shown_second).now())
    assert enrolled.user.id == actors.staff.id
    with pytest.raises(SignInExpired), runtime.transaction() as session:
        two_factor.sign_in_enrolment(session, keyring, actors.staff.id, second)


def test_a_participant_turns_it_on_and_off_with_a_code_but_a_required_role_cannot(runtime, actors):
    keyring = runtime.vault.keyring
    participant = actors.offender_user
    assert _next_step(runtime, participant) is SecondStep.NONE
    secret, _ = _enrol(runtime, participant, now=utcnow() - timedelta(minutes=5))
    assert _next_step(runtime, participant) is SecondStep.CODE
    with runtime.transaction() as session:
        assert not two_factor.disable(session, keyring, participant.id, "000000", required_roles=REQUIRED)
    with runtime.transaction() as session:
        assert two_factor.disable(session, keyring, participant.id, pyotp.TOTP(secret).now(),
                                  required_roles=REQUIRED)
    assert _next_step(runtime, participant) is SecondStep.NONE
    with runtime.transaction() as session:
        assert session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == participant.id)).first() is None
    assert ("user:two_factor:disabled", {"user_id": participant.id}) in _tags(runtime)

    mediator_secret, _ = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=5))
    with pytest.raises(InvalidInput, match="required for your role"), runtime.transaction() as session:
        two_factor.disable(session, keyring, actors.mediator.id, pyotp.TOTP(mediator_secret).now(),
                           required_roles=REQUIRED)


def test_the_coordinator_resets_a_lost_phone_and_the_person_enrols_again(runtime, actors):
    _enrol(runtime, actors.mediator)
    with runtime.transaction() as session:
        assert two_factor.enrolled_user_ids(session, actors.admin) == {actors.mediator.id}
    with runtime.transaction() as session:
        two_factor.reset(session, actors.admin, actors.mediator.id)
    assert _next_step(runtime, actors.mediator) is SecondStep.ENROL
    with runtime.transaction() as session:
        assert two_factor.enrolled_user_ids(session, actors.admin) == frozenset()
    reset = [(tag, details) for tag, details in _tags(runtime) if tag == "user:two_factor:reset"]
    assert reset == [("user:two_factor:reset", {"user_id": actors.mediator.id})]
    with runtime.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.tag == "user:two_factor:reset")).one()
        assert (entry.actor_id, entry.actor_role) == (actors.admin.id, "admin")


def test_only_the_coordinator_resets_and_never_their_own(runtime, actors):
    _enrol(runtime, actors.mediator)
    with pytest.raises(Forbidden), runtime.transaction() as session:
        two_factor.reset(session, actors.other_mediator, actors.mediator.id)
    with pytest.raises(Forbidden), runtime.transaction() as session:
        two_factor.enrolled_user_ids(session, actors.mediator)
    _enrol(runtime, actors.admin)
    with pytest.raises(InvalidInput, match="your own"), runtime.transaction() as session:
        two_factor.reset(session, actors.admin, actors.admin.id)
    with pytest.raises(InvalidInput, match="no two-factor"), runtime.transaction() as session:
        two_factor.reset(session, actors.admin, actors.staff.id)
    with pytest.raises(NotFound), runtime.transaction() as session:
        two_factor.reset(session, actors.admin, 999_999)


def _dump(runtime) -> str:
    rows = []
    with runtime.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows.extend(repr(tuple(row)) for row in session.execute(select(table)))
    return "\n".join(rows)


def test_the_secret_is_not_in_the_database_in_clear(runtime, actors):
    secret, codes = _enrol(runtime, actors.mediator)
    pyotp_bytes = pyotp.TOTP(secret).byte_secret()
    dump = _dump(runtime)
    with runtime.transaction() as session:
        row = session.get(TwoFactorCredential, actors.mediator.id)
        assert row.kek_id == runtime.vault.keyring.active
        assert repr(row.sealed_secret) in dump
    for needle in (secret, secret.lower(), pyotp_bytes.hex(), repr(pyotp_bytes)[2:-1],
                   *codes, *(code.replace("-", "") for code in codes)):
        assert needle not in dump
    if runtime.settings.uses_sqlite:
        runtime.engine.dispose()  # checkpoint the WAL, then read what is on disk
        database = Path(runtime.settings.database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        assert secret.encode() not in raw
        assert pyotp_bytes not in raw


def test_a_sealed_secret_copied_onto_another_account_does_not_open(runtime, actors):
    _enrol(runtime, actors.mediator)
    _enrol(runtime, actors.staff)
    with runtime.transaction() as session:
        stolen = session.get(TwoFactorCredential, actors.mediator.id).sealed_secret
        session.execute(update(TwoFactorCredential).where(TwoFactorCredential.user_id == actors.staff.id)
                        .values(sealed_secret=stolen))
    attempt = _start(runtime, actors.staff).attempt
    with pytest.raises(TamperedContent), runtime.transaction() as session:
        two_factor.verify_sign_in(session, runtime.vault.keyring, actors.staff.id, attempt, "123456")


def test_key_rotation_reseals_the_secrets_and_the_old_kek_retires_only_afterwards(runtime, actors):
    secret, _ = _enrol(runtime, actors.mediator, now=utcnow() - timedelta(minutes=5))
    vault = runtime.vault
    old = vault.keyring.active
    with runtime.transaction() as session:
        before = session.get(TwoFactorCredential, actors.mediator.id).sealed_secret
        assert keyservice.keys_in_use(session) == {old: 1}
        assert keyservice.check_all_open(session, vault) == 1
    vault.keyring = vault.keyring.with_new_active(*new_kek())
    with pytest.raises(CryptoError, match="still wraps 1"), runtime.transaction() as session:
        keyservice.check_retirable(session, vault, old)
    with runtime.transaction() as session:
        assert keyservice.rewrap_batch(session, vault) == 1
    with runtime.transaction() as session:
        assert keyservice.rewrap_batch(session, vault) == 0
        row = session.get(TwoFactorCredential, actors.mediator.id)
        assert (row.kek_id, row.sealed_secret != before) == (vault.keyring.active, True)
        keyservice.check_retirable(session, vault, old)
    vault.keyring = vault.keyring.without(old)
    assert _verify(runtime, actors.mediator, pyotp.TOTP(secret).now()).user is not None


def test_the_required_roles_default_to_the_roles_that_see_content_in_production_only():
    assert load_settings({"MEDIATION_ENV": "production", "MEDIATION_DATABASE_URL": "sqlite:////tmp/x.db",
                          "MEDIATION_AUDIT_SIGNING_KEY_FILE": "/etc/keys/audit.key"}
                         ).two_factor_required_roles == {"admin", "mediator", "staff", "volunteer"}
    assert set(PRODUCTION_TWO_FACTOR_ROLES.split(",")) == {"admin", "mediator", "staff", "volunteer"}
    assert load_settings({"MEDIATION_ENV": "test"}).two_factor_required_roles == frozenset()
    assert load_settings({}).two_factor_required_roles == frozenset()
    assert load_settings({"MEDIATION_TWO_FACTOR_REQUIRED_ROLES": " Admin, participant "}
                         ).two_factor_required_roles == {"admin", "participant"}
    assert load_settings({"MEDIATION_ENV": "production", "MEDIATION_TWO_FACTOR_REQUIRED_ROLES": "",
                          "MEDIATION_AUDIT_SIGNING_KEY_FILE": "/etc/keys/audit.key"}
                         ).two_factor_required_roles == frozenset()
    with pytest.raises(SettingsError, match="MEDIATION_TWO_FACTOR_REQUIRED_ROLES lists unknown role"):
        load_settings({"MEDIATION_TWO_FACTOR_REQUIRED_ROLES": "admin,coordinator"})
    assert set(ROLES) == {role.value for role in Role}


def test_the_operator_resets_an_account_from_the_command_line(runtime, actors, environment):
    from tests.integration.test_cli import Cli

    _enrol(runtime, actors.admin)
    cli = Cli(environment)
    done = cli("reset-two-factor", "Coordinator")
    assert done.exit_code == 0, done.output
    assert done.stdout == ("two-factor sign-in of coordinator was reset; they set it up again at their next "
                           "sign-in\n")
    with runtime.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.tag == "user:two_factor:reset")).one()
        assert (entry.actor_id, entry.actor_role, json.loads(entry.details)) == (
            None, "operator", {"user_id": actors.admin.id})
    for username, message in (("coordinator", "This account has no two-factor sign-in to reset."),
                              ("nobody.here", "There is no account 'nobody.here'.")):
        refused = cli("reset-two-factor", username)
        assert (refused.exit_code, refused.output) == (1, f"Error: {message}\n")
    assert _next_step(runtime, actors.admin) is SecondStep.ENROL
