"""Who may see the dashboard: users, API tokens and the record of sign-in attempts.

These live in the same database as the sales data because that is the one
piece of shared state every web process already has: any number of gunicorn
workers or dynos see the same users, and the login throttle counts failures
across all of them (an in-process counter would let an attacker multiply
their guesses by the number of workers).

What is stored, and why:

* `pulse_users`: a username (lower-cased, so "Ana" and "ana" are one account)
  and a salted, slow password hash from `werkzeug.security`; never a password.
* `pulse_api_tokens`: only the SHA-256 of each token. A token is 256 random
  bits, so a fast hash is enough (no dictionary to attack) and lets a request
  find its token with one indexed lookup. The first characters (`prefix`) are
  kept to let people tell their tokens apart in `pulse token list`.
* `pulse_login_attempts`: one row per sign-in attempt, so the throttle is a
  count over a time window. The web role may INSERT and DELETE here and
  nowhere else (see `pulse db grant-reader`).

All three are small; on a Citus cluster they are reference tables (docs/SCALING.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from .schema import Base


class User(Base):
    """Someone who may sign in to the page (managed by `pulse user add/remove`)."""

    __tablename__ = "pulse_users"
    __table_args__ = (
        CheckConstraint(
            "username = lower(username) AND length(username) BETWEEN 1 AND 64",
            name="ck_pulse_users_username",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    #: where digests go (migration 0013; `pulse user add NAME --email ADDR`)
    email: Mapped[str | None] = mapped_column(Text)
    #: may send digests and alerts to other addresses (migration 0018; `pulse user admin`)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ApiToken(Base):
    """A bearer token for the REST API; it never opens the page."""

    __tablename__ = "pulse_api_tokens"
    __table_args__ = (Index("ix_pulse_api_tokens_user", "user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pulse_users.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(Text, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One sign-in attempt; the throttle counts recent failures per username and per client."""

    __tablename__ = "pulse_login_attempts"
    __table_args__ = (
        Index("ix_pulse_login_attempts_username_at", "username", "at"),
        Index("ix_pulse_login_attempts_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    username: Mapped[str] = mapped_column(Text, nullable=False)
    client: Mapped[str] = mapped_column(Text, nullable=False)
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)


ACCOUNT_TABLES = [User.__table__, ApiToken.__table__, LoginAttempt.__table__]
