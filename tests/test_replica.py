"""The web reading a streaming-replication hot standby (`PULSE_READ_DATABASE_URL`) while
loads run on the primary: a real primary and standby (Debian's PostgreSQL, tests/pgreplica.py).

What it shows, in the order the module runs (one pair of servers for all of it):

* the API answers what the primary answers, from the standby;
* while the standby lags (replay paused), every answer is the previous data version,
  whole: its numbers, its date range and its version agree, for a warm cache and for a
  worker with an empty one; a view open when the standby replays the load holds the
  swap's replay back behind the gate and finishes in the version it started with;
* once replayed, the next answers are the new version, with no stale cache entry (the
  cache key is the version the standby's own snapshot read);
* a commit's lag on this machine (printed; docs/SCALING.md quotes it);
* sign-in and saved views write to the primary even though the web reads a standby;
* a reader holding the load's gate while the standby replays a swap is ended after
  `max_standby_streaming_delay` (an error, the API's 503), never shown mixed tables;
* a dead standby is the API's 503, sign-in still works, and the answers come back with it;
* failover: with the primary dead and the standby promoted, reading goes on unchanged;
  sign-in and API tokens answer 503 until DATABASE_URL names the new primary.
"""

from __future__ import annotations

import os
import re
import time

import datasets
import pytest
from pgreplica import admin_scalar, current_lsn, replayed, replica_pair, wait_replayed
from sqlalchemy import create_engine, text
from test_faults import status_poll

from dashapp.config import load_settings, normalise_database_url
from dashapp.jsonout import jsonable
from dashapp.queries import report
from dashapp.service import DatabaseUnavailable, StaleVersion
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app
from loaders import ingest, migrate

SECRET = "replica-test-secret-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery"
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture(scope="module")
def pair():
    yield from replica_pair()


