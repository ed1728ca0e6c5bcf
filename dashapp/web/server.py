"""Running the Dash server (development server here; gunicorn uses `wsgi.py`)."""

from __future__ import annotations

import logging

from ..config import Settings
from .app import create_app

log = logging.getLogger(__name__)


def run(settings: Settings, host: str, port: int, debug: bool = False) -> None:
    app = create_app(settings)
    log.info("Pulse dashboard on http://%s:%d/", host, port)
    app.run(host=host, port=port, debug=debug)
