"""Shared fixtures: a real PostgreSQL for the whole run, a fresh database per test.

The server is the embedded one (`pgserver`, PostgreSQL 16) unless
`PULSE_TEST_DATABASE_URL` names another (e.g. Debian's PostgreSQL in CI). Each
test that needs a database gets its own, cloned from a migrated template, so
tests never see each other's data.

A run leaves nothing running: every server, browser or `pulse` it started is
gone when it ends, or the run fails and says which (`pytest_sessionfinish`).
The machine is shared; a PostgreSQL left behind by each run adds up.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dashapp.config import normalise_database_url
from loaders import migrate

SHARED = Path(__file__).resolve().parents[2] / "shared"
OLIST_SAMPLE = Path(os.environ.get("PULSE_OLIST_SAMPLE", SHARED / "olist-sample"))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def pytest_configure(config):
    """Mark this run's processes (see services.RUN_MARK); and since `timeout` and CI stop
    a run with SIGTERM, which ends Python without any teardown, make it end like Ctrl-C:
    pytest then still tears the fixtures down, servers included.

    Under pytest-xdist the controller's mark is the run's: the workers inherit it, and so
    does everything they start. Each worker also marks its own processes (WORKER_MARK),
    so that it checks only what it started."""
    from services import RUN_MARK, WORKER_MARK

    if hasattr(config, "workerinput"):  # an xdist worker
        os.environ[WORKER_MARK] = uuid.uuid4().hex
    else:
        os.environ[RUN_MARK] = uuid.uuid4().hex
        _pgserver_user()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _pgserver_user() -> None:
    """As root, pgserver runs PostgreSQL as a user it creates on first use. Two xdist
    workers starting together on a new machine both created it: one worker then gave the
    data folder to the first uid and ran initdb as the second, which could not chmod it,
    and every test of that worker erred (a clean-clone run: 578 errors). The controller
    creates it once, before any worker starts."""
    if os.name == "posix" and os.geteuid() == 0:
        from pgserver.utils import ensure_user_exists

        ensure_user_exists("pgserver")


_worker_leftovers: list[str] = []  # the controller's: what the workers reported


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Under xdist: collect what a worker found left running (its exit status does not
    reach the controller's, so the controller must fail the run itself)."""
    _worker_leftovers.extend(getattr(node, "workeroutput", {}).get("pulse_leftovers", []))


@pytest.hookimpl(trylast=True)  # after pytest's own teardown of the session's fixtures
def pytest_sessionfinish(session):
    """Fail the run if a process it started is still running (and stop it).

    A worker reports its own leftovers to the controller; the controller, once the
    workers are gone, also stops anything else carrying the run's mark (what a worker
    that crashed or was interrupted could not clean up)."""
    from services import RUN_MARK, WORKER_MARK, describe, left_running, stop_all

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports and fails
        leftovers = left_running(os.environ[WORKER_MARK], var=WORKER_MARK)
        workeroutput["pulse_leftovers"] = list(map(describe, leftovers))
        stop_all(leftovers)
        return
    leftovers = left_running(os.environ[RUN_MARK])
    found = [*_worker_leftovers, *map(describe, leftovers)]
    stop_all(leftovers)
    if not found:
        return
    title = "the test run left these processes running (now stopped)"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print("\n".join([title, *found]))
    else:
        reporter.write_sep("=", title, red=True, bold=True)
        for line in found:
            reporter.write_line(line, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory) -> Iterator[str]:
    """URL of a maintenance database on a real PostgreSQL server."""
    configured = os.environ.get("PULSE_TEST_DATABASE_URL")
    if configured:
        yield normalise_database_url(configured)
        return
    import shutil
    import tempfile

    import pgserver

    # Not under pytest's tmp_path: concurrent pytest runs prune each other's old
    # basetemp folders, which would pull the data directory from under the server.
    root = Path(tempfile.mkdtemp(prefix="pulse-test-pg-"))
    server = pgserver.get_server(root / "data", cleanup_mode="stop")
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    server.cleanup()
    shutil.rmtree(root, ignore_errors=True)