@pytest.fixture(scope="module")
def urls(pair, tmp_path_factory):
    """The `pulse` database migrated and loaded (tiny) on the primary, replayed by the
    standby; (primary URL, standby URL, the header of an API token of user ana), the
    URLs differing by port only."""
    primary, standby = pair
    admin_scalar(primary, "CREATE DATABASE pulse")
    primary_url, standby_url = (
        normalise_database_url(pg.url(database="pulse", sslmode="verify-full", ca=pg.ca[0]))
        for pg in pair)
    load(primary_url, datasets.tiny(), tmp_path_factory.mktemp("tiny"), upgrade=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        eng = create_engine(primary_url)
        auth_mod.add_user(eng, "ana", PASSWORD)
        token = auth_mod.create_token(eng, "ana")[1]
        eng.dispose()
    wait_replayed(primary, standby)
    return primary_url, standby_url, {"Authorization": f"Bearer {token}"}


def load(url: str, rows: dict, folder, upgrade: bool = False) -> str:
    """A `pulse load` of `rows` on `url`; the data version it committed."""
    eng = create_engine(url)
    try:
        if upgrade:
            migrate.upgrade(eng)
        return str(ingest.load(eng, datasets.write(rows, folder)).data_version)
    finally:
        eng.dispose()


def make_app(tmp_path, name: str, database: str, read: str | None = None, **env: str):
    settings = {"DATABASE_URL": database, "PULSE_HOME": str(tmp_path / name), **env}
    if read:
        settings["PULSE_READ_DATABASE_URL"] = read
    return create_app(load_settings(settings))


def answers(app, client=None) -> dict:
    """What a client sees: the API's meta and KPIs, the order list (which locks the raw
    tables: allowed on a standby) and its CSV export, the page's version poll (which
    makes an open page redraw), and a page view's data (the service's `dashboard`, what
    the page's callbacks draw), each checked to be one version's."""
    client = client or app.server.test_client()
    meta, kpis = client.get("/api/v1/meta"), client.get("/api/v1/kpis")
    assert meta.status_code == 200 and kpis.status_code == 200, kpis.get_json()
    listed = client.get("/api/v1/orders?status=all&limit=100").get_json()
    csv = client.get("/api/v1/orders?status=all&format=csv").get_data(as_text=True)
    assert len(listed["rows"]) == listed["total"]["orders"] == csv.count("\n") - 1
    poll = status_poll(client).get_json()["response"]["status"]["data"]
    svc = app.server.extensions["pulse"]
    with svc.reader() as reader:
        view = svc.dashboard(svc.parse({}, reader=reader), reader=reader)
        version = reader.version
    meta, kpis = meta.get_json(), kpis.get_json()
    assert poll["version"] == meta["data_version"] and poll["error"] is None
    # one answer, one version: the KPIs' default range is the range of the meta's data
    assert (kpis["filters"]["start"], kpis["filters"]["end"]) == (meta["start"], meta["end"])
    assert (listed["filters"]["start"], listed["filters"]["end"]) == (meta["start"], meta["end"])
    return {"version": version, "meta": meta, "kpis": kpis, "orders": listed, "csv": csv,
            "view": view}


def server_of(engine) -> tuple[int, bool]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT inet_server_port(), pg_is_in_recovery()")).one())


def replay(standby, pause: bool) -> None:
    admin_scalar(standby, f"SELECT pg_wal_replay_{'pause' if pause else 'resume'}()")
    wanted = "paused" if pause else "not paused"
    deadline = time.monotonic() + 10
    while admin_scalar(standby, "SELECT pg_get_wal_replay_pause_state()") != wanted:
        assert time.monotonic() < deadline, f"replay not {wanted}"
        time.sleep(0.01)


def test_lagging_standby_serves_the_previous_version_whole(pair, urls, tmp_path):
    primary, standby = pair
    app = make_app(tmp_path, "web", urls[0], urls[1])
    svc = app.server.extensions["pulse"]
    assert server_of(svc.engine) == (standby.port, True)
    first = answers(make_app(tmp_path, "primary-1", urls[0]))
    assert answers(app) == first
    assert first["kpis"]["current"]["orders"] == 3
    assert first["meta"]["data_version"] == first["version"]

    replay(standby, pause=True)
    try:
        new_version = load(urls[0], datasets.two_years(), tmp_path / "two_years")
        second = answers(make_app(tmp_path, "primary-2", urls[0]))
        assert second["version"] == new_version != first["version"]
        assert second["kpis"]["current"] != first["kpis"]["current"]
        # the standby has the commit's WAL but has not applied it: the old version, whole,
        # from the warm cache and computed afresh by a worker with an empty cache alike
        assert answers(app) == first
        assert answers(make_app(tmp_path, "cold-worker", urls[0], urls[1])) == first
        target = current_lsn(primary)
        with svc.reader() as open_view:  # a view open when the load's WAL is replayed
            ticket = open_view.ticket()
            replay(standby, pause=False)
            time.sleep(0.5)  # the swap's replay waits behind the gate this view holds
            assert not replayed(standby, target)
            assert open_view.version == first["version"]
            # another connection joins the view on the standby (a page view's helpers,
            # an insight job): the same version, and the old numbers computed anew there
            with svc.reader_at(ticket) as joined:
                assert joined.version == first["version"]
                filters = svc.parse({}, reader=joined)
                assert jsonable(joined.run(lambda c: report.kpi_report(c, filters))) \
                    == first["kpis"]
        assert wait_replayed(primary, standby) < 5  # the view is over: replay goes on
        with pytest.raises(StaleVersion):  # the view is over: nothing computed under its key
            with svc.reader_at(ticket):
                pass
    finally:
        replay(standby, pause=False)
    wait_replayed(primary, standby)
    assert answers(app) == second  # no entry of the old version is served for the new


def seen(watch, sql: str, expected, since: float) -> float:
    """Seconds from `since` until `sql` on the standby answers `expected`. Each poll ends
    its transaction, as the page's version poll does: one left open would hold
    `pulse_meta`, the load's gate, and hold up the replay of the next load."""
    while True:
        found = watch.execute(text(sql)).scalar()
        watch.rollback()
        if found == expected:
            return time.monotonic() - since
        assert time.monotonic() - since < 10, "the standby did not replay in 10 s"
        time.sleep(0.001)


def test_lag_from_the_primarys_commit_to_the_standbys_replay(pair, urls, tmp_path):
    """Measured as a reader notices it: from the commit on the primary until a query on
    the standby sees it, for a whole load (clock started when `ingest.load` returns,
    right after its commit) and for a one-row commit (clock started before the COMMIT);
    a connection to the standby polls every millisecond. Printed for docs/SCALING.md.

    `PULSE_REPLICA_LAG_ORDERS=25000` adds a load of that many demo orders (not in CI:
    generating and loading it takes minutes), with the WAL it wrote."""
    primary, standby = pair
    app = make_app(tmp_path, "web", urls[0], urls[1])
    writer = create_engine(urls[0])
    watcher = create_engine(standby.admin_url("pulse"), isolation_level="AUTOCOMMIT")
    folders = [datasets.write(datasets.tiny(), tmp_path / str(n)) for n in range(2)]
    if os.environ.get("PULSE_REPLICA_LAG_ORDERS"):
        from loaders.demo import DemoSpec, generate

        generate(DemoSpec(orders=int(os.environ["PULSE_REPLICA_LAG_ORDERS"]), seed=11),
                 tmp_path / "demo")
        folders.append(tmp_path / "demo")
    loads, commits = [], []
    try:
        with watcher.connect() as watch:
            for folder in folders:
                wal = current_lsn(primary)
                version = ingest.load(writer, folder).data_version
                loads.append(seen(watch, "SELECT data_version FROM pulse_meta", version,
                                  time.monotonic()))
                wal = admin_scalar(primary, f"SELECT pg_size_pretty(pg_current_wal_lsn() "
                                            f"- '{wal}'::pg_lsn)")
                print(f"\n{folder.name}: {wal} of WAL, visible on the standby "
                      f"{loads[-1] * 1000:.0f} ms after the load returned", end="")
                got = answers(app)
                assert got["version"] == str(version)
                assert folder.name == "demo" or got["kpis"]["current"]["orders"] == 3
            with writer.begin() as conn:
                conn.execute(text("CREATE TABLE lag_probe (n int)"))
            wait_replayed(primary, standby)  # polled before, the table may not be there yet
            for n in range(1, 11):
                started = time.monotonic()
                with writer.begin() as conn:
                    conn.execute(text("INSERT INTO lag_probe VALUES (:n)"), {"n": n})
                commits.append(seen(watch, "SELECT max(n) FROM lag_probe", n, started))
    finally:
        with writer.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS lag_probe"))
        writer.dispose()
        watcher.dispose()
    commits.sort()
    print(f"\nreplica lag, load commit -> visible on the standby: "
          f"{', '.join(f'{x * 1000:.0f} ms' for x in loads)}; one-row commit: median "
          f"{commits[len(commits) // 2] * 1000:.1f} ms, max {commits[-1] * 1000:.1f} ms")
    assert max(loads) < 2 and max(commits) < 2


def sign_in(app, expect: int = 303):
    client = app.server.test_client()
    client.environ_base["HTTP_ORIGIN"] = ORIGIN["Origin"]  # a browser's same-site POSTs
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": csrf,
                                    "next": "/"}, headers=ORIGIN)
    assert r.status_code == expect, r.get_data(as_text=True)[:300]
    return client


