"""Saved views, sales targets and events: validated reads and writes for both faces.

Why a module of its own beside `service.py`: these rows are what people write, not what
a load wrote, so they bypass the data version, the snapshot and the cache (a target set
a second ago must show now, whatever data version the page is on). The API and the page
call the same methods, so a view saved on the page is the one `GET /api/v1/views` lists.

Every wrong input is a `FilterError` naming the field, which the API answers with its
usual 400 `{"error", "parameter"}`. A view belongs to one user; another user's id is
reported as missing (`None` / `False`), never as forbidden, so ids reveal nothing.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from loaders import userdata as writes

from .config import get_settings
from .filters import FILTER_PARAMS, FilterError, Filters, parse_day, shown
from .metrics import KPI_FIELDS
from .queries import userdata as reads
from .service import DatabaseUnavailable

T = TypeVar("T")

#: URL parameters a saved view may hold besides the filters: the page's language, a
#: relative date preset (`range=30d`), resolved against the data's last day when opened,
#: and the page's view settings (the theme, the time chart's grain), with their values.
VIEW_EXTRA_PARAMS = ("lang", "range", "grain", "theme")
VIEW_SETTING_VALUES = {"grain": ("month", "day"), "theme": ("light", "dark")}
RELATIVE_PRESETS = ("12m", "30d", "90d", "ytd", "all")
#: Dimensions a target may be scoped to (besides the whole shop).
TARGET_DIMENSIONS = ("state", "category")
MAX_NAME, MAX_QUERY, MAX_NOTE = 100, 2000, 2000
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
MAX_AMOUNT = Decimal("99999999999999.99")
#: An alert's choices (issue #16): the window a KPI is computed over (the last whole day,
#: the last 7 days, the last calendar month), and how it is compared with the threshold:
#: below/above in the metric's own unit as `/api/v1/kpis` gives it (rates as fractions),
#: drop_pct/rise_pct in percent of change against the period before, as the cards show it.
ALERT_WINDOWS = ("day", "week", "month")
ALERT_OPS = ("below", "above", "drop_pct", "rise_pct")
ALERT_CHANNELS = ("email", "webhook")
_THRESHOLD = re.compile(r"[0-9]{1,18}(\.[0-9]{1,6})?")
MAX_URL = 2000
#: Addresses a digest or an alert's e-mail goes to besides the owner's (issue #16: an
#: admin adds them). ASCII `local@domain.tld` only: an address lands in a `To:` header,
#: where a comma, a quote or an angle bracket would make it two addresses or a name.
MAX_RECIPIENTS, MAX_ADDRESS = 20, 254
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
                      r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")


def unsubscribe_token(secret: str, subscription_id: int) -> str:
    """The one-click unsubscribe link's token: the subscription id signed with the app's
    key, so the link works from any mail client without signing in, and only for it."""
    return URLSafeSerializer(secret, salt="pulse-unsubscribe").dumps(subscription_id)


def subscription_of(secret: str, token: str) -> int | None:
    try:
        value = URLSafeSerializer(secret, salt="pulse-unsubscribe").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class UnknownUser(LookupError):
    """A signed-in name with no account row (removed a moment ago)."""


def _text(body: Mapping[str, Any], name: str, limit: int, required: bool = True
          ) -> str | None:
    raw = body.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip() and not required):
        if required:
            raise FilterError(name, f"{name} is required")
        return None
    if not isinstance(raw, str):
        raise FilterError(name, f"{name} must be a string")
    value = raw.strip()
    if required and not value:
        raise FilterError(name, f"{name} must not be empty")
    if len(value) > limit:
        raise FilterError(name, f"{name} is longer than {limit} characters")
    return value


def check_query(raw: object) -> str:
    """A page URL's query string (with or without `?`): filter names, `lang`, `range`,
    `grain` and `theme` only, each value as the URL writes it. The filters' values are
    checked when the view is opened, against the data of that day (a view may outlive a
    category)."""
    if not isinstance(raw, str):
        raise FilterError("query", "query must be a string (the page URL's query string)")
    query = raw.strip().lstrip("?")
    if len(query) > MAX_QUERY:
        raise FilterError("query", f"query is longer than {MAX_QUERY} characters")
    try:
        pairs = parse_qsl(query, strict_parsing=True) if query else []
    except ValueError:
        raise FilterError("query", f"query is not a URL query string: {shown(query)}") \
            from None
    for name, value in pairs:
        if name not in (*FILTER_PARAMS, *VIEW_EXTRA_PARAMS):
            raise FilterError("query", f"query holds an unknown parameter {shown(name)}")
        if name == "range" and value not in RELATIVE_PRESETS and not (
                value.isascii() and value.isdigit() and len(value) == 4
                and 1900 <= int(value) <= 2999):
            raise FilterError("query", f"range must be one of {', '.join(RELATIVE_PRESETS)} "
                                       f"or a year, got {shown(value)}")
        if name in VIEW_SETTING_VALUES and value not in VIEW_SETTING_VALUES[name]:
            raise FilterError("query", f"{name} must be one of "
                                       f"{', '.join(VIEW_SETTING_VALUES[name])}")
    return query


def check_month(raw: object) -> date:
    if not isinstance(raw, str) or not _MONTH.fullmatch(raw.strip()):
        raise FilterError("month", f"month must be YYYY-MM, got {shown(str(raw))}")
    year, month = (int(p) for p in raw.strip().split("-"))
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise FilterError("month", f"month is not a valid month: {shown(raw)}")
    return date(year, month, 1)


def check_amount(raw: object) -> Decimal:
    """A non-negative amount of money, at most 2 decimals: JSON numbers or strings of
    ASCII digits. `true`, `-5`, `1e3`, `NaN` and `12,50` are refused."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise FilterError("amount", "amount must be a number")
    text = str(raw).strip()
    if isinstance(raw, float):
        text = f"{raw:.2f}" if raw == round(raw, 2) else text
    if text.startswith("-"):
        raise FilterError("amount", f"amount must not be negative, got {shown(text)}")
    if not _AMOUNT.fullmatch(text):
        raise FilterError("amount", f"amount must be a number with at most 2 decimals, "
                                    f"got {shown(text)}")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        raise FilterError("amount", f"amount is not a number: {shown(text)}") from None
    if value > MAX_AMOUNT:
        raise FilterError("amount", "amount is too large")
    return value


