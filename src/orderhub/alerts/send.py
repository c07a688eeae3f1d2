"""Sending one alert message to one destination: a webhook (generic JSON, or a
Slack-compatible ``{"text": ...}``) or e-mail over SMTP (STARTTLS by default).

Messages carry the account, the channel, the problem code, its summary, its fix and
numbers; never a credential (the texts are scrubbed of registered secrets) and never buyer
data (the health model holds none). A failure raises :class:`DeliveryError` with a reason
that names the destination but not its URL (a webhook URL is a credential).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx

from orderhub.alerts.settings import (
    Destination,
    EmailDestination,
    WebhookDestination,
    destination_secrets,
)
from orderhub.logs import scrub_text
from orderhub.sdk.secrets import register_secrets

SEVERITY_WORD = {"critical": "CRITICAL", "warning": "WARNING"}


class DeliveryError(Exception):
    """A destination did not take the message; ``reason`` is safe to log and store."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Message:
    """One alert message, as every destination renders it."""

    kind: str  # opened | reminder | escalated | resolved | test
    account: str
    channel: str
    problem: str
    severity: str
    summary: str
    fix: str
    since: datetime | None
    alert_id: int | None
    details: dict[str, Any]

    @property
    def title(self) -> str:
        if self.kind == "test":
            return "orderhub test alert"
        word = "RESOLVED" if self.kind == "resolved" else SEVERITY_WORD.get(self.severity, "ALERT")
        return f"[orderhub] {word} {self.account}: {self.problem.replace('_', ' ')}"

    @property
    def text(self) -> str:
        if self.kind == "test":
            return f"{self.title}: {self.summary}"
        if self.kind == "resolved":
            return f"{self.title}. Resolved: {self.summary}"
        again = {"reminder": " (still open)", "escalated": " (worse)"}.get(self.kind, "")
        since = f" Since {self.since:%Y-%m-%d %H:%M} UTC." if self.since else ""
        return f"{self.title}{again}: {self.summary}.{since} Fix: {self.fix}"

    def payload(self) -> dict[str, Any]:
        return {
            "source": "orderhub",
            "kind": self.kind,
            "account": self.account,
            "channel": self.channel,
            "problem": self.problem,
            "severity": self.severity,
            "summary": self.summary,
            "fix": self.fix,
            "since": self.since.isoformat() if self.since else None,
            "alert_id": self.alert_id,
            "details": self.details,
            "text": self.text,
        }


def send(destination: Destination, message: Message) -> None:
    """Deliver ``message`` or raise :class:`DeliveryError`."""
    # Like a connector's credentials, a destination's secrets join the log redactor when
    # the destination is used, not as a side effect of reading the configuration.
    register_secrets(destination_secrets(destination))
    if isinstance(destination, WebhookDestination):
        _webhook(destination, message)
    else:
        _email(destination, message)


def _webhook(destination: WebhookDestination, message: Message) -> None:
    body = {"text": message.text} if destination.format == "slack" else message.payload()
    try:
        response = httpx.post(destination.url, json=body, timeout=destination.timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(
            f"webhook {destination.name}: {type(exc).__name__}: {scrub_text(str(exc))[:200]}"
        ) from None
    if not response.is_success:
        raise DeliveryError(f"webhook {destination.name}: answered HTTP {response.status_code}")


def _email(destination: EmailDestination, message: Message) -> None:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = destination.sender
    mail["To"] = ", ".join(destination.recipients)
    lines = [message.text, ""]
    lines += [f"Account: {message.account} ({message.channel})", f"Problem: {message.problem}"]
    if message.since:
        lines.append(f"Since: {message.since:%Y-%m-%d %H:%M} UTC")
    lines += [f"{key}: {value}" for key, value in sorted(message.details.items())]
    mail.set_content("\n".join(lines) + "\n")
    context = ssl.create_default_context()
    if destination.ca_file:
        context.load_verify_locations(destination.ca_file)
    try:
        smtp: smtplib.SMTP
        if destination.ssl:
            smtp = smtplib.SMTP_SSL(
                destination.host, destination.port, timeout=destination.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(destination.host, destination.port, timeout=destination.timeout)
        with smtp:
            if destination.starttls and not destination.ssl:
                smtp.starttls(context=context)
            if destination.username and destination.password:
                smtp.login(destination.username, destination.password)
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        reason = scrub_text(str(exc))[:200]
        raise DeliveryError(f"e-mail {destination.name}: {type(exc).__name__}: {reason}") from None