def _admin(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> Iterator[str]:
    """Name of a migrated, empty database to clone."""
    name = f"pulse_tpl_{uuid.uuid4().hex[:8]}"
    admin = _admin(pg_admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin_url).set(database=name)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def fresh_database(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """Create a migrated database cloned from the template; drop it afterwards."""
    name = f"pulse_t_{uuid.uuid4().hex[:10]}"
    admin = _admin(pg_admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    try:
        yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """URL of a fresh migrated database for one test."""
    with fresh_database(pg_admin_url, template_db) as url:
        yield url


def loaded_engine(url: str, folder: Path) -> Engine:
    from loaders import ingest

    eng = create_engine(url)
    ingest.load(eng, folder)
    return eng


@contextmanager
def rows_engine(rows: dict, folder: Path, pg_admin_url: str, template_db: str
                ) -> Iterator[Engine]:
    """An engine on a fresh database holding `rows` (written as Olist files in `folder`
    and loaded); the database is dropped afterwards."""
    import datasets

    datasets.write(rows, folder)
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        try:
            yield eng
        finally:
            eng.dispose()


@pytest.fixture(scope="module")
def tiny_engine(pg_admin_url, template_db, tmp_path_factory) -> Iterator[Engine]:
    """A database holding the hand-made tiny dataset, shared by a module's read-only tests."""
    import datasets

    with rows_engine(datasets.tiny(), tmp_path_factory.mktemp("tiny"), pg_admin_url,
                     template_db) as eng:
        yield eng


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory) -> Path:
    """A small synthetic dataset (4,000 orders), generated once per run."""
    from loaders.demo import DemoSpec, generate

    folder = tmp_path_factory.mktemp("demo4k")
    generate(DemoSpec(orders=4000, seed=11), folder)
    return folder


@pytest.fixture(scope="module")
def demo_engine(pg_admin_url, template_db, demo_folder) -> Iterator[Engine]:
    """A database holding the small demo dataset, shared by a module's read-only tests."""
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, demo_folder)
        yield eng
        eng.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def olist_sample() -> Path:
    """The real Olist files in ../shared; tests that need them skip where they are absent."""
    if not (OLIST_SAMPLE / "olist_products_dataset.csv").exists():
        pytest.skip(f"real Olist sample not found at {OLIST_SAMPLE} (set PULSE_OLIST_SAMPLE)")
    return OLIST_SAMPLE


def pytest_setup_options():
    """Chromium for dash[testing] as root on a machine with no internet (see DEVELOPERS.md)."""
    import tempfile

    from selenium.webdriver.chrome.options import Options

    options = Options()
    for arg in (
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1440,900",
        f"--user-data-dir={tempfile.mkdtemp(prefix='pulse-chromium-')}",
    ):
        options.add_argument(arg)
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return options


@pytest.fixture
def dash_thread_server() -> Iterator[object]:
    """dash[testing]'s threaded server (under this name dash_duo uses it), on a port the
    system says is free: dash.testing counts ports up from 58050 in every process, so two
    xdist workers, or two runs on one machine, would serve each other's pages."""
    from dash.testing.application_runners import ThreadedRunner
    from services import free_port

    class FreePortRunner(ThreadedRunner):
        def start(self, app, start_timeout=3, **kwargs):
            kwargs.setdefault("port", free_port())
            return super().start(app, start_timeout=start_timeout, **kwargs)

    with FreePortRunner() as starter:
        yield starter


@pytest.fixture
def redis_server(tmp_path):
    """A real Redis for one test (skips outside CI when redis-server is not installed)."""
    from services import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


#: The files that take longest (`--durations` of a full run), started first: under
#: `--dist loadfile` a worker takes a whole file at a time, and a long file started last
#: leaves the other worker idle while it runs (the longest-first rule of scheduling).
SLOW_FILES = ("test_loader.py", "test_dashboard.py", "test_page_orders.py",
              "test_page_customers.py", "test_insight.py", "test_insight_views.py",
              "test_fast_equals_raw.py", "test_theme.py", "test_seller_browser.py",
              "test_insight_panel.py", "test_bench_smoke.py", "test_consistency.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: in-file order kept
