"""The ``mediation`` command line, run against each test's own database and instance folder (the ``environment``
fixture): set-up, demo data, case listings, audit verification and checkpoints, diagrams and accounts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from mediation.audit.checkpoint import create_checkpoint, read_checkpoint
from mediation.audit.verify import AuditReport, ChainHead, verify_audit_log
from mediation.cli import main
from mediation.db import make_engine, utcnow
from mediation.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from mediation.keyfiles import load_audit_signing_key
from mediation.models import SYSTEM_CHAIN, AuditEntry, User, case_chain, content_chain
from mediation.passwords import verify_password
from mediation.services import accounts, sentences
from tests.integration.test_audit_log import (
    PAUSED_CASE_ENTRIES,
    allow_tampering,
    case_entries,
    case_row,
    cut_short_consistently,
    delete_entries,
    rewrite_consistently,
    row_id,
)
from workflows.case_workflow import CASE_WORKFLOW
from workflows.message_workflow import MessageState
from workflows.vocabulary import CaseState

COMMAND = Path(sys.executable).with_name("mediation")  # the installed console script of this virtualenv


def _isolated(environment: dict[str, str], overrides: dict[str, str | None]) -> dict[str, str | None]:
    """The test's settings and nothing from the developer's own MEDIATION_* variables (None unsets)."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("MEDIATION_")}
    return {**env, **environment, **overrides}


