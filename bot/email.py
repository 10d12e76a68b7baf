"""Email to senior leaders and the school office: SLT escalations, security alerts, digests.

The SMTP connection is configured by environment variables, never the config file:

``SMTP_HOST``
    the server; email is off when it is unset
``SMTP_PORT``
    default 587
``SMTP_USER``, ``SMTP_PASSWORD``
    the login, when the server asks for one
``SMTP_FROM``
    the sender address (default ``SMTP_USER``)
``SMTP_STARTTLS``
    default ``true``; ``false`` only for a relay on the same machine

Recipients come from the school's config: ``school.slt`` emails for escalations,
``digest.email_to`` (or else the SLT's emails) for the digest, and
``school.office_email`` for security alerts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from pydantic import ValidationError

from bot.digest_render import CHART_CID, render_email
from bot.outbox_worker import DeliveryError
from config.schema import Settings
from moderation.digest import Digest
from storage.models import OutboxItem

log = logging.getLogger(__name__)

DEFAULT_PORT = 587
TIMEOUT_SECONDS = 30.0
_YES = {"1", "true", "yes", "on"}
_NO = {"0", "false", "no", "off"}


class EmailSetupError(Exception):
    """The SMTP environment variables are wrong; the message says which, in one line."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send email."""

    host: str
    sender: str
    port: int = DEFAULT_PORT
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The settings from ``SMTP_*`` variables; ``None`` when ``SMTP_HOST`` is unset."""
        env = os.environ if environ is None else environ
        host = env.get("SMTP_HOST", "").strip()
        if not host:
            return None
        port_text = env.get("SMTP_PORT", "").strip() or str(DEFAULT_PORT)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise EmailSetupError(f"SMTP_PORT must be a port number, not {port_text!r}")
        starttls = env.get("SMTP_STARTTLS", "true").strip().lower()
        if starttls not in _YES | _NO:
            raise EmailSetupError(f"SMTP_STARTTLS must be true or false, not {starttls!r}")
        user = env.get("SMTP_USER", "").strip() or None
        sender = env.get("SMTP_FROM", "").strip() or user
        if not sender or "@" not in sender:
            raise EmailSetupError("set SMTP_FROM to the address ClassGuard's email comes from")
        return cls(
            host=host,
            sender=sender,
            port=int(port_text),
            user=user,
            password=env.get("SMTP_PASSWORD") or None,
            starttls=starttls in _YES,
        )


def send_messages(
    smtp: SmtpSettings, messages: Sequence[EmailMessage], context: ssl.SSLContext | None = None
) -> None:
    """Send messages over one SMTP session (blocking): STARTTLS, then login if configured."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        client.ehlo()
        if smtp.starttls:
            client.starttls(context=context or ssl.create_default_context())
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        for message in messages:
            client.send_message(message)


def _describe(exc: Exception) -> str:
    """One line about a failed send, without anything from the message itself."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the SMTP server refused the login ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "the SMTP server does not offer STARTTLS (SMTP_STARTTLS=false is for local relays)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"the SMTP server refused the recipients {', '.join(sorted(exc.recipients))}"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"SMTP error {exc.smtp_code}: {reply}".splitlines()[0]
    return f"cannot send email: {type(exc).__name__}: {exc}".splitlines()[0]


class EmailChannel:
    """An outbox channel for the ``slt`` and ``office`` routes, by email."""

    KINDS = ("escalate_to_slt", "alert_office", "digest")

    def __init__(
        self,
        settings: Settings,
        smtp: SmtpSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.smtp = smtp
        self.ssl_context = ssl_context
        #: Write each email but only log that it would go.
        self.dry_run = dry_run

    def recipients(self, kind: str) -> list[str]:
        """Who receives an item of this kind, from the school's config."""
        slt = [m.email for m in self.settings.school.slt if m.email]
        if kind == "digest":
            return list(self.settings.digest.email_to) or slt
        if kind == "escalate_to_slt":
            return slt
        if kind == "alert_office":
            office = self.settings.school.office_email
            return [office] if office else []
        return []

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        """Send the item (and any batched with it), each as its own email, in one session."""
        messages = [self.compose(each) for each in (item, *batch)]
        if self.dry_run:
            for message in messages:
                log.info("dry run: would email %r to %s", message["Subject"], message["To"])
            return
        try:
            await asyncio.to_thread(send_messages, self.smtp, messages, self.ssl_context)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(_describe(exc)) from None

    def compose(self, item: OutboxItem) -> EmailMessage:
        """The email for one outbox item; :class:`DeliveryError` if it cannot be written."""
        if item.kind not in self.KINDS:
            raise DeliveryError(f"email cannot deliver {item.kind} items")
        to = self.recipients(item.kind)
        if not to:
            raise DeliveryError(f"no email address in the config for {item.kind} items")
        message = EmailMessage()
        school = self.settings.school.name
        message["From"] = Address(f"ClassGuard ({school})", addr_spec=self.smtp.sender)
        message["To"] = ", ".join(to)
        message["Date"] = format_datetime(item.created_at.astimezone(UTC))
        domain = self.smtp.sender.rpartition("@")[2]
        message["Message-ID"] = f"<classguard.{item.id}.{item.created_at:%Y%m%d%H%M%S}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"
        try:
            if item.kind == "digest":
                self._digest(message, item)
            elif item.kind == "escalate_to_slt":
                self._escalation(message, item)
            else:
                self._office(message, item)
        except (KeyError, TypeError, ValidationError) as exc:
            raise DeliveryError(f"outbox item {item.id} has a malformed payload: {exc}") from None
        return message

    def _digest(self, message: EmailMessage, item: OutboxItem) -> None:
        rendered = render_email(Digest.from_payload(item.payload["digest"]))
        message["Subject"] = rendered.subject
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        html = message.get_body(preferencelist=("html",))
        assert isinstance(html, EmailMessage)
        html.add_related(
            rendered.chart,
            maintype="image",
            subtype="png",
            cid=f"<{CHART_CID}>",
            filename="digest-chart.png",
            disposition="inline",
        )

    def _escalation(self, message: EmailMessage, item: OutboxItem) -> None:
        payload = item.payload
        text, letter, advice = str(payload["text"]), payload.get("letter"), payload.get("advice")
        case = f"case #{item.incident_id}" if item.incident_id else "a case"
        subject = f"{self.settings.school.name}: {case} needs senior leadership"
        message["Subject"] = f"{subject} ({advice})" if advice else subject
        body = [text]
        if letter:
            body += [
                "",
                "DRAFT LETTER FOR YOU TO REVIEW (it has not been sent; also attached)",
                "-" * 68,
                str(letter),
            ]
        message.set_content("\n".join(body) + "\n")
        if letter:
            name = f"case-{item.incident_id or item.id}-draft-letter.txt"
            message.add_attachment(str(letter), filename=name)

    def _office(self, message: EmailMessage, item: OutboxItem) -> None:
        case = f" (case #{item.incident_id})" if item.incident_id else ""
        message["Subject"] = f"{self.settings.school.name}: possible security breach{case}"
        message.set_content(str(item.payload["text"]) + "\n")


def email_channel_from_env(
    settings: Settings, environ: Mapping[str, str] | None = None, *, dry_run: bool = False
) -> EmailChannel | None:
    """An email channel when ``SMTP_HOST`` is set; :class:`EmailSetupError` if misconfigured."""
    smtp = SmtpSettings.from_env(environ)
    return EmailChannel(settings, smtp, dry_run=dry_run) if smtp else None
