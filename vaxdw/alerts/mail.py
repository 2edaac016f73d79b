"""Alert e-mail over SMTP (plain, optionally STARTTLS + login)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from vaxdw.settings import Settings


def send_mail(settings: Settings, subject: str, body: str, timeout: float = 10) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.alert_email_from
    message["To"] = ", ".join(settings.alert_email_to)
    message.set_content(body, charset="utf-8")
    with smtplib.SMTP(settings.smtp_host or "localhost", settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)