class Cli:
    """Invoke ``mediation`` in-process (CliRunner) or as a real process, against the test's settings."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment

    def __call__(self, *args: Any, input: str | None = None, **overrides: str | None) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], input=input,
                                  env=_isolated(self.environment, overrides), catch_exceptions=False)

    def process(self, *args: Any, umask: int = 0o077, **overrides: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in {**os.environ, **_isolated(self.environment, overrides)}.items() if v is not None}
        return subprocess.run([str(COMMAND), *map(str, args)], env=env, capture_output=True, text=True,
                              timeout=120, check=False, umask=umask)


@pytest.fixture
def cli(environment: dict[str, str]) -> Cli:
    return Cli(environment)


@pytest.fixture
def pristine(database_url: str) -> Iterator[dict[str, str | None]]:
    """Overrides for a machine where nobody ran ``mediation init``: on SQLite, the default database inside the
    (absent) instance folder; on PostgreSQL, an empty database of its own (the server creates databases)."""
    if database_url.startswith("sqlite"):
        yield {"MEDIATION_DATABASE_URL": None}
        return
    admin = create_engine(os.environ["MEDIATION_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    name = f"mediation_empty_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {"MEDIATION_DATABASE_URL": make_url(database_url).set(database=name).render_as_string(False)}
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_one_line_error(result: Result | subprocess.CompletedProcess[str], message: str) -> None:
    """Exit status 1, nothing on standard output, and exactly ``Error: message`` on standard error."""
    code = result.exit_code if isinstance(result, Result) else result.returncode
    assert (code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")


def listed_cases(output: str) -> dict[str, str]:
    """``mediation cases`` as {reference: state}, checking its header and its count line."""
    lines = output.splitlines()
    assert lines[0].split() == ["reference", "state", "modality", "outcome", "mediator", "people", "organisation"]
    rows = [line.split() for line in lines[1:-1]]
    assert lines[-1] == f"{len(rows)} case(s)"
    return {row[0]: row[1] for row in rows}


# ---------------------------------------------------------------------------------------------------------------
# init and demo


def test_init_creates_a_private_instance_folder_and_is_idempotent(cli, pristine, environment, database_url):
    """A real process with the most permissive umask: the files must be private whatever the umask says."""
    instance = Path(environment["MEDIATION_INSTANCE_DIR"])
    assert not instance.exists()
    first = cli.process("init", umask=0o000, **pristine)
    assert (first.returncode, first.stderr) == (0, "")
    keys = [instance / "secret.key", instance / "audit-signing.key"]
    for key in keys:
        assert f"created {key} (mode 0600" in first.stdout
    assert "database ready: " in first.stdout
    assert mode(instance) == 0o700
    assert {key: mode(key) for key in keys} == dict.fromkeys(keys, 0o600)
    if database_url.startswith("sqlite"):
        files = [instance / name for name in ("mediation.db", "mediation.db-wal", "mediation.db-shm")]
        assert files[0].stat().st_size > 0  # migrated
        assert {f: mode(f) for f in files if f.exists()} == {f: 0o600 for f in files if f.exists()}
    assert len(bytes.fromhex(keys[0].read_text())) == 32
    load_audit_signing_key(keys[1])  # a usable Ed25519 key
    contents = {key: key.read_bytes() for key in keys}

    again = cli.process("init", umask=0o000, **pristine)
    assert (again.returncode, again.stderr) == (0, "")
    assert "created" not in again.stdout
    assert "database ready: " in again.stdout
    assert {key: key.read_bytes() for key in keys} == contents
    assert cli("cases", **pristine).output.splitlines()[-1] == "0 case(s)"


BEFORE_INIT = [
    pytest.param(["cases"], id="cases"),
    pytest.param(["show", "RO-2026-00001"], id="show"),
    pytest.param(["verify-audit"], id="verify-audit"),
    pytest.param(["create-user", "--username", "first.admin", "--display-name", "First", "--role", "admin",
                  "--password", "a perfectly long passphrase"], id="create-user"),
]


@pytest.mark.parametrize("command", BEFORE_INIT)
def test_a_command_before_init_is_a_one_line_error(cli, pristine, command):
    result = cli.process(*command, **pristine)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: ")


def test_the_database_file_is_private_even_when_a_command_ran_before_init(cli, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps no database file of ours")
    data = tmp_path / "srv-data"
    data.mkdir(mode=0o755)
    url = {"MEDIATION_DATABASE_URL": f"sqlite:///{data / 'mediation.db'}"}
    assert cli.process("cases", umask=0o022, **url).returncode != 0  # the operator's slip: not initialised
    assert cli.process("init", umask=0o022, **url).returncode == 0
    assert mode(data / "mediation.db") == 0o600


def test_demo_prints_a_login_for_every_role_and_loads_a_case_in_every_state_once(cli, pristine):
    result = cli("demo", **pristine)
    assert result.exit_code == 0, result.output
    assert f"Demo logins (password for all: {DEMO_PASSWORD}):" in result.stdout
    logins = [line.split() for line in result.stdout.splitlines() if line.startswith("  ")]
    assert [(login[0], login[1]) for login in logins] == [(a.username, a.role.value) for a in DEMO_ACCOUNTS]
    assert {login[1] for login in logins} == {"admin", "mediator", "staff", "participant", "volunteer"}

    cases = listed_cases(cli("cases", **pristine).stdout)
    assert set(cases.values()) == set(CaseState)

    again = cli("demo", **pristine)
    assert again.exit_code == 0, again.output
    assert "demo data is already loaded" in again.stdout
    assert f"Demo logins (password for all: {DEMO_PASSWORD}):" in again.stdout
    assert listed_cases(cli("cases", **pristine).stdout) == cases
    assert cli("verify-audit", **pristine).exit_code == 0


def test_demo_refuses_a_production_database_and_leaves_it_untouched(cli, environment, database_url,
                                                                   tmp_path_factory):
    # production keeps the audit signing key away from the database (see test_audit_anchor.py)
    offsite = tmp_path_factory.mktemp("offsite") / "audit-signing.key"
    result = cli("demo", MEDIATION_ENV="production", MEDIATION_AUDIT_SIGNING_KEY_FILE=str(offsite))
    assert_one_line_error(result, "demo data cannot be loaded when MEDIATION_ENV=production")
    assert not Path(environment["MEDIATION_INSTANCE_DIR"]).exists()  # no keys were made either
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count(User.id))) == 0
            assert connection.scalar(select(func.count(AuditEntry.id))) == 0
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------------------------
# cases and show


def test_cases_lists_every_reference_with_its_state(cli, make_case):
    made = {make_case(state): state for state in (CaseState.REQUESTED, CaseState.DIALOGUE_VIDEO,
                                                   CaseState.PAUSED, CaseState.CLOSED)}
    result = cli("cases")
    assert result.exit_code == 0
    assert listed_cases(result.stdout) == made
    video = next(line for line in result.stdout.splitlines() if "dialogue_video" in line)
    assert video.split()[2:5] == ["video", "-", "mediator.one"]


def timeline(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("  #")]


def test_show_prints_the_eligibility_explanation_and_the_timeline(cli, runtime, make_case):
    reference = make_case(CaseState.PAUSED)
    result = cli("show", reference.lower())
    assert result.exit_code == 0, result.output
    with runtime.transaction() as session:
        case = case_row(session, reference)
        explanation = case.sentence.explanation
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id)
                                       .order_by(AuditEntry.id)))  # both its chains, as they were written
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{reference}  state=paused  modality=written")
    assert "paused from: dialogue_written" in lines
    assert f"eligibility: {explanation}" in lines
    assert explanation.startswith("Eligible: 3 years, 6 months")
    assert "trigger resume: possible now" in lines
    shown = timeline(result.stdout)
    assert [line.split()[0] for line in shown] == [f"#{e.seq}" for e in entries]
    assert [line.split()[4] for line in shown] == [e.tag for e in entries]
    assert shown[5].endswith("case:workflow:screen requested->assessment")
    assert shown[2].endswith("content:intake:recorded")  # the request's sealed details, as ids only
    assert shown[-1].endswith("case:workflow:pause dialogue_written->paused reason=wellbeing")


def test_show_says_when_no_sentence_is_recorded_and_when_eligibility_was_overridden(cli, runtime, actors, make_case):
    reference = make_case(CaseState.REQUESTED)
    assert "eligibility: no sentence data recorded yet" in cli("show", reference).stdout.splitlines()
    rationale = "Private words about Ms Example the coordinator was told on the phone"
    with runtime.transaction() as session:
        sentences.record_sentence(session, actors.mediator, reference, "fixed", months="10")
    with runtime.transaction() as session:
        sentences.override_eligibility(session, runtime.vault, actors.admin, reference, eligible=True,
            rationale=rationale)
    result = cli("show", reference)
    assert "eligibility: Not eligible: 10 months" in result.stdout
    assert "  overridden by the coordinator: eligible (rationale recorded)" in result.stdout.splitlines()
    assert rationale not in result.stdout
    assert timeline(result.stdout)[-1].endswith("case:eligibility:overridden")


@pytest.mark.parametrize(("asked", "message"), [
    pytest.param("RO-2026-99999", "No case RO-2026-99999 was found.", id="well-formed"),
    pytest.param(" ro-2031-00001 ", "No case RO-2031-00001 was found.", id="lowercase-with-spaces"),
    pytest.param("not-a-reference", "'not-a-reference' is not a case reference (they look like RO-2026-00042).",
                 id="malformed"),
])
def test_show_of_an_unknown_reference_is_a_one_line_error_without_traceback(cli, make_case, asked, message):
    make_case(CaseState.ASSESSMENT)
    assert_one_line_error(cli.process("show", asked), message)


# ---------------------------------------------------------------------------------------------------------------
# verify-audit and audit-checkpoint


@pytest.fixture
def two_cases(make_case: Callable[..., str]) -> tuple[str, str]:
    return make_case(CaseState.PAUSED), make_case(CaseState.ASSESSMENT)


def test_verify_audit_passes_an_intact_log(cli, runtime, two_cases):
    with runtime.transaction() as session:
        total = session.scalar(select(func.count(AuditEntry.id)))
    result = cli("verify-audit")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"audit log intact: {total} entries in 5 chains\n"  # two cases' two chains, the system's


@pytest.mark.parametrize(("tamper", "problem"), [
    pytest.param("edit", "entry #4 (row {row4}) was altered: its content no longer matches its hash", id="edited"),
    pytest.param("delete", "entry #7 is missing: it was deleted or the chain was renumbered", id="deleted"),
    pytest.param("truncate", "the chain ends at entry #14 but its recorded head is entry #16: entries "
                             "were removed from the end or rewritten", id="cut-at-the-end"),
])
def test_verify_audit_exits_3_naming_the_first_broken_entry(cli, runtime, two_cases, tamper, problem):
    tampered, untouched = two_cases
    row4 = row_id(runtime, tampered, 4)
    allow_tampering(runtime.engine)
    if tamper == "edit":
        with runtime.transaction() as session:
            case_entries(session, tampered)[3].to_state = CaseState.CLOSED.value
    else:
        delete_entries(runtime, tampered, [7] if tamper == "delete" else [15, 16])
    result = cli.process("verify-audit")
    assert (result.returncode, result.stdout) == (3, "")
    errors = result.stderr.splitlines()
    assert errors[0] == f"TAMPERED: case {tampered}: " + problem.format(row4=row4)
    assert errors[1].startswith("audit log FAILED verification (")
    assert len(errors) == 2  # the untouched case is not reported
    assert untouched not in result.stderr


def _rewrite(runtime: Any, reference: str) -> str:
    rewrite_consistently(runtime, reference, 13, reason="other")
    return f"entry #{PAUSED_CASE_ENTRIES} differs from the checkpoint: history was rewritten"


def _cut_short(runtime: Any, reference: str) -> str:
    with runtime.transaction() as session:
        chain = case_chain(case_row(session, reference).id)
    cut_short_consistently(runtime, chain, 10)
    return f"the chain was cut short: {PAUSED_CASE_ENTRIES} entries at the checkpoint, 10 now"


@pytest.mark.parametrize("tamper", [pytest.param(_rewrite, id="rewritten"), pytest.param(_cut_short, id="cut-short")])
def test_a_checkpoint_file_catches_a_history_changed_consistently(cli, runtime, two_cases, tmp_path, tamper):
    tampered, _ = two_cases
    checkpoint = tmp_path / "offsite" / "checkpoint.json"
    checkpoint.parent.mkdir()
    written = cli("audit-checkpoint", "-o", checkpoint)
    assert written.exit_code == 0, written.output
    assert written.stdout == f"checkpoint of 5 chains written to {checkpoint}; copy it off this server\n"
    passed = cli("verify-audit", "--checkpoint", checkpoint)
    assert passed.exit_code == 0, passed.output
    assert passed.stdout.endswith(", consistent with the checkpoint\n")

    allow_tampering(runtime.engine)
    problem = tamper(runtime, tampered)
    assert cli("verify-audit").exit_code == 0  # consistent: undetectable without the checkpoint
    failed = cli.process("verify-audit", "--checkpoint", checkpoint)
    assert (failed.returncode, failed.stdout) == (3, "")
    assert failed.stderr.splitlines()[0] == f"TAMPERED: case {tampered}: {problem}"


def test_audit_checkpoint_prints_a_signed_checkpoint_to_standard_output(cli, runtime, two_cases):
    result = cli("audit-checkpoint")
    assert (result.exit_code, result.stderr) == (0, "")
    key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
    heads = read_checkpoint(json.loads(result.stdout), key.public_key())
    with runtime.transaction() as session:
        assert heads == verify_audit_log(session).heads
        assert set(heads) == {SYSTEM_CHAIN, *(chain(case_row(session, r).id) for r in two_cases
                                              for chain in (case_chain, content_chain))}


def test_audit_checkpoint_refuses_to_sign_a_damaged_log(cli, runtime, two_cases, tmp_path):
    allow_tampering(runtime.engine)
    delete_entries(runtime, two_cases[0], [2])
    target = tmp_path / "checkpoint.json"
    assert_one_line_error(cli("audit-checkpoint", "-o", target),
                          "refusing to sign a checkpoint over a damaged audit log; run verify-audit")
    assert not target.exists()


def test_audit_checkpoint_into_a_missing_folder_is_a_one_line_error(cli, two_cases, tmp_path):
    result = cli.process("audit-checkpoint", "-o", tmp_path / "not-mounted" / "checkpoint.json")
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1


def _one_character_changed(document: dict[str, Any]) -> bytes:
    head = document["payload"]["heads"][SYSTEM_CHAIN]
    head["hash"] = ("1" if head["hash"][0] != "1" else "2") + head["hash"][1:]
    return json.dumps(document).encode()


def _signed_elsewhere(document: dict[str, Any]) -> bytes:
    """The same heads, signed by a forger's own key (which the file then carries)."""
    heads = {chain: ChainHead(h["seq"], h["hash"]) for chain, h in document["payload"]["heads"].items()}
    return json.dumps(create_checkpoint(AuditReport(heads=heads), Ed25519PrivateKey.generate(), utcnow())).encode()


