"""Telling a steward that something went wrong at night: a webhook and/or an e-mail.

Where to send comes from the environment only (the webhook URL often is its own secret); a
message names the run, the source and the reason, never a credential.

- `ODC_ALERT_WEBHOOK_URL`: receives a JSON POST `{"text", "subject", "body"}` (the shape
  Slack, Mattermost and Rocket.Chat incoming webhooks accept).
- `ODC_SMTP_HOST`, `ODC_SMTP_PORT` (25), `ODC_ALERT_EMAIL_FROM`, `ODC_ALERT_EMAIL_TO`
  (comma-separated), optional `ODC_SMTP_USER`, `ODC_SMTP_PASSWORD`, `ODC_SMTP_STARTTLS=1`.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

import requests

from odc_pipeline.settings import read

_TIMEOUT = 10


class AlertError(RuntimeError):
    """An alert could not be delivered on some channel; the message says which and why."""


@dataclass(frozen=True)
class AlertChannels:
    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str | None = None
    email_to: tuple[str, ...] = field(default_factory=tuple)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False

    @property
    def configured(self) -> list[str]:
        channels = []
        if self.webhook_url:
            channels.append("webhook")
        if self.smtp_host and self.email_from and self.email_to:
            channels.append("email")
        return channels


def channels_from_environment(environ: Mapping[str, str] | None = None) -> AlertChannels:
    def value(name: str) -> str | None:
        return read(name, environ) or None

    return AlertChannels(
        webhook_url=value("ODC_ALERT_WEBHOOK_URL"),
        smtp_host=value("ODC_SMTP_HOST"),
        smtp_port=int(read("ODC_SMTP_PORT", environ)),
        email_from=value("ODC_ALERT_EMAIL_FROM"),
        email_to=tuple(
            a.strip() for a in read("ODC_ALERT_EMAIL_TO", environ).split(",") if a.strip()
        ),
        smtp_user=value("ODC_SMTP_USER"),
        smtp_password=value("ODC_SMTP_PASSWORD"),
        smtp_starttls=read("ODC_SMTP_STARTTLS", environ).lower() in ("1", "true", "yes"),
    )


def send_alert(channels: AlertChannels, subject: str, body: str) -> list[str]:
    """Send on every configured channel; the channels that delivered. Raises AlertError
    (after trying all) if any failed."""
    delivered, problems = [], []
    if channels.webhook_url:
        try:
            response = requests.post(
                channels.webhook_url,
                json={"text": f"{subject}\n{body}", "subject": subject, "body": body},
                timeout=_TIMEOUT,
            )
            response.raise_for_status()
            delivered.append("webhook")
        except requests.RequestException as error:
            # The URL may carry a token: name the kind of failure, not the address.
            status = getattr(getattr(error, "response", None), "status_code", None)
            problems.append(f"webhook: {type(error).__name__}" + (f" {status}" if status else ""))
    if "email" in channels.configured:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = channels.email_from
        message["To"] = ", ".join(channels.email_to)
        message.set_content(body)
        try:
            with smtplib.SMTP(channels.smtp_host, channels.smtp_port, timeout=_TIMEOUT) as smtp:
                if channels.smtp_starttls:
                    smtp.starttls()
                if channels.smtp_user:
                    smtp.login(channels.smtp_user, channels.smtp_password or "")
                smtp.send_message(message)
            delivered.append("email")
        except (OSError, smtplib.SMTPException) as error:
            problems.append(f"email via {channels.smtp_host}: {type(error).__name__}")
    if problems:
        raise AlertError("alert not delivered: " + "; ".join(problems))
    return delivered