def test_writes_go_to_the_primary(pair, urls, tmp_path):
    primary, standby = pair
    app = make_app(tmp_path, "web", urls[0], urls[1], PULSE_AUTH="required",
                   PULSE_SECRET_KEY=SECRET)
    assert server_of(app.server.extensions["pulse_auth"].engine) == (primary.port, False)
    session = sign_in(app)  # records the attempt: a write
    saved = session.post("/api/v1/views", json={"name": "SP", "query": "state=SP"},
                         headers=ORIGIN)
    assert saved.status_code == 201, saved.get_json()
    view_id = saved.get_json()["id"]
    eng = create_engine(urls[0])
    with eng.connect() as conn:
        assert conn.execute(text("SELECT name FROM pulse_views WHERE id = :i"),
                            {"i": view_id}).scalar() == "SP"
        assert conn.execute(text("SELECT count(*) FROM pulse_login_attempts "
                                 "WHERE username = 'ana' AND success")).scalar() >= 1
    eng.dispose()
    # the writer reads its own write back at once (userdata is read on the primary too)
    assert [v["id"] for v in session.get("/api/v1/views").get_json()["views"]] == [view_id]


def set_standby(standby, name: str, value: str) -> None:
    with (standby.data / "postgresql.conf").open("a") as f:
        f.write(f"{name} = '{value}'\n")
    admin_scalar(standby, "SELECT pg_reload_conf()")
    deadline = time.monotonic() + 10
    while admin_scalar(standby, f"SHOW {name}") != value:
        assert time.monotonic() < deadline, f"{name} not reloaded"
        time.sleep(0.01)


