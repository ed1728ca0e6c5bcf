"""The Dash application factory: page, REST API and cache on one Flask server."""

from __future__ import annotations

import logging

import dash
from sqlalchemy import Engine

from .api import api, health
from .auth import init_auth
from .cache import ResultCache
from .config import PROJECT_ROOT, Settings, get_settings
from .db import get_engine
from .insight_api import insight_api
from .logsetup import watch_engine
from .security import init_security
from .service import PulseService

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
    cache = ResultCache(server, settings)
    web_engine = engine or get_engine("web", settings)
    watch_engine(web_engine, "web")
    service = PulseService(web_engine, cache)
    server.extensions["pulse"] = service
    server.config["PULSE_SETTINGS"] = settings
    server.register_blueprint(api)
    server.register_blueprint(insight_api)
    server.register_blueprint(health)

    from .callbacks import register_callbacks
    from .layout import build_layout

    app.layout = build_layout
    register_callbacks(app, service, settings)
    return app
