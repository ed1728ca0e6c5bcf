"""Faults on a real PostgreSQL the test stops and starts (Debian's, password over TLS):
the API says 503 with the reason while the database is down or too slow, answers again
by itself once it is back (no restart of the app, in-process or under gunicorn), a
load cut off by the database going away changes nothing, and the logs say what
happened, once per event, without credentials."""

from __future__ import annotations

import logging
import threading
import time

import datasets
import pytest
import requests
from dbutil import checksum
from pgdebian import running_postgres
from sqlalchemy import create_engine, text

from dashapp.config import load_settings, normalise_database_url
from dashapp.web.app import create_app
from loaders import ingest


@pytest.fixture(scope="module")
def pg():
    yield from running_postgres()


@pytest.fixture(scope="module")
def url(pg, tmp_path_factory):
    admin = create_engine(pg.admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE pulse"))
    admin.dispose()
    url = pg.url(database="pulse", sslmode="require")
    eng = create_engine(normalise_database_url(url))
    from loaders import migrate

    migrate.upgrade(eng)
    ingest.load(eng, datasets.write(datasets.tiny(), tmp_path_factory.mktemp("tiny")))
    eng.dispose()
    return url


@pytest.fixture(autouse=True)
def _database_running(pg):
    yield
    if not pg.running():  # a failed test must not leave the next one without a database
        pg.start()


def app_client(url: str, tmp_path, **env: str):
    settings = load_settings({"DATABASE_URL": url, "PULSE_HOME": str(tmp_path), **env})
    return create_app(settings).server.test_client()


def status_poll(client):
    """The page's own data-status callback, as the browser sends it every few seconds."""
    return client.post("/_dash-update-component", json={
        "output": "..status.data...refresh.interval...refresh.disabled..",
        "outputs": [{"id": "status", "property": "data"},
                    {"id": "refresh", "property": "interval"},
                    {"id": "refresh", "property": "disabled"}],
        "inputs": [{"id": "refresh", "property": "n_intervals", "value": 1}],
        "state": [{"id": "status", "property": "data", "value": None},
                  {"id": "view", "property": "data", "value": None}],
        "changedPropIds": ["refresh.n_intervals"],
    })


def test_database_restart_mid_session(pg, url, tmp_path, caplog):
    client = app_client(url, tmp_path)
    before = client.get("/api/v1/kpis").get_json()
    assert before["current"]["sales"] == 296.79
    with caplog.at_level(logging.INFO):
        pg.stop("fast")
        for _ in range(5):  # down for a while: every request answers at once, with the reason
            started = time.monotonic()
            r = client.get("/api/v1/kpis?state=RJ")
            assert time.monotonic() - started < 3
            assert r.status_code == 503 and r.headers["Retry-After"] == "5"
            assert r.get_json()["error"].startswith("database unavailable: ")
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
        poll = status_poll(client)  # the page is told, not broken
        assert poll.status_code == 200 and "error" in poll.get_data(as_text=True)
        pg.start()
        after = client.get("/api/v1/kpis")  # same app, same pool: it reconnects by itself
        assert after.status_code == 200 and after.get_json() == before
        assert client.get("/healthz").status_code == 200
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("database_unavailable") == 1  # once per outage, not per request
    assert events.count("database_ok") == 1
    shown = caplog.text + poll.get_data(as_text=True) + health.get_data(as_text=True)
    assert pg.superpass not in shown


def test_csv_exports_say_503_while_the_database_is_down(pg, url, tmp_path):
    """A whole-list export (COPY) asked while the database is down is a 503 with the
    reason before any byte, not a cut-off file; once it is back the same file comes."""
    client = app_client(url, tmp_path)
    exports = ("/api/v1/orders?format=csv&status=all",
               "/api/v1/customers?segment=lost&format=csv&locale=pt_BR")
    before = [client.get(u).get_data() for u in exports]
    assert before[0].startswith(b"order_id,") and before[0].count(b"\n") > 1
    pg.stop("fast")
    try:
        for u in exports:
            r = client.get(u)
            assert r.status_code == 503 and r.headers["Retry-After"] == "5"
            assert r.get_json()["error"].startswith("database unavailable: ")
    finally:
        pg.start()
    assert [client.get(u).get_data() for u in exports] == before


def test_slow_database_answers_503_in_time(pg, url, tmp_path, caplog):
    client = app_client(url, tmp_path, PULSE_STATEMENT_TIMEOUT_MS="300")
    assert client.get("/api/v1/meta").status_code == 200
    locker = create_engine(pg.admin_url("pulse"))
    with locker.connect() as conn, caplog.at_level(logging.INFO):
        tx = conn.begin()
        conn.execute(text("LOCK TABLE pulse_meta IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        r = client.get("/api/v1/kpis")
        assert time.monotonic() - started < 3
        assert r.status_code == 503
        assert "answering too slowly" in r.get_json()["error"]
        tx.rollback()
    locker.dispose()
    assert client.get("/api/v1/kpis").status_code == 200
    assert any(getattr(r, "event", None) == "database_slow" for r in caplog.records)


def test_database_lost_during_a_load_changes_nothing(pg, url, tmp_path):
    owner = create_engine(normalise_database_url(url))
    before = checksum(owner)
    rows = datasets.tiny()
    rows[datasets.F_ITEMS][0]["price"] = "68.90"
    folder = datasets.write(rows, tmp_path / "new")
    # hold the load mid-transaction: it waits for a lock this session holds (its audit table)
    blocker = create_engine(pg.admin_url("pulse"))
    conn = blocker.connect()
    tx = conn.begin()
    blocker_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    conn.execute(text("LOCK TABLE pulse_load_log IN ACCESS EXCLUSIVE MODE"))
    outcome: list[BaseException | object] = []

    def run_load() -> None:
        try:
            outcome.append(ingest.load(owner, folder))
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    loader = threading.Thread(target=run_load)
    loader.start()
    deadline = time.monotonic() + 30
    with create_engine(pg.admin_url("pulse")).connect() as watch:
        while time.monotonic() < deadline:
            waiting = watch.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE :b = ANY(pg_blocking_pids(pid))"
            ), {"b": blocker_pid}).scalar()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, f"the load never got under way: {outcome}"
    # lost at once ("immediate"): a fast shutdown ends the sessions one by one, and when it
    # ended the lock holder first, the waiting load could still commit (one clean-clone run)
    pg.stop("immediate")
    loader.join(timeout=30)
    pg.start()
    del tx
    conn.invalidate()
    blocker.dispose()
    assert isinstance(outcome[0], Exception)  # the load failed ...
    owner.dispose()
    assert checksum(owner) == before           # ... and left no trace
    client = app_client(url, tmp_path)
    assert client.get("/api/v1/kpis").get_json()["current"]["sales"] == 296.79
    ingest.load(owner, folder)                 # run again, it goes through
    assert client.get("/api/v1/kpis").get_json()["current"]["sales"] == 306.79
    ingest.load(owner, datasets.write(datasets.tiny(), tmp_path / "old"))
    owner.dispose()


def test_gunicorn_workers_recover_from_a_database_restart(pg, url, tmp_path):
    from test_gunicorn import Gunicorn

    g = Gunicorn(tmp_path, DATABASE_URL=url, PULSE_AUTH="off", PULSE_HOME=str(tmp_path / "h"))
    g.start()
    try:
        kpis = g.base + "/api/v1/kpis"
        expected = requests.get(kpis, timeout=10).json()
        pg.stop("fast")
        for _ in range(6):  # whichever worker answers
            r = requests.get(kpis, timeout=10)
            assert r.status_code == 503 and "database unavailable" in r.json()["error"]
        pg.start()
        for _ in range(8):
            r = requests.get(kpis, timeout=10)
            assert r.status_code == 200 and r.json() == expected
        records = g.log_records()
        assert any(r.get("event") == "database_unavailable" for r in records)
        assert any(r.get("event") == "database_ok" for r in records)
        assert pg.superpass not in g.log_path.read_text()
    finally:
        g.stop()
