"""Configuration from environment variables, read in one place.

Heroku-style deploys hand everything to the process as environment variables
(`DATABASE_URL`, `REDIS_URL`, `PORT`); a laptop sets none of them and gets the
embedded default under `PULSE_HOME`. Every other module asks `get_settings()`
instead of reading `os.environ`, so tests can build a `Settings` of their own.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The locales the page speaks and formats numbers in (CLDR names). `fr_MA` writes numbers
#: as Morocco does and reads the French catalog; English is the catalogs' source.
LOCALES = ("en", "pt_BR", "fr", "fr_MA")


class ConfigError(ValueError):
    """A configuration value is present but unusable; the message names the variable."""


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost' (the addresses only this machine reaches)."""
    if not address:
        return False
    if address.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def served_by_gunicorn() -> bool:
    """gunicorn's arbiter exports SERVER_SOFTWARE to the environment its workers inherit."""
    return os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn")


def normalise_database_url(url: str) -> str:
    """Accept Heroku's `postgres://` scheme and bare `postgresql://`, pin psycopg2.

    SQLAlchemy 2 refuses `postgres://`, which is exactly what Heroku sets.
    """
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    if url.startswith("postgresql+"):
        return url
    raise ConfigError(
        "DATABASE_URL must start with postgres:// or postgresql:// "
        f"(got a URL starting with {url.split(':', 1)[0]!r})"
    )


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class CountryPreset:
    """What `PULSE_COUNTRY` selects: the map and the defaults a shop in that country wants.

    Why presets: a shop outside Brazil would otherwise set three or four variables that
    must agree with each other (the map, its id key, the region grouping, the money);
    one setting picks a consistent set, and each explicit variable still wins. The region
    grouping lives beside the others in `regions.py` (`regions.PRESETS`).
    `locale`/`currency` are the values `PULSE_LOCALE`/`PULSE_CURRENCY` default to for that
    country (None: the app's own default). `unit` is what the map's areas are called:
    Brazil's states, Morocco's regions (the page's texts follow it, `i18n.place_text`).
    """

    code: str
    name: str
    geojson: Path
    geo_key: str = "id"
    locale: str | None = None
    currency: str | None = None
    unit: str = "state"


COUNTRIES: dict[str, CountryPreset] = {
    "BR": CountryPreset("BR", "Brazil", PROJECT_ROOT / "geo" / "brazil-states.geojson",
                        currency="BRL"),
    "MA": CountryPreset("MA", "Morocco", PROJECT_ROOT / "geo" / "morocco-regions.geojson",
                        locale="fr_MA", currency="MAD", unit="region"),
}
DEFAULT_COUNTRY = "BR"


def country_code(env: Mapping[str, str]) -> str:
    """`PULSE_COUNTRY` checked (case-insensitive); an unknown code stops start-up."""
    raw = env.get("PULSE_COUNTRY", "").strip()
    code = raw.upper() or DEFAULT_COUNTRY
    if code not in COUNTRIES:
        accepted = ", ".join(f"{c} ({p.name})" for c, p in COUNTRIES.items())
        raise ConfigError(f"PULSE_COUNTRY must be one of {accepted}, got {raw!r}")
    return code


@dataclass(frozen=True)
class Settings:
    """Everything the app and the CLI need to know about their surroundings."""

    database_url: str | None = None
    loader_database_url: str | None = None
    read_database_url: str | None = None
    redis_url: str | None = None
    port: int = 8050
    host: str = "127.0.0.1"
    home: Path = field(default_factory=lambda: Path(".pulse").resolve())
    country: str = DEFAULT_COUNTRY
    geojson: Path = PROJECT_ROOT / "geo" / "brazil-states.geojson"
    geo_key: str = "id"
    refresh_seconds: int = 300
    demo_orders: int = 100_000
    cache_timeout: int = 3600
    # production hardening (see dashapp/web/, docs/DEPLOY.md)
    auth: str = "auto"
    secret_key: str | None = None
    session_hours: int = 12
    trusted_proxies: int = 0
    force_https: bool = False
    max_request_bytes: int = 2_000_000
    api_rate_limit: int = 600
    statement_timeout_ms: int = 15_000
    db_pool_size: int = 5
    # the page's language and money (dashapp/page/i18n.py); the API stays locale-neutral
    locale: str = "en"
    #: whether PULSE_LOCALE was set: if not, the browser's Accept-Language may choose
    locale_set: bool = False
    currency: str = "BRL"
    # `pulse notify run` (dashapp/notify/): checked when it runs, so a malformed SMTP_URL
    # stops that command, naming it, and never the web app that does not send mail
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str | None = None
    public_url: str = "http://127.0.0.1:8050"
    #: alerts' webhooks may go to loopback, private and link-local addresses (a chat
    #: server on the same network); off, such a URL is refused (dashapp/userdata.py)
    webhook_allow_private: bool = False

    @property
    def exposed(self) -> bool:
        """Whether people other than this machine's user can reach the server: it listens
        beyond loopback, or gunicorn serves it (a production deploy, whatever the bind).
        Sign-in (`PULSE_AUTH=auto`), rate limits and debug mode all ask this one question."""
        return not is_loopback(self.host) or served_by_gunicorn()

    @property
    def preset(self) -> CountryPreset:
        """The country preset the map, regions and money defaults came from."""
        return COUNTRIES[self.country]

    @property
    def embedded(self) -> bool:
        """True when no DATABASE_URL is set and Pulse runs its own PostgreSQL."""
        return self.database_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or default
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _redis_url(env: Mapping[str, str]) -> str | None:
    """REDIS_URL; `PULSE_REDIS_CERT_CHECK=none` accepts a TLS Redis with a self-signed
    certificate (Heroku Redis), still encrypted but without verifying the server."""
    url = env.get("REDIS_URL", "").strip() or None
    check = _choice(env, "PULSE_REDIS_CERT_CHECK", "required", ("required", "none"))
    if url and check == "none" and url.startswith("rediss://") and "ssl_cert_reqs" not in url:
        url += ("&" if "?" in url else "?") + "ssl_cert_reqs=none"
    return url


