"""One `pulse notify run`: the digests due, then the alerts, under one lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from loaders import userdata as writes

from ..service import PulseService
from . import alerts, digests
from .mail import Smtp


@dataclass(frozen=True)
class Outcome:
    digests_sent: int = 0
    digests_failed: int = 0
    alerts_fired: int = 0
    alerts_sent: int = 0
    alerts_failed: int = 0

    @property
    def failed(self) -> int:
        return self.digests_failed + self.alerts_failed


def notify_all(engine: Engine, service: PulseService, smtp: Smtp, now: datetime,
               base_url: str, currency: str, secret: str | None = None,
               locale: str = "en", allow_private: bool = False) -> Outcome:
    """Everything due at `now`, exactly once even when two runs overlap: the second
    waits for the lock, then finds the ledger rows and alert states the first wrote."""
    with writes.digest_lock(engine):
        sent, failed = digests.send_due(engine, service, smtp, now, base_url, currency, secret,
                                        locale)
        fired = alerts.check_all(engine, service, now)
        a_sent, a_failed = alerts.deliver_due(engine, smtp, base_url, currency, locale,
                                              allow_private)
    return Outcome(sent, failed, fired, a_sent, a_failed)
