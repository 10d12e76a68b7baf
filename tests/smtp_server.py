"""A real SMTP server on 127.0.0.1 for tests: STARTTLS with a test CA's certificate, AUTH LOGIN.

It is aiosmtpd, in its own thread; what it receives is kept as parsed messages,
with whether the session was encrypted and who logged in.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.email import SmtpSettings

USER = "classguard@oakfield.example.sch.uk"
PASSWORD = "correct horse battery staple"


@dataclass
class Received:
    """One message the server accepted."""

    message: EmailMessage
    recipients: list[str]
    encrypted: bool
    login: str | None


@dataclass
class SmtpServer:
    """The running server, how to reach it, and what it received."""

    port: int
    client_context: ssl.SSLContext
    #: The test CA's certificate: point ``SSL_CERT_FILE`` here for code using default trust.
    ca_file: Path
    received: list[Received] = field(default_factory=list)

    def settings(self, password: str = PASSWORD) -> SmtpSettings:
        """SMTP settings that reach this server with STARTTLS and a login."""
        return SmtpSettings(
            host="127.0.0.1", port=self.port, user=USER, password=password, sender=USER
        )

    def environ(self) -> dict[str, str]:
        """The same settings as ``SMTP_*`` environment variables."""
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.port),
            "SMTP_USER": USER,
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_FROM": USER,
            "SMTP_STARTTLS": "true",
        }


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if session.auth_data else None
        self.server.received.append(
            Received(parsed, list(envelope.rcpt_tos), session.ssl is not None, login)
        )
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        mechanism == "LOGIN"
        and isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(tmp_path: Path) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS before AUTH LOGIN, and AUTH before mail."""
    ca = trustme.CA()
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    server = SmtpServer(port=_free_port(), client_context=client_context, ca_file=ca_file)
    controller = Controller(
        _Handler(server),
        hostname="127.0.0.1",
        port=server.port,
        tls_context=server_context,
        require_starttls=True,
        auth_required=True,
        auth_exclude_mechanism=["PLAIN"],
        authenticator=_authenticate,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