def test_a_reader_holding_up_replay_is_cancelled_not_mixed(pair, urls, tmp_path):
    """Every reader holds the load's gate, and a load swaps its tables in behind it: on
    the standby the swap's replay waits for such a reader for `max_standby_streaming_delay` (30 s
    by default; 1 s here), then PostgreSQL ends the reader. The reader fails (the API's
    503), it never reads the new tables in the old view, and replay goes on."""
    primary, standby = pair
    set_standby(standby, "max_standby_streaming_delay", "1s")
    app = make_app(tmp_path, "web", urls[0], urls[1])
    svc = app.server.extensions["pulse"]
    replay(standby, pause=True)
    try:
        version = load(urls[0], datasets.two_years(), tmp_path / "two_years")
        with svc.reader() as held:
            old = held.version
            replay(standby, pause=False)
            waited = wait_replayed(primary, standby)
            # the idle reader's session is ended ("terminating connection due to conflict
            # with recovery"), which the client sees as a closed connection
            with pytest.raises(DatabaseUnavailable,
                               match="conflict with recovery|closed unexpectedly"):
                held.run(lambda c: c.execute(text("SELECT count(*) FROM orders")).scalar())
    finally:
        replay(standby, pause=False)
    assert waited < 5 and old != version
    got = answers(app)
    assert got["version"] == version and got["kpis"]["current"]["orders"] > 3


def test_a_dead_standby_is_a_503_and_writes_still_work(pair, urls, tmp_path):
    primary, standby = pair
    app = make_app(tmp_path, "web", urls[0], urls[1], PULSE_AUTH="required",
                   PULSE_SECRET_KEY=SECRET)
    session = sign_in(app)
    before = session.get("/api/v1/kpis").get_json()
    standby.stop("fast")
    try:
        for path in ("/api/v1/kpis", "/api/v1/meta", "/healthz"):
            r = session.get(path)
            assert r.status_code == 503, (path, r.status_code)
            assert "Connection refused" in r.get_data(as_text=True)
        assert session.get("/api/v1/kpis").headers["Retry-After"] == "5"
        poll = status_poll(session).get_json()["response"]["status"]["data"]
        assert "Connection refused" in poll["error"]  # the page's banner says so
        assert poll["version"] is None  # (this client's poll had seen no version yet)
        sign_in(app)  # the sign-in bookkeeping is on the primary, which is up
        saved = session.post("/api/v1/views", json={"name": "while down", "query": ""},
                             headers=ORIGIN)
        assert saved.status_code == 201
    finally:
        standby.start()
    wait_replayed(primary, standby)
    assert session.get("/api/v1/kpis").get_json() == before  # the pool reconnects


def test_failover_reads_go_on_and_writes_follow_database_url(pair, urls, tmp_path):
    """The primary dies; the standby is promoted (`pg_promote()`): the web, whose read
    URL names the standby, keeps answering; sign-in (a write) answers 503 until
    DATABASE_URL names the new primary, which then takes writes and loads."""
    primary, standby = pair
    app = make_app(tmp_path, "web", urls[0], urls[1], PULSE_AUTH="required",
                   PULSE_SECRET_KEY=SECRET)
    session = sign_in(app)
    before = answers(app, session)
    primary.stop("immediate")
    assert answers(app, session) == before  # still a standby, of a primary that is gone
    sign_in(app, expect=503)
    # a signed session is trusted while the primary is away; an API token, which is
    # checked on the primary (revocations count at once), cannot be
    token = app.server.test_client().get("/api/v1/kpis", headers=urls[2])
    assert token.status_code == 503 and "cannot check the token" in token.get_json()["error"]
    assert admin_scalar(standby, "SELECT pg_promote()") is True
    svc = app.server.extensions["pulse"]
    assert server_of(svc.engine) == (standby.port, False)
    assert answers(app, session) == before
    # DATABASE_URL (and the read URL, or none) pointed at the new primary
    moved = make_app(tmp_path, "moved", urls[1], PULSE_AUTH="required",
                     PULSE_SECRET_KEY=SECRET)
    mover = sign_in(moved)
    assert moved.server.test_client().get("/api/v1/kpis", headers=urls[2]).status_code == 200
    assert mover.post("/api/v1/views", json={"name": "after", "query": ""},
                      headers=ORIGIN).status_code == 201
    version = load(urls[1], datasets.tiny(), tmp_path / "tiny")
    assert answers(moved, mover)["version"] == version == answers(app, session)["version"]