@pytest.mark.parametrize(("content", "message"), [
    pytest.param(lambda _: b"this is not JSON", "{path} is not a checkpoint file (not JSON)", id="text"),
    pytest.param(lambda _: b"\xff\xfe\x00\x81binary", "{path} is not a checkpoint file (not JSON)", id="binary"),
    pytest.param(lambda _: b"", "{path} is not a checkpoint file (not JSON)", id="empty"),
    pytest.param(lambda _: b'{"hello": "world"}', "this is not an audit checkpoint file (", id="other-json"),
    pytest.param(lambda _: b"[1, 2, 3]", "this is not an audit checkpoint file (", id="json-list"),
    pytest.param(lambda _: b"null", "this is not an audit checkpoint file (", id="json-null"),
])
def test_a_bad_checkpoint_file_is_a_clean_error(cli, runtime, two_cases, tmp_path, content, message):
    genuine = cli("audit-checkpoint")
    assert genuine.exit_code == 0
    path = tmp_path / "checkpoint.json"
    path.write_bytes(content(json.loads(genuine.stdout)))
    result = cli.process("verify-audit", "--checkpoint", path)
    assert (result.returncode, result.stdout) == (1, "")
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: {message.format(path=path)}")


@pytest.mark.parametrize("content", [pytest.param(_one_character_changed, id="altered"),
                                     pytest.param(_signed_elsewhere, id="signed-by-another-key")])