def check_scope(body: Mapping[str, Any]) -> tuple[str, str]:
    """('', '') for the whole shop, or (dimension, value) for one state or category."""
    given = [d for d in TARGET_DIMENSIONS if body.get(d) not in (None, "")]
    if len(given) > 1:
        raise FilterError(given[1], "a target is for the whole shop, one state or one "
                                    "category, not both")
    if not given:
        return "", ""
    value = _text(body, given[0], 64)
    assert value is not None
    return given[0], value


def check_event(body: Mapping[str, Any]) -> tuple[date, date, str, str | None]:
    for name in ("start", "end"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            raise FilterError(name, f"{name} must be a date as YYYY-MM-DD")
    if not body.get("start"):
        raise FilterError("start", "start is required")
    start = parse_day("start", body["start"].strip())
    end = parse_day("end", body["end"].strip()) if body.get("end") else start
    if end < start:
        raise FilterError("end", f"end {end} is before start {start}")
    label = _text(body, "label", MAX_NAME)
    assert label is not None
    return start, end, label, _text(body, "note", MAX_NOTE, required=False)


def check_id(body: Mapping[str, Any], name: str, what: str) -> int:
    raw = body.get(name)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw < 2**63:
        raise FilterError(name, f"{name} must be the id of {what}")
    return raw


def check_threshold(raw: object) -> Decimal:
    """A non-negative number, at most 6 decimals (a rate of 0.0525 is 5.25 %)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise FilterError("threshold", "threshold must be a number")
    text_ = (repr(raw) if isinstance(raw, float) else str(raw)).strip()
    if text_.startswith("-"):
        raise FilterError("threshold", f"threshold must not be negative, got {shown(text_)}")
    if not _THRESHOLD.fullmatch(text_):
        raise FilterError("threshold", "threshold must be a number with at most 6 decimals, "
                                       f"got {shown(text_)}")
    return Decimal(text_)


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes an address internal (None: a public one)."""
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "reserved"


def webhook_refusal(url: str, allow_private: bool = False) -> str | None:
    """Why Pulse must not POST to `url` (None: it may). A webhook is a request the
    server makes on a user's behalf: to a loopback, private, link-local (the cloud's
    metadata service at 169.254.169.254), multicast or unspecified address it would
    reach what only the server can reach (SSRF). Every address the host resolves to
    counts; a host that does not resolve now is let through here, and the send checks
    again (DNS can change between saving and sending). PULSE_WEBHOOK_ALLOW_PRIVATE=1
    lifts the address rule for installs whose chat server is on the same network.
    Never names the address: the history shows the reason, not the webhook's host."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "webhook_url is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "webhook_url must be an http:// or https:// address"
    if allow_private:
        return None
    try:
        found = {ipaddress.ip_address(parts.hostname.strip("[]"))}
    except ValueError:
        try:
            found = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in
                     socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
        except (OSError, UnicodeError, ValueError):
            return None
    kinds = sorted({k for k in map(_kind, found) if k})
    if kinds:
        return (f"webhook_url must not point to a {kinds[0]} address "
                "(PULSE_WEBHOOK_ALLOW_PRIVATE=1 allows it)")
    return None


def check_webhook_url(raw: object, allow_private: bool = False) -> str:
    """An http(s) address the run POSTs to; its path may be a secret (Slack's is), so it
    is shown to its owner only and never logged. Internal addresses are refused
    (`webhook_refusal`)."""
    if not isinstance(raw, str) or not raw.strip():
        raise FilterError("webhook_url", "webhook_url is required for the webhook channel")
    url = raw.strip()
    if len(url) > MAX_URL:
        raise FilterError("webhook_url", f"webhook_url is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise FilterError("webhook_url", "webhook_url is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FilterError("webhook_url", "webhook_url must be an http:// or https:// address")
    if any(c.isspace() for c in url):
        raise FilterError("webhook_url", "webhook_url must not contain spaces")
    refused = webhook_refusal(url, allow_private)
    if refused:
        raise FilterError("webhook_url", refused)
    return url


def check_email(raw: object) -> str | None:
    """A user's address for digests and alerts, or None to remove it (`null` or ""); the
    same rule as `recipients` (it lands in a `To:` header too)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        raise FilterError("email", "email must be a string (an e-mail address) or null")
    value = raw.strip()
    if len(value) > MAX_ADDRESS or not _ADDRESS.fullmatch(value):
        raise FilterError("email", f"email is not an e-mail address: {shown(value)}")
    return value


def check_recipients(raw: object, own: str | None, admin: bool) -> list[str]:
    """The other addresses of a digest or an alert, each once, the owner's left out (it
    always gets one). Only an admin may name an address that is not their own: anyone
    else could make Pulse mail strangers. Refused the way every wrong field is (a 400
    naming `recipients`), not as a 403: the request is fine, this field's value is not."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_RECIPIENTS:
        raise FilterError("recipients", "recipients must be a list of at most "
                                        f"{MAX_RECIPIENTS} e-mail addresses")
    out: list[str] = []
    for item in raw:
        address = item.strip() if isinstance(item, str) else ""
        if len(address) > MAX_ADDRESS or not _ADDRESS.fullmatch(address):
            raise FilterError("recipients", "recipients must be e-mail addresses "
                                            f"(name@example.com), got {shown(str(item))}")
        seen = {a.lower() for a in out} | {(own or "").lower()}
        if address.lower() in seen:
            continue
        if not admin:
            raise FilterError("recipients", "only an admin may send to addresses other "
                                            "than your own")
        out.append(address)
    return out


def check_alert(body: Mapping[str, Any], allow_private: bool = False) -> dict[str, Any]:
    """An alert rule from a JSON body: each wrong field is a `FilterError` naming it."""
    metric = body.get("metric")
    if metric not in KPI_FIELDS:
        raise FilterError("metric", f"metric must be one of {', '.join(KPI_FIELDS)}, "
                                    f"got {shown(str(metric))}")
    window = body.get("window")
    if window not in ALERT_WINDOWS:
        raise FilterError("window", f"window must be one of {', '.join(ALERT_WINDOWS)}")
    op = body.get("op")
    if op not in ALERT_OPS:
        raise FilterError("op", f"op must be one of {', '.join(ALERT_OPS)}")
    if body.get("threshold") is None:
        raise FilterError("threshold", "threshold is required")
    threshold = check_threshold(body["threshold"])
    channels = body.get("channels")
    if (not isinstance(channels, list) or not channels
            or not all(isinstance(c, str) and c in ALERT_CHANNELS for c in channels)
            or len(set(channels)) != len(channels)):
        raise FilterError("channels", "channels must be a list of email and/or webhook")
    url = body.get("webhook_url")
    if "webhook" in channels:
        url = check_webhook_url(url, allow_private)
    elif url not in (None, ""):
        raise FilterError("webhook_url", "webhook_url needs \"webhook\" in channels")
    return {"metric": metric, "window": window, "op": op, "threshold": threshold,
            "channels": [c for c in ALERT_CHANNELS if c in channels],
            "webhook_url": url or None}


def target_scope(filters: Filters) -> tuple[str, str] | None:
    """The target scope a view's filters are: the whole shop, one state or one category
    and nothing else; other views (two states, a payment type) have no target."""
    dims = {"state": filters.states, "category": filters.categories,
            "region": filters.regions, "payment_type": filters.payment_types,
            "seller": filters.sellers}
    used = {k: v for k, v in dims.items() if v}
    if not used:
        return "", ""
    if len(used) == 1:
        (name, values), = used.items()
        if name in TARGET_DIMENSIONS and len(values) == 1:
            return name, values[0]
    return None


class UserData:
    """Views, targets and events over one engine that may write them (the primary).

    `engine` may be a function that makes it, called on first use: building the app
    must not reach the database (an embedded one may not be running yet)."""

    def __init__(self, engine: Engine | Callable[[], Engine],
                 allow_private_webhooks: bool | None = None) -> None:
        self._engine = engine
        self._allow_private = allow_private_webhooks

    @property
    def allow_private_webhooks(self) -> bool:
        """PULSE_WEBHOOK_ALLOW_PRIVATE: the app passes its settings' value; a store made
        without one (the CLI, tests) asks the process's settings when it checks."""
        if self._allow_private is None:
            return get_settings().webhook_allow_private
        return self._allow_private

    @property
    def engine(self) -> Engine:
        if not isinstance(self._engine, Engine):
            self._engine = self._engine()
        return self._engine

    def _run(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise DatabaseUnavailable(reason) from None

    def _read(self, fn: Callable[[Any], T]) -> T:
        def go() -> T:
            with self.engine.connect() as conn:
                return fn(conn)
        return self._run(go)

    # --- who -----------------------------------------------------------------------------

    def owner(self, username: str | None) -> int | None:
        """The account id views are stored under; None when sign-in is off."""
        if username is None:
            return None
        found = self._read(lambda c: reads.user_id(c, username))
        if found is None:
            raise UnknownUser(username)
        return found

    def me(self, owner: int | None) -> dict[str, Any]:
        """What the signed-in user may see and change of their account: the address
        digests and alerts go to."""
        if owner is None:
            return {"email": None}
        return {"email": self._read(lambda c: reads.user_mailing(c, owner))["email"]}

    def set_email(self, owner: int | None, body: Mapping[str, Any]) -> dict[str, Any]:
        if "email" not in body:
            raise FilterError("email", "email is required (an address, or null to remove it)")
        email = check_email(body.get("email"))
        if owner is None:
            raise FilterError("email", "an address needs sign-in (a user account)")
        self._run(lambda: writes.set_user_email(self.engine, owner, email))
        return {"email": email}

    # --- saved views -----------------------------------------------------------------------

    def views(self, owner: int | None) -> list[dict[str, Any]]:
        return self._read(lambda c: reads.views(c, owner))

    def view(self, owner: int | None, view_id: int) -> dict[str, Any] | None:
        return self._read(lambda c: reads.view(c, owner, view_id))

    def save_view(self, owner: int | None, body: Mapping[str, Any]) -> dict[str, Any]:
        name = _text(body, "name", MAX_NAME)
        query = check_query(body.get("query", ""))
        assert name is not None
        return self._run(lambda: writes.save_view(self.engine, owner, name, query))

    def delete_view(self, owner: int | None, view_id: int) -> bool:
        return self._run(lambda: writes.delete_view(self.engine, owner, view_id))

    # --- targets -----------------------------------------------------------------------------

    def targets(self, start: date | None = None, end: date | None = None
                ) -> list[dict[str, Any]]:
        return self._read(lambda c: reads.targets(c, start, end))

    def set_target(self, body: Mapping[str, Any]) -> dict[str, Any]:
        month = check_month(body.get("month"))
        if body.get("amount") is None:
            raise FilterError("amount", "amount is required")
        amount = check_amount(body.get("amount"))
        dimension, value = check_scope(body)
        return self._run(lambda: writes.set_target(self.engine, month, amount, dimension,
                                                   value))

    def delete_target(self, target_id: int) -> bool:
        return self._run(lambda: writes.delete_target(self.engine, target_id))

    def monthly_targets(self, filters: Filters) -> dict[date, Decimal]:
        """{month: target} for the view's scope and range (empty when the view is not a
        target scope, see `target_scope`)."""
        scope = target_scope(filters)
        if scope is None:
            return {}
        return {t["month"]: t["amount"] for t in self.targets(filters.start, filters.end)
                if (t["dimension"], t["value"]) == scope}

    def progress(self, filters: Filters, sales: Decimal | None,
                 targets: Mapping[date, Decimal] | None = None) -> dict[str, Any] | None:
        """The view's sales against its target: only for ranges of whole months whose
        every month has a target in the view's scope (a partial month or a missing
        target would make the percentage mean something else). `targets`: the view's
        `monthly_targets` when the caller has read them already."""
        if filters.start is None or filters.end is None or sales is None:
            return None
        months = filters.whole_months()
        if not months:
            return None
        found = self.monthly_targets(filters) if targets is None else targets
        if len(found) != months:
            return None
        target = sum(found.values(), Decimal(0))
        ratio = (Decimal(sales) / target) if target else None
        return {"target": target, "sales": Decimal(sales), "ratio": ratio}

    # --- events --------------------------------------------------------------------------------

    def events(self, start: date | None = None, end: date | None = None
               ) -> list[dict[str, Any]]:
        return self._read(lambda c: reads.events(c, start, end))

    def add_event(self, body: Mapping[str, Any]) -> dict[str, Any]:
        start, end, label, note = check_event(body)
        return self._run(lambda: writes.add_event(self.engine, start, end, label, note))

    def delete_event(self, event_id: int) -> bool:
        return self._run(lambda: writes.delete_event(self.engine, event_id))

    # --- digests -----------------------------------------------------------------------------

    def subscribe(self, owner: int | None, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """None when the view is not the owner's (reported as missing)."""
        view_id = body.get("view_id")
        if isinstance(view_id, bool) or not isinstance(view_id, int) or view_id < 1:
            raise FilterError("view_id", "view_id must be the id of one of your saved views")
        frequency = body.get("frequency")
        if frequency not in ("daily", "weekly", "monthly"):
            raise FilterError("frequency", "frequency must be daily, weekly or monthly")
        if owner is None:
            raise FilterError("view_id", "digests need sign-in (a user with an address)")
        mailing = self._read(lambda c: reads.user_mailing(c, owner))
        recipients = check_recipients(body.get("recipients"), mailing["email"],
                                      mailing["is_admin"])
        return self._run(lambda: writes.subscribe(self.engine, owner, view_id, frequency,
                                                  recipients))

    def subscriptions(self, owner: int | None) -> list[dict[str, Any]]:
        if owner is None:
            return []
        return self._read(lambda c: reads.subscriptions(c, owner))

    def unsubscribe(self, owner: int | None, subscription_id: int) -> bool:
        return self._run(lambda: writes.delete_subscription(self.engine, owner,
                                                            subscription_id))

    def subscription_query(self, subscription_id: int) -> str | None:
        """The query of the view a subscription e-mails (None: no such subscription)."""
        return self._read(lambda c: reads.subscription_query(c, subscription_id))

    def unsubscribe_link(self, subscription_id: int) -> bool:
        """What the signed link does: stop the subscription (kept, for the record)."""
        return self._run(lambda: writes.stop_subscription(self.engine, subscription_id))

    # --- alerts -----------------------------------------------------------------------------

    def alerts(self, owner: int | None) -> list[dict[str, Any]]:
        if owner is None:
            return []
        return self._read(lambda c: reads.alerts(c, owner))

    def alert(self, owner: int | None, alert_id: int) -> dict[str, Any] | None:
        if owner is None:
            return None
        found = self._read(lambda c: reads.alerts(c, owner, alert_id))
        return found[0] if found else None

    def add_alert(self, owner: int | None, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """None when the view is not the owner's (reported as missing). The e-mail channel
        needs an address on the account: it goes to the user's own address and the
        `recipients` an admin added."""
        view_id = check_id(body, "view_id", "one of your saved views")
        rule = check_alert(body, self.allow_private_webhooks)
        if owner is None:
            raise FilterError("view_id", "alerts need sign-in (a user with an address)")
        if self.view(owner, view_id) is None:
            return None
        mailing = self._read(lambda c: reads.user_mailing(c, owner))
        if "email" in rule["channels"] and not mailing["email"]:
            raise FilterError("channels", "the email channel needs an e-mail address on "
                                          "your account")
        rule["recipients"] = check_recipients(body.get("recipients"), mailing["email"],
                                              mailing["is_admin"])
        if rule["recipients"] and "email" not in rule["channels"]:
            raise FilterError("recipients", "recipients need \"email\" in channels")
        return self._run(lambda: writes.add_alert(self.engine, owner, view_id, rule))

    def delete_alert(self, owner: int | None, alert_id: int) -> bool:
        return self._run(lambda: writes.delete_alert(self.engine, owner, alert_id))

    def alert_history(self, owner: int | None, alert_id: int) -> list[dict[str, Any]] | None:
        """None when the alert is not the owner's."""
        if self.alert(owner, alert_id) is None:
            return None
        return self._read(lambda c: reads.alert_history(c, alert_id))
