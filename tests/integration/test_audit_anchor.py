"""The audit log's trust anchor lives off the server: the public key exported with ``audit-public-key`` and kept
with the checkpoints verifies them even after someone replaced the server's signing key; a checkpoint the
trusted key did not sign is tampering (exit 3); anything that is not a checkpoint is one clean line (exit 1);
production refuses a signing key kept beside the data it vouches for."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from config import SettingsError, load_settings
from mediation.audit.checkpoint import _canonical
from mediation.keyfiles import load_audit_signing_key
from tests.integration.test_audit_log import allow_tampering, rewrite_consistently
from tests.integration.test_cli import PAUSED_CASE_ENTRIES, Cli
from workflows.vocabulary import CaseState


@pytest.fixture
def cli(environment) -> Cli:
    return Cli(environment)


@pytest.fixture
def offsite(tmp_path_factory) -> Path:
    """A folder standing for somewhere that is not the server."""
    return tmp_path_factory.mktemp("offsite")


@pytest.fixture
def history(make_case) -> tuple[str, str]:
    return make_case(CaseState.PAUSED), make_case(CaseState.ASSESSMENT)


def _take(cli: Cli, offsite: Path, name: str = "checkpoint.json") -> Path:
    path = offsite / name
    result = cli("audit-checkpoint", "-o", path)
    assert result.exit_code == 0, result.output
    return path


def _replace_the_servers_signing_key(runtime) -> None:
    path = runtime.settings.audit_signing_key_file
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))


def test_the_public_key_kept_off_the_server_verifies_its_checkpoints(cli, runtime, history, offsite):
    exported = cli("audit-public-key", "-o", offsite / "audit-public.pem")
    assert exported.exit_code == 0, exported.output
    assert "keep it off this server" in exported.stdout
    pem = (offsite / "audit-public.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----") and b"PRIVATE" not in pem
    assert cli("audit-public-key").stdout.encode() == pem
    checkpoint = _take(cli, offsite)
    result = cli("verify-audit", "--checkpoint", checkpoint, "--public-key", offsite / "audit-public.pem")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(", consistent with the checkpoint\n")


def test_a_rewritten_history_re_signed_with_a_replaced_key_is_caught_by_the_key_kept_elsewhere(
        cli, runtime, history, offsite):
    cli("audit-public-key", "-o", offsite / "audit-public.pem")
    genuine = _take(cli, offsite)
    # Someone with the server rewrites a case's history consistently, replaces the signing key, signs anew.
    allow_tampering(runtime.engine)
    rewrite_consistently(runtime, history[0], 13, reason="other")
    _replace_the_servers_signing_key(runtime)
    forged = _take(cli, runtime.settings.instance_dir, "forged.json")
    assert cli("verify-audit", "--checkpoint", forged).exit_code == 0  # the server's own key is fooled

    public = offsite / "audit-public.pem"
    caught = cli.process("verify-audit", "--checkpoint", forged, "--public-key", public)
    assert (caught.returncode, caught.stdout) == (3, "")
    assert caught.stderr.splitlines()[0] == (
        f"TAMPERED: the checkpoint's signature does not match the public key in {public}: the file was altered "
        "or signed by another key")
    rewritten = cli.process("verify-audit", "--checkpoint", genuine, "--public-key", public)
    assert (rewritten.returncode, rewritten.stdout) == (3, "")
    assert (f"entry #{PAUSED_CASE_ENTRIES} differs from the checkpoint: history was rewritten"
            in rewritten.stderr.splitlines()[0])
    # Without the key kept elsewhere, the genuine checkpoint against the replaced key is tampering, not an error.
    replaced = cli.process("verify-audit", "--checkpoint", genuine)
    assert (replaced.returncode, replaced.stdout) == (3, "")
    assert replaced.stderr.startswith("TAMPERED: the checkpoint's signature does not match this server's audit "
                                      "signing key")


def _resigned(runtime, edit) -> Any:
    """A checkpoint edited by ``edit`` then signed again with the server's real key: signed, yet malformed."""
    def make(document: dict[str, Any]) -> bytes:
        edit(document["payload"])
        key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
        document["signature"] = base64.b64encode(key.sign(_canonical(document["payload"]))).decode()
        return json.dumps(document).encode()
    return make


def _edit(path: tuple[str, ...], value: Any):
    def edit(document: dict[str, Any]) -> bytes:
        target = document
        for step in path[:-1]:
            target = target[step] if step != "*" else next(iter(target.values()))
        target[path[-1]] = value
        return json.dumps(document).encode()
    return edit


def _first_head(payload: dict[str, Any]) -> dict[str, Any]:
    return next(iter(payload["heads"].values()))


