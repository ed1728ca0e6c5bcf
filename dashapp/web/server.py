"""Running the Dash server (development server here; gunicorn uses `wsgi.py`).

Without `--debug` the Flask app is served by werkzeug's threaded server
directly, as gunicorn serves it, instead of through `Dash.run`: that path
prints Dash's, Flask's and werkzeug's banners (three "running on" lines and a
warning in red), while a person starting Pulse wants one line saying where
the page is, printed once the socket is listening so the link works when
clicked. `--debug` keeps `Dash.run` for its reloader and dev tools.
"""

from __future__ import annotations

import logging

from werkzeug.serving import make_server

from ..config import Settings
from .app import create_app

log = logging.getLogger("pulse")


def page_url(host: str, port: int) -> str:
    """Where a browser on this machine finds the page (`0.0.0.0` is not an address to visit)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def run(settings: Settings, host: str, port: int, debug: bool = False) -> None:
    """Serve until Ctrl-C (KeyboardInterrupt), which returns normally."""
    app = create_app(settings)
    if debug:
        log.info("Pulse in debug mode: %s (Ctrl-C to stop)", page_url(host, port))
        app.run(host=host, port=port, debug=True)
        return
    server = make_server(host, port, app.server, threaded=True)  # bound and listening
    log.info("Pulse is ready: %s (Ctrl-C to stop)", page_url(host, port))
    server.serve_forever()  # returns on KeyboardInterrupt, socket closed
