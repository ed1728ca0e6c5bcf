"""The Dash application factory: page, API blueprint and cache on one Flask server."""

from __future__ import annotations

import dash
from dash import html

from .config import PROJECT_ROOT, Settings, get_settings


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or get_settings()
    app = dash.Dash(
        __name__,
        title="Pulse",
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,
        update_title=None,
    )
    app.layout = html.Div([html.H1("Pulse"), html.P("The dashboard is being built.")])
    return app
