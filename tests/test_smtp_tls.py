"""E-mail over TLS to a real SMTP server: delivered when the server's certificate is trusted (the system's
authorities or ``MEDIATION_SMTP_CA_FILE``) and names the host; refused, with nothing sent in the clear, when not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config import SettingsError
from config.timing import Mail, load_mail
from mediation.notifications import smtp
from tests.mail_server import MailServer
from tests.tls_certificates import Authority, new_authority


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    return new_authority(tmp_path)


@pytest.fixture
def servers() -> Iterator[list[MailServer]]:
    started: list[MailServer] = []
    yield started
    for server in started:
        server.down()


def serve(servers: list[MailServer], **tls: object) -> MailServer:
    server = MailServer(**tls).up()  # type: ignore[arg-type]
    servers.append(server)
    return server


def mail_to(server: MailServer, security: str, ca_file: Path | None) -> Mail:
    return Mail(host="127.0.0.1", port=server.port, security=security, timeout_seconds=10, ca_file=ca_file)


def a_message(mail: Mail):
    return smtp.build(mail, to="mia@example.org", subject="Hello", body="Things waiting: 1.",
                      message_id="<a@mediation.invalid>", language="en")


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_over_tls_to_a_server_the_private_authority_vouches_for(authority, servers, tmp_path,
                                                                          security) -> None:
    context = authority.server_context(tmp_path)
    server = serve(servers, **({"starttls": context} if security == "starttls" else {"implicit_tls": context}))
    mail = mail_to(server, security, authority.ca_file)
    smtp.send(mail, a_message(mail))
    assert [m["To"] for m in server.received] == ["mia@example.org"]
    assert server.tls_seen == [True]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_certificate_nobody_vouches_for_is_refused_and_nothing_is_sent(authority, servers, tmp_path,
                                                                          security) -> None:
    context = authority.server_context(tmp_path)
    server = serve(servers, **({"starttls": context} if security == "starttls" else {"implicit_tls": context}))
    mail = mail_to(server, security, None)  # only the system's authorities: ours is not among them
    with pytest.raises(smtp.SendFailed) as failed:
        smtp.send(mail, a_message(mail))
    assert failed.value.code == "tls_failed"
    assert server.received == []


def test_a_certificate_for_another_host_is_refused(authority, servers, tmp_path) -> None:
    server = serve(servers, starttls=authority.server_context(tmp_path, address="127.0.0.2"))
    mail = mail_to(server, "starttls", authority.ca_file)
    with pytest.raises(smtp.SendFailed) as failed:
        smtp.send(mail, a_message(mail))
    assert failed.value.code == "tls_failed" and server.received == []


def test_a_server_without_starttls_gets_nothing_in_the_clear(authority, servers) -> None:
    server = serve(servers)
    mail = mail_to(server, "starttls", authority.ca_file)
    with pytest.raises(smtp.SendFailed) as failed:
        smtp.send(mail, a_message(mail))
    assert failed.value.code == "tls_unsupported" and server.received == []


def test_the_ca_file_setting_must_name_a_file_and_a_file_that_is_no_certificate_fails_as_tls(tmp_path,
                                                                                           servers) -> None:
    with pytest.raises(SettingsError, match="MEDIATION_SMTP_CA_FILE"):
        load_mail({"MEDIATION_SMTP_CA_FILE": str(tmp_path / "missing.pem")})
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    mail = load_mail({"MEDIATION_SMTP_CA_FILE": str(junk), "MEDIATION_SMTP_SECURITY": "tls"})
    assert mail.ca_file == junk
    server = serve(servers)
    with pytest.raises(smtp.SendFailed) as failed:
        smtp.send(Mail(port=server.port, security="tls", ca_file=junk), a_message(mail))
    assert failed.value.code == "tls_failed"