def test_a_checkpoint_the_key_did_not_sign_is_reported_as_tampering(cli, runtime, two_cases, tmp_path, content):
    genuine = cli("audit-checkpoint")
    path = tmp_path / "checkpoint.json"
    path.write_bytes(content(json.loads(genuine.stdout)))
    result = cli.process("verify-audit", "--checkpoint", path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr.splitlines() == [
        "TAMPERED: the checkpoint's signature does not match this server's audit signing key: the file was "
        "altered or signed by another key", f"audit log FAILED verification (checkpoint {path})"]


# ---------------------------------------------------------------------------------------------------------------
# diagram (pure: no database)


@pytest.fixture
def draw() -> Callable[..., Result]:
    return lambda *args: CliRunner().invoke(main, ["diagram", *args], catch_exceptions=False)


def test_diagram_prints_the_case_workflow_as_mermaid_by_default(draw):
    result = draw()
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == ["stateDiagram-v2", "    [*] --> requested"]
    for state in CaseState:
        assert any(f" {state} --> " in line or f"--> {state}:" in line for line in lines), state
    assert "    closed --> [*]" in lines
    assert "    paused --> dialogue_video: resume [paused_from_dialogue_video]" in lines
    assert "current" not in result.stdout


def test_diagram_prints_graphviz_dot_on_request(draw):
    result = draw("--format", "dot")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f'digraph "{CASE_WORKFLOW.name}" {{'
    assert lines[-1] == "}"
    nodes = [line for line in lines if line.startswith('    "') and "->" not in line]
    assert [node.split('"')[1] for node in nodes] == list(CaseState)
    assert '    "requested" -> "assessment" [label="screen [sentence_recorded, sentence_qualifies]"];' in lines
    assert "filled" not in result.stdout


@pytest.mark.parametrize(("fmt", "marked"), [
    pytest.param("mermaid", ["    classDef current fill:#ffd966,stroke:#7f6000,stroke-width:3px",
                             "    class paused current"], id="mermaid"),
    pytest.param("dot", ['    "paused" [label="paused", style="rounded,filled,bold", fillcolor="#ffd966"];'],
                 id="dot"),
])
def test_diagram_marks_the_current_state(draw, fmt, marked):
    result = draw("--format", fmt, "--current", "paused")
    assert result.exit_code == 0
    assert [line for line in result.stdout.splitlines() if "current" in line or "filled" in line] == marked


@pytest.mark.parametrize(("workflow", "state"), [
    pytest.param("case", "nowhere", id="unknown-state"),
    pytest.param("case", "Paused", id="wrong-case"),
    pytest.param("message", "paused", id="case-state-on-the-message-workflow"),
    pytest.param("case", "withheld", id="message-state-on-the-case-workflow"),
])
def test_diagram_refuses_a_current_state_the_workflow_does_not_have(draw, workflow, state):
    result = draw("--workflow", workflow, "--current", state)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Invalid value for --current: {state!r} is not a state of this workflow" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_diagram_draws_the_message_review_workflow(draw, fmt):
    result = draw("--workflow", "message", "--format", fmt, "--current", "withheld")
    assert result.exit_code == 0
    for state in MessageState:
        assert state.value in result.stdout
    assert "assessment" not in result.stdout
    assert "approve [case_carries_messages, no_safety_concern]" in result.stdout
    assert ("class withheld current" if fmt == "mermaid" else '"withheld" [label="withheld", style=') \
        in result.stdout


# ---------------------------------------------------------------------------------------------------------------
# create-user


GOOD_PASSWORD = "a perfectly long passphrase"


def _by_option(password: str) -> tuple[list[str], str | None]:
    return ["--password", password], None


def _by_prompt(password: str) -> tuple[list[str], str | None]:
    return [], f"{password}\n{password}\n"


HOW = [pytest.param(_by_option, id="option"), pytest.param(_by_prompt, id="prompt")]
NEW_USER = ["create-user", "--username", "Rosa.Example", "--display-name", "Rosa Example", "--role", "mediator"]


@pytest.mark.parametrize("how", HOW)
def test_create_user_creates_an_account_with_its_password(cli, runtime, how):
    extra, typed = how(GOOD_PASSWORD)
    result = cli(*NEW_USER, *extra, input=typed)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("created mediator account rosa.example (organisation main)\n")
    with runtime.transaction() as session:
        user = session.scalars(select(User).where(User.username == "rosa.example")).one()
        assert (user.display_name, user.role, user.is_active) == ("Rosa Example", "mediator", True)
        assert verify_password(user.password_hash, GOOD_PASSWORD)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.chain == SYSTEM_CHAIN)
                                .order_by(AuditEntry.seq.desc()).limit(1)).one()
        assert (entry.tag, entry.actor_id, entry.actor_role) == ("user:account:created", None, "operator")
        assert json.loads(entry.details) == {"user_id": user.id, "role": "mediator"}