MALFORMED = {
    "deeply-nested": lambda runtime: lambda _: b"[" * 200_000 + b"]" * 200_000,
    "nested-in-a-field": lambda runtime: _edit(("payload", "created_at"), json.loads("[" * 500 + "]" * 500)),
    "heads-a-list": lambda runtime: _edit(("payload", "heads"), [1, 2]),
    "seq-a-string": lambda runtime: _edit(("payload", "heads", "*", "seq"), "7"),
    "seq-a-boolean": lambda runtime: _edit(("payload", "heads", "*", "seq"), True),
    "seq-zero": lambda runtime: _edit(("payload", "heads", "*", "seq"), 0),
    "hash-not-hex": lambda runtime: _edit(("payload", "heads", "*", "hash"), "z" * 64),
    "head-a-number": lambda runtime: _edit(("payload", "heads", "*"), 12),
    "signature-a-number": lambda runtime: _edit(("signature",), 12345),
    "signature-not-base64": lambda runtime: _edit(("signature",), "***"),
    "format-a-number": lambda runtime: _edit(("payload", "format"), 1),
    "digest-missing": lambda runtime: _edit(("payload", "digest"), None),
    "signed-seq-a-string": lambda runtime: _resigned(runtime, lambda p: _first_head(p).update(seq="x")),
    "signed-heads-null": lambda runtime: _resigned(runtime, lambda p: p.update(heads=None)),
    "signed-wrong-digest": lambda runtime: _resigned(runtime, lambda p: p.update(digest="0" * 64)),
}


@pytest.mark.parametrize("with_public_key", [False, True], ids=["server-key", "public-key"])
@pytest.mark.parametrize("malformed", MALFORMED)
def test_a_malformed_checkpoint_is_one_clean_line(cli, runtime, history, offsite, malformed, with_public_key):
    cli("audit-public-key", "-o", offsite / "audit-public.pem")
    genuine = json.loads(_take(cli, offsite).read_text())
    path = offsite / "malformed.json"
    path.write_bytes(MALFORMED[malformed](runtime)(genuine))
    extra = ["--public-key", offsite / "audit-public.pem"] if with_public_key else []
    result = cli.process("verify-audit", "--checkpoint", path, *extra)
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stdout) == (1, "")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert "checkpoint" in result.stderr


@pytest.mark.parametrize("content", [b"not a key", b"", "private"])
def test_a_public_key_file_that_is_not_one_is_a_clean_error(cli, runtime, history, offsite, content):
    checkpoint = _take(cli, offsite)
    key_file = offsite / "key.pem"
    key_file.write_bytes(runtime.settings.audit_signing_key_file.read_bytes() if content == "private" else content)
    result = cli.process("verify-audit", "--checkpoint", checkpoint, "--public-key", key_file)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Error: {key_file} is not a public key (expected the PEM file from 'mediation " \
                            "audit-public-key')\n"


def test_a_public_key_without_a_checkpoint_is_a_usage_error(cli, runtime, history, offsite):
    cli("audit-public-key", "-o", offsite / "audit-public.pem")
    result = cli("verify-audit", "--public-key", offsite / "audit-public.pem")
    assert result.exit_code == 2
    assert "give --checkpoint too" in result.output


# --- where production keeps the signing key --------------------------------------------------------------------

def _production(tmp_path: Path, **env: str) -> dict[str, str]:
    return {"MEDIATION_ENV": "production", "MEDIATION_INSTANCE_DIR": str(tmp_path / "instance"), **env}


@pytest.mark.parametrize("where", ["default", "inside-instance", "beside-the-database", "below-the-database"])
def test_production_refuses_a_signing_key_beside_the_data(tmp_path: Path, where: str):
    env = _production(tmp_path, MEDIATION_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'mediation.db'}")
    env |= {"default": {}, "inside-instance": {"MEDIATION_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "instance/x/k")},
            "beside-the-database": {"MEDIATION_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "data" / "audit.key")},
            "below-the-database": {"MEDIATION_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "data/keys/../keys/a.key")},
            }[where]
    with pytest.raises(SettingsError, match="MEDIATION_AUDIT_SIGNING_KEY_FILE must not be inside the instance "
                                            "folder or beside the database in production"):
        load_settings(env, cwd=tmp_path)


def test_production_accepts_a_signing_key_kept_elsewhere_and_development_keeps_the_default(tmp_path: Path):
    elsewhere = tmp_path / "secrets" / "audit-signing.key"
    settings = load_settings(_production(tmp_path, MEDIATION_AUDIT_SIGNING_KEY_FILE=str(elsewhere)), cwd=tmp_path)
    assert settings.audit_signing_key_file == elsewhere
    postgres = _production(tmp_path, MEDIATION_DATABASE_URL="postgresql+psycopg://u@db/mediation",
                           MEDIATION_AUDIT_SIGNING_KEY_FILE=str(elsewhere))
    assert load_settings(postgres, cwd=tmp_path).audit_signing_key_file == elsewhere
    development = load_settings({"MEDIATION_INSTANCE_DIR": str(tmp_path / "instance")}, cwd=tmp_path)
    assert development.audit_signing_key_file == tmp_path / "instance" / "audit-signing.key"
