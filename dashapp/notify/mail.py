"""SMTP from `SMTP_URL`: the one place that knows the URL's shape and how to send."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from ..config import ConfigError

#: What a failed send may record: the exception's kind and a short reason, no more.
MAX_REASON = 200


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: bool  # smtps: TLS from the first byte; smtp: STARTTLS where the server offers it
    sender: str

    def __repr__(self) -> str:  # the password stays out of tracebacks and logs
        return f"Smtp({self.host}:{self.port}, tls={self.tls})"


def smtp_from_url(url: str | None, sender: str | None = None) -> Smtp:
    """`smtp://` or `smtps://user:password@host:port`; anything else stops the run with a
    message naming SMTP_URL (the password never appears in it)."""
    if not url:
        raise ConfigError("SMTP_URL is not set (smtp://user:password@host:port)")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError("SMTP_URL is malformed: use smtp:// or "
                          "smtps://user:password@host:port") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("SMTP_URL must be smtp://host:port or smtps://user:password@"
                          f"host:port (got scheme {parts.scheme or 'none'!r})")
    tls = parts.scheme == "smtps"
    user = unquote(parts.username) if parts.username else None
    return Smtp(parts.hostname, port or (465 if tls else 587), user,
                unquote(parts.password) if parts.password else None, tls,
                sender or f"pulse@{parts.hostname}")


def send(smtp: Smtp, msg: EmailMessage) -> None:
    if smtp.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=20,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=20)
    with client:
        client.ehlo()
        if not smtp.tls and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg)


def reason(exc: BaseException) -> str:
    """Why a send failed, for the history and the log: the kind and the server's or the
    system's short reason (SMTP and socket errors carry no password or body)."""
    detail = getattr(exc, "strerror", None) or str(exc)
    return f"{type(exc).__name__}: {detail}".strip().rstrip(":")[:MAX_REASON]
