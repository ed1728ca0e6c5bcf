"""`pulse notify run`: send the digests and alerts that are due (issue #16).

Thin: the settings (`SMTP_URL`, `PULSE_MAIL_FROM`, `PULSE_PUBLIC_URL`) come from
`config.get_settings()`, the work from `dashapp/notify/`. A malformed SMTP_URL or
`--now` stops the command naming it (exit 2); a failed send exits 1 (tried again by the
next run)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from ..cache import ResultCache
from ..config import ConfigError, get_settings
from ..notify.mail import smtp_from_url
from ..notify.run import notify_all
from ..service import PulseService


def cmd_notify_run(args: argparse.Namespace) -> int:
    from .admin import upgraded_loader

    settings = get_settings()
    smtp = smtp_from_url(settings.smtp_url, settings.mail_from)
    try:
        now = datetime.fromisoformat(args.now) if args.now else datetime.now()
    except ValueError:
        raise ConfigError(f"--now must be YYYY-MM-DDTHH:MM, got {args.now!r}") from None
    engine = upgraded_loader()
    service = PulseService(engine, ResultCache(settings))
    done = notify_all(engine, service, smtp, now, settings.public_url, settings.currency,
                      settings.secret_key, settings.locale, settings.webhook_allow_private)
    print(f"digests: {done.digests_sent} sent, {done.digests_failed} failed; "
          f"alerts: {done.alerts_fired} fired, {done.alerts_sent} sent, "
          f"{done.alerts_failed} failed" + (" (tried again next run)" if done.failed else ""))
    return 0 if not done.failed else 1


def register(sub: Any) -> None:
    notify = sub.add_parser("notify", help="e-mail digests and alerts")
    notify_sub = notify.add_subparsers(dest="notify_command", required=True)
    run_p = notify_sub.add_parser("run", help="send every digest and alert that is due "
                                              "(SMTP_URL)")
    run_p.add_argument("--now", help="the clock, YYYY-MM-DDTHH:MM (tests, back-fills)")
    run_p.set_defaults(func=cmd_notify_run)