def normalise_locale(code: str | None) -> str | None:
    """`pt-BR`, `pt_br`, ` PT-br ` -> `pt_BR` (CLDR's spelling); None if not in LOCALES."""
    wanted = (code or "").strip().replace("-", "_").lower()
    return next((name for name in LOCALES if name.lower() == wanted), None)


def _locale(env: Mapping[str, str], default: str | None) -> str:
    """PULSE_LOCALE in CLDR's spelling (`pt-BR`, `pt_br` are accepted as `pt_BR`), else the
    country preset's, else English."""
    raw = env.get("PULSE_LOCALE", "").strip()
    if not raw:
        return default or "en"
    found = normalise_locale(raw)
    if found:
        return found
    raise ConfigError(f"PULSE_LOCALE must be one of {', '.join(LOCALES)}, got {raw!r}")


def _currency(env: Mapping[str, str], default: str | None) -> str:
    """PULSE_CURRENCY: an ISO 4217 code CLDR knows (its symbol and digits come from there)."""
    from babel.numbers import list_currencies  # CLDR's list (docs: README, Configuration)

    raw = env.get("PULSE_CURRENCY", "").strip()
    code = raw.upper() or default or "BRL"
    known = list_currencies()
    if code not in known:
        raise ConfigError(f"PULSE_CURRENCY must be an ISO 4217 currency code, one of "
                          f"{', '.join(sorted(known))}; got {raw!r}")
    return code


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (default: the process's)."""
    env = os.environ if env is None else env

    def url(name: str) -> str | None:
        raw = env.get(name, "").strip()
        if not raw:
            return None
        try:
            return normalise_database_url(raw)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("DATABASE_URL", name, 1)) from None

    home = Path(env.get("PULSE_HOME", "").strip() or ".pulse").expanduser().resolve()
    geojson = env.get("PULSE_GEOJSON", "").strip()
    preset = COUNTRIES[country_code(env)]
    return Settings(
        database_url=url("DATABASE_URL"),
        loader_database_url=url("PULSE_LOADER_DATABASE_URL"),
        read_database_url=url("PULSE_READ_DATABASE_URL"),
        redis_url=_redis_url(env),
        port=_int(env, "PORT", 8050, minimum=1),
        host=env.get("PULSE_HOST", "").strip() or "127.0.0.1",
        home=home,
        country=preset.code,
        geojson=Path(geojson).expanduser().resolve() if geojson else preset.geojson,
        geo_key=env.get("PULSE_GEO_KEY", "").strip() or preset.geo_key,
        refresh_seconds=_int(env, "PULSE_REFRESH_SECONDS", 300),
        demo_orders=_int(env, "PULSE_DEMO_ORDERS", 100_000, minimum=1),
        cache_timeout=_int(env, "PULSE_CACHE_TIMEOUT", 3600, minimum=1),
        auth=_choice(env, "PULSE_AUTH", "auto", ("auto", "required", "off")),
        secret_key=(env.get("PULSE_SECRET_KEY", "").strip()
                    or env.get("SECRET_KEY", "").strip() or None),
        session_hours=_int(env, "PULSE_SESSION_HOURS", 12, minimum=1),
        trusted_proxies=_int(env, "PULSE_TRUSTED_PROXIES", 0),
        force_https=_bool(env, "PULSE_FORCE_HTTPS"),
        max_request_bytes=_int(env, "PULSE_MAX_REQUEST_BYTES", 2_000_000, minimum=10_000),
        api_rate_limit=_int(env, "PULSE_API_RATE_LIMIT", 600),
        statement_timeout_ms=_int(env, "PULSE_STATEMENT_TIMEOUT_MS", 15_000, minimum=100),
        db_pool_size=_int(env, "PULSE_DB_POOL_SIZE", 5, minimum=1),
        locale=_locale(env, preset.locale),
        # a country's preset language counts as chosen: it wins over the browser's
        locale_set=bool(env.get("PULSE_LOCALE", "").strip() or preset.locale),
        currency=_currency(env, preset.currency),
        smtp_url=env.get("SMTP_URL", "").strip() or None,
        mail_from=env.get("PULSE_MAIL_FROM", "").strip() or None,
        public_url=env.get("PULSE_PUBLIC_URL", "").strip() or "http://127.0.0.1:8050",
        webhook_allow_private=_bool(env, "PULSE_WEBHOOK_ALLOW_PRIVATE"),
    )


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def set_settings(settings: Settings | None) -> None:
    """Replace the process's settings (the CLI after parsing flags, and tests)."""
    global _settings
    _settings = settings
