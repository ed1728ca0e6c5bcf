"""The Dash application factory: page, REST API and cache on one Flask server."""

from __future__ import annotations

import logging

import dash
from flask import Response, request
from sqlalchemy import Engine

from ..api import register_api
from ..cache import ResultCache
from ..config import LOCALES, PROJECT_ROOT, Settings, get_settings
from ..db import get_engine
from ..insight.answers import InsightAnswers
from ..insight.runner import DEFAULT_WAIT
from ..logsetup import watch_engine
from ..page.callbacks import register_callbacks
from ..page.i18n import COOKIE, lang_for, normalise
from ..page.layout import register_layout
from ..page.unsubscribe import unsubscribe_page
from ..service import PulseService
from ..userdata import UserData
from .auth import init_auth
from .security import init_security

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> dash.Dash:
    """Build the app; nothing here queries the database (that happens per request)."""
    settings = settings or get_settings()
    app = dash.Dash(
        __name__,
        title="Pulse",
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    server = app.server
    server.json.sort_keys = False  # type: ignore[attr-defined]  # keep METRICS.md's order
    init_security(app, settings)  # before auth: HTTPS, size and rate limits run first
    init_auth(server, settings, engine)
    cache = ResultCache(settings)
    web_engine = engine or get_engine("web", settings)
    watch_engine(web_engine, "web")
    service = PulseService(web_engine, cache)
    # the wait is read per question, so `PULSE_INSIGHT_WAIT` may change after start-up
    insight = InsightAnswers(
        service, wait=lambda: float(server.config.get("PULSE_INSIGHT_WAIT", DEFAULT_WAIT)))
    server.extensions["pulse"] = service
    server.extensions["pulse_insight"] = insight
    # what people save is written on the primary (the `auth` role's URL), never a replica
    userdata = UserData(engine or (lambda: get_engine("auth", settings)),
                        settings.webhook_allow_private)
    server.extensions["pulse_userdata"] = userdata
    server.config["PULSE_SETTINGS"] = settings
    register_api(server)
    server.register_blueprint(unsubscribe_page)  # the digests' link, in their language
    register_layout(app)
    register_callbacks(app, service, insight, settings, userdata)
    init_languages(server, settings)
    return app


def init_languages(server: object, settings: Settings) -> None:
    """Load every catalog now (compiling a missing `.mo`: a first page in Portuguese pays
    nothing), and remember a language a page URL names (`?lang=pt-BR`) in a cookie, so
    the next visit without `lang=` keeps it."""
    for code in LOCALES:
        lang_for(code, settings.currency)

    @server.after_request  # type: ignore[attr-defined]
    def remember_language(response: Response) -> Response:
        code = normalise(request.args.get("lang"))
        if code and response.mimetype == "text/html":
            response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                                httponly=True, secure=settings.force_https)
        return response
