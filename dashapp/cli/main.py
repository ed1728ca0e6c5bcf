"""The `pulse` command: serve the dashboard, load data, make demo data, migrate.

Each subcommand is a thin shell over a library function, so tests and other
tools call the same code the terminal does.

However `pulse` ends (done, an error, Ctrl-C, SIGTERM from a process manager,
SIGHUP from a closed terminal), it leaves the embedded PostgreSQL it joined and
stops it when no other Pulse process uses it: left to the default handlers,
SIGTERM and SIGHUP end Python without running any clean-up.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import OperationalError

from ..config import COUNTRIES, ConfigError, get_settings, set_settings
from ..db import redact, release_embedded
from ..logsetup import configure_logging, log_format
from .admin import register as register_admin
from .notify import register as register_notify
from .plans import register as register_plans

log = logging.getLogger("pulse")


def _progress():
    from loaders.progress import Progress

    return Progress()


def cmd_serve(args: argparse.Namespace) -> int:
    from ..web.server import run
    from .bootstrap import prepare_database

    settings = get_settings()
    if args.host:  # the app decides on sign-in from where it listens (Settings.exposed)
        settings = dataclasses.replace(settings, host=args.host)
        set_settings(settings)
    if args.debug and settings.exposed:
        raise ConfigError("--debug runs Dash's development tools; only on 127.0.0.1/localhost")
    prepare_database(settings, progress=_progress())
    run(settings, host=settings.host, port=args.port or settings.port, debug=args.debug)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from loaders import ingest, migrate

    from ..db import get_engine

    engine = get_engine("loader")
    migrate.upgrade(engine)
    try:
        report = ingest.load(
            engine, Path(args.path), append=args.append, progress=_progress(),
            max_problems=args.max_problems, check=args.check,
        )
    except ingest.LoadError as exc:
        print(f"pulse load: {args.path} was NOT loaded; the database is unchanged.",
              file=sys.stderr)
        print(f"{len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        if exc.truncated:
            print(f"  ... stopped after {len(exc.problems)} problems", file=sys.stderr)
        return 1
    print(report.table())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from loaders.demo import DemoSpec, generate

    spec = DemoSpec(
        orders=args.orders,
        seed=args.seed,
        pandemic=0.0 if args.no_pandemic else args.pandemic_size,
        # the dataset matches the map the dashboard shows unless asked otherwise
        country=args.country or get_settings().country,
    )
    out = Path(args.out)
    progress = _progress()
    counts = generate(spec, out, progress=lambda stage, done, total: progress.counter(
        f"demo: {stage}", done, total))
    progress.done()
    for name, rows in counts.items():
        print(f"{name:<45} {rows:>11,} rows")
    print(f"synthetic demo dataset written to {out}")
    if args.load:
        return cmd_load(argparse.Namespace(path=str(out), append=False, max_problems=50,
                                           check=False))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from loaders import migrate

    from ..db import get_engine

    engine = get_engine("loader")
    migrate.upgrade(engine, args.revision)
    print(f"database schema at revision {migrate.current(engine)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pulse",
        description="Pulse: a sales dashboard for shops with data in the Olist format.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the dashboard (default 127.0.0.1:$PORT or 8050)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $PORT or 8050)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (development only)")
    serve.set_defaults(func=cmd_serve)

    load = sub.add_parser("load", help="load an Olist-format dataset (folder of CSVs or zip)")
    load.add_argument("path", help="folder with the 9 CSV files, or the Kaggle zip")
    load.add_argument("--append", action="store_true",
                      help="add a batch to what is loaded instead of replacing it")
    load.add_argument("--check", action="store_true",
                      help="read and check everything a load would, then load nothing")
    load.add_argument("--max-problems", type=int, default=50,
                      help="stop reporting after this many problems (default 50)")
    load.set_defaults(func=cmd_load)

    demo = sub.add_parser("demo", help="write a synthetic Olist-format dataset")
    demo.add_argument("--orders", type=int, default=100_000, help="number of orders")
    demo.add_argument("--seed", type=int, default=42, help="random seed (same seed, same files)")
    demo.add_argument("--out", default="data/demo", help="output folder (default data/demo)")
    demo.add_argument("--no-pandemic", action="store_true", help="no pandemic effect")
    demo.add_argument("--pandemic-size", type=float, default=1.0,
                      help="size of the pandemic effect (1.0 = documented default)")
    demo.add_argument("--country", type=str.upper, choices=tuple(COUNTRIES),
                      help="whose regions, cities, categories and money: BR (Brazil) or "
                           "MA (Morocco; default: $PULSE_COUNTRY, else BR)")
    demo.add_argument("--load", action="store_true", help="load it once written")
    demo.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply schema migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    register_admin(sub, db_sub)
    register_plans(sub)
    register_notify(sub)
    return parser


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _ending_cleanly() -> Iterator[None]:
    """SIGTERM and SIGHUP end the command like Ctrl-C does; at the end, the embedded
    PostgreSQL is left (and stopped if nobody else uses it) with those signals
    ignored, so an impatient second Ctrl-C cannot cut the stop half way."""
    if threading.current_thread() is not threading.main_thread():  # signals: main only
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        yield
    finally:
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        try:
            release_embedded()
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(logging.DEBUG if args.verbose else logging.INFO, log_format())
    with _ending_cleanly():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"pulse: configuration error: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        settings = get_settings()
        where = "the embedded database" if settings.embedded else redact(
            settings.database_url or "")
        print(f"pulse: cannot reach {where}: {reason}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("pulse: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
