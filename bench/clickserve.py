"""One tree's Pulse app in its own process, timed per callback: `bench/clickcost.py`'s server.

    python bench/clickserve.py --tree /tmp/wt-before --db-url postgresql+psycopg2://...

Run as a script (not `-m`), so that `dashapp` is imported from `--tree`: the bench can
serve the tree before a change and the tree after it side by side, each in its own
process, over the same database. The app is wrapped in a small WSGI timer: every
`/_dash-update-component` request is timed in the web process (from the request's first
byte to its body, Flask's hooks included) and named by its callback (the function's
name, from the request's `output`). `GET /__bench/timings` returns them as JSON and
`POST /__bench/timings` forgets them. With `--profile FILE`, the callback requests run
under cProfile (one at a time: a profile is one thread's) and `POST /__bench/profile`
writes the stats to FILE. The process prints its URL on its first line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

DASH_UPDATE = "/_dash-update-component"


class Timer:
    """WSGI middleware: per callback request, (callback name, server ms)."""

    def __init__(self, app, names: dict[str, str], profile: str | None) -> None:
        self.app, self.names, self.profile_path = app, names, profile
        self.rows: list[list] = []
        self.lock = threading.Lock()
        self.profiler = cProfile.Profile() if profile else None
        self.profile_lock = threading.Lock()

    def _bench(self, environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        if path == "/__bench/timings" and method == "POST":
            with self.lock:
                self.rows = []
        elif path == "/__bench/profile" and method == "POST" and self.profiler:
            with self.profile_lock:
                self.profiler.dump_stats(self.profile_path)
        body = json.dumps(self.rows).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path.startswith("/__bench/"):
            return self._bench(environ, start_response)
        if path != DASH_UPDATE:
            return self.app(environ, start_response)
        t0 = time.perf_counter()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        try:
            output = json.loads(raw).get("output", "?")
        except ValueError:
            output = "?"
        environ["wsgi.input"] = io.BytesIO(raw)
        if self.profiler:
            with self.profile_lock:
                self.profiler.enable()
                try:
                    chunks = list(self.app(environ, start_response))
                finally:
                    self.profiler.disable()
        else:
            chunks = list(self.app(environ, start_response))
        ms = (time.perf_counter() - t0) * 1000
        with self.lock:
            self.rows.append([self.names.get(output, output), round(ms, 2),
                              sum(len(c) for c in chunks)])
        return chunks


def callback_names(app) -> dict[str, str]:
    out = {}
    for output, spec in app.callback_map.items():
        fn = spec.get("callback")
        name = getattr(fn, "__name__", None) or output
        out[output] = name
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tree", required=True, help="the repository tree to import dashapp from")
    p.add_argument("--db-url", required=True)
    p.add_argument("--profile", default=None, help="cProfile the callbacks into this file")
    args = p.parse_args()
    sys.path.insert(0, str(Path(args.tree).resolve()))
    from sqlalchemy import create_engine
    from werkzeug.serving import make_server

    from dashapp.config import load_settings
    from dashapp.web.app import create_app

    engine = create_engine(args.db_url, pool_size=10, max_overflow=5)
    env = {"PULSE_HOME": tempfile.mkdtemp(prefix="pulse-clickserve-"),
           "PULSE_REFRESH_SECONDS": "0"}
    app = create_app(load_settings(env), engine=engine)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    timer = Timer(app.server.wsgi_app, {}, args.profile)
    app.server.wsgi_app = timer  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    # the callback map is complete once Dash set itself up (its first request)
    with app.server.test_client() as client:
        client.get("/_dash-layout")
    timer.names = callback_names(app)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