@pytest.mark.parametrize("how", HOW)
def test_create_user_refuses_a_short_password(cli, runtime, how):
    extra, typed = how("short pass")
    result = cli(*NEW_USER, *extra, input=typed)
    assert result.exit_code == 1
    assert result.stderr == "Error: A password needs at least 12 characters.\n"
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(User.id))) == 0


@pytest.mark.parametrize(("password", "message"), [
    ("aaaaaaaaaaaa", "This password is too easy to guess"),
    ("password1234", "This password is too easy to guess"),
    ("rosa.example", "A password may not contain your username or your name."),
    ("Rosa Example was here", "A password may not contain your username or your name."),
], ids=["repeats", "common", "the-username", "the-name"])
def test_create_user_refuses_a_guessable_password(cli, runtime, password, message):
    result = cli(*NEW_USER, "--password", password)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {message}")
    assert len(result.stderr.splitlines()) == 1
    with runtime.transaction() as session:
        assert session.scalar(select(func.count(User.id))) == 0


def test_the_demo_logins_it_prints_sign_in(cli, runtime):
    assert cli("demo").exit_code == 0
    for account in DEMO_ACCOUNTS:
        user = accounts.authenticate(runtime.transaction, account.username, DEMO_PASSWORD)
        assert user is not None, account.username
        assert user.role == account.role.value


def test_create_user_refuses_a_taken_username(cli, runtime):
    assert cli(*NEW_USER, "--password", GOOD_PASSWORD).exit_code == 0
    same_name = ["create-user", "--username", "rosa.EXAMPLE", "--display-name", "Someone Else", "--role", "admin"]
    assert_one_line_error(cli(*same_name, "--password", GOOD_PASSWORD),
                          "The username 'rosa.example' is taken.")
    with runtime.transaction() as session:
        assert session.scalars(select(User.role)).all() == ["mediator"]
