"""No mixed answers: what readers get while `pulse load` runs (docs/DEPLOY.md, "What a
reader sees during a load, and why it is consistent").

Readers run in a loop on several threads while `pulse load` (a subprocess, as an
operator runs it) replaces the data with another dataset, appends a batch of new
orders, or is killed with SIGKILL half way: API calls through Flask's test client (an
app with a filesystem cache, and one without any cache so that answers are computed
while the load runs), page views through `resolve_view`, insight answers, and
raw-path dashboards (which lock the tables a replace load swaps). Every answer must
equal, field by field, the whole answer for the data before the load or the whole
answer for the data after it (computed before and after, with nothing running), no
reader may go back from new to old, no request may fail, and every entry the cached
app writes must hold the answer of the version its key names. Then, directly: which
relations a fast-path reader touches, the hazard the raw-path lock guards against, and
work started on another thread pinned to its asker's data version.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import datasets as ds
import pytest
from conftest import fresh_database
from flask_caching.backends import NullCache
from sqlalchemy import create_engine, text

from dashapp.cache import ResultCache
from dashapp.config import load_settings
from dashapp.db import make_engine
from dashapp.filters import Filters
from dashapp.insight import data as insight_data
from dashapp.insight import reports
from dashapp.insight.answers import shortages_key
from dashapp.insight.runner import InsightRunner
from dashapp.jsonout import jsonable
from dashapp.page.callbacks import resolve_view
from dashapp.queries import raw, report
from dashapp.queries.snapshot import snapshot
from dashapp.service import PulseService, StaleVersion
from dashapp.web.app import create_app
from loaders import customerfacts, ingest, rollups, swap
from loaders.formats import FILES

ROOT = Path(__file__).resolve().parent.parent
#: Reads that must fall inside each load (start and end between its start and end).
MIN_OVERLAPPING = 300

API = (
    "/api/v1/kpis",
    "/api/v1/kpis?state=SP&start=2021-06-01&end=2022-05-31",
    "/api/v1/timeseries?grain=month&category=health_beauty",
    "/api/v1/breakdown/state?payment_type=credit_card",
    "/api/v1/breakdown/category?region=S",
    "/api/v1/breakdown/payment_type?state=RJ",
    "/api/v1/meta",
)
INSIGHT = ("/api/v1/shortages?top=1", "/api/v1/impact?top=0")
PAGES = ("", "?state=SP", "?category=health_beauty&start=2020-03-01&end=2021-02-28",
         "?payment_type=boleto&region=SE")
RAW_VIEWS = (Filters(start=date(2019, 1, 1), end=date(2022, 12, 31)),
             Filters(start=date(2021, 7, 1), end=date(2022, 6, 30), states=("SP",)))


def canon(value: object) -> str:
    """One text per answer, every field and digit kept (Decimals exact, NaN equal to NaN)."""
    return json.dumps(value, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Dataset A (3,000 orders), B (4,000, another seed) and C, 600 new orders of 2022 to
    append (without geolocation: an append takes the files it is given)."""
    from loaders.demo import DemoSpec, generate

    root = tmp_path_factory.mktemp("consistency")
    specs = {"A": DemoSpec(orders=3000, seed=31), "B": DemoSpec(orders=4000, seed=32),
             "C": DemoSpec(orders=600, seed=33, start=date(2022, 1, 1), end=date(2022, 2, 28))}
    out = {}
    for name, spec in specs.items():
        generate(spec, root / name)
        out[name] = root / name
    (out["C"] / ds.F_GEO).unlink()
    return out


@pytest.fixture
def loaded(pg_admin_url, template_db, folders):
    """A fresh database holding dataset A."""
    with fresh_database(pg_admin_url, template_db) as url:
        owner = create_engine(url)
        ingest.load(owner, folders["A"])
        owner.dispose()
        yield url


# --- the readers ---------------------------------------------------------------------------


@dataclass
class Read:
    thread: str
    request: tuple
    start: float
    end: float
    answer: str = ""
    error: str | None = None


class World:
    """Two apps over one database (one cached, one computing every answer), a raw-path
    reader, and what the cached app writes to its cache."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.engines = [make_engine(url, web=True, pool_size=5) for _ in range(2)]
        self.raw_engine = create_engine(url)
        self.servers = {}
        for name, engine in zip(("cached", "plain"), self.engines, strict=True):
            app = create_app(load_settings({"PULSE_HOME": str(home / name)}), engine=engine)
            app.server.config["PULSE_INSIGHT_WAIT"] = 120.0
            self.servers[name] = app.server
        self.cached: PulseService = self.servers["cached"].extensions["pulse"]
        self.plain: PulseService = self.servers["plain"].extensions["pulse"]
        self.plain.cache.cache = NullCache()  # every answer computed, load or not
        self.servers["plain"].extensions["pulse_insight"].runner = InsightRunner(
            keep_seconds=0)
        self.stored: list[tuple[str, object]] = []
        backend = self.cached.cache.cache
        write = backend.set

        def recording_set(key, value, *args, **kw):
            if not kw.get("mgmt_element"):  # not the backend's own bookkeeping (a count)
                self.stored.append((key, value))
            return write(key, value, *args, **kw)

        backend.set = recording_set

    def close(self) -> None:
        for engine in (*self.engines, self.raw_engine):
            engine.dispose()

    def ask(self, app: str, request: tuple) -> str:
        """One request's whole answer as text; raises when the request failed."""
        kind, what = request
        if kind == "api":
            r = self.servers[app].test_client().get(what)
            if r.status_code != 200:
                raise AssertionError(f"{what}: {r.status_code} {r.get_data(as_text=True)}")
            return canon(r.get_json())
        if kind == "page":
            view, payload = resolve_view(self.cached if app == "cached" else self.plain, what)
            return canon([view, payload])
        return canon(report.dashboard_parallel(self.raw_engine, what, raw))

    def answers(self) -> dict[tuple, str]:
        """Every request's answer now, computed (nothing running meanwhile)."""
        requests = [("api", u) for u in (*API, *INSIGHT)] + [("page", s) for s in PAGES] + \
            [("raw", f) for f in RAW_VIEWS]
        return {r: self.ask("plain", r) for r in requests}

    def threads(self) -> list[tuple[str, str, list[tuple]]]:
        """(thread name, app, requests it cycles through)."""
        api = [("api", u) for u in API]
        pages = [("page", s) for s in PAGES]
        return [("api-cached-1", "cached", api + [("api", INSIGHT[0])]),
                ("api-cached-2", "cached", list(reversed(api))),
                ("api-plain", "plain", api),
                ("page-cached", "cached", pages),
                ("page-plain", "plain", pages),
                ("insight-plain", "plain", [("api", u) for u in INSIGHT]),
                ("raw", "plain", [("raw", f) for f in RAW_VIEWS])]


def read_loop(world: World, name: str, app: str, requests: list[tuple],
              stop: threading.Event, out: list[Read]) -> None:
    i = 0
    while not stop.is_set():
        request = requests[i % len(requests)]
        i += 1
        read = Read(name, request, time.monotonic(), 0.0)
        try:
            read.answer = world.ask(app, request)
        except Exception as exc:  # noqa: BLE001 - every failure is reported by the test
            read.error = f"{type(exc).__name__}: {exc}"[:500]
        read.end = time.monotonic()
        out.append(read)


# --- the loader ----------------------------------------------------------------------------


@dataclass
class LoadRun:
    start: float
    end: float
    in_transaction: float | None = None  # when the loader took its lock (its transaction)
    killed_at: str | None = None
    reads: list[Read] = field(default_factory=list)


def _loader_backend(conn) -> tuple[int, str] | None:
    """(pid, current statement) of the backend holding the load's advisory lock."""
    row = conn.execute(text(
        "SELECT a.pid, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.objid = :key AND l.granted"),
        {"key": ingest.LOCK_KEY}).first()
    return (row[0], row[1]) if row else None


def load_while_reading(world: World, args: list[str], home: Path,
                       kill_when: Callable[[str], bool] | None = None) -> LoadRun:
    """Run `pulse load ARGS` while every reader thread loops; SIGKILL it at the first
    statement `kill_when` accepts; wait until its backend is gone."""
    stop, reads = threading.Event(), []
    threads = [threading.Thread(target=read_loop, args=(world, n, app, reqs, stop, reads))
               for n, app, reqs in world.threads()]
    for t in threads:
        t.start()
    time.sleep(0.5)  # every reader under way
    env = dict(os.environ, DATABASE_URL=world.url, PULSE_HOME=str(home))
    env.pop("REDIS_URL", None)
    watch = create_engine(world.url, isolation_level="AUTOCOMMIT")
    run = LoadRun(time.monotonic(), 0.0)
    proc = subprocess.Popen([sys.executable, "-m", "dashapp.cli", "load", *args], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    with watch.connect() as conn:
        while proc.poll() is None:
            backend = _loader_backend(conn)
            if backend and run.in_transaction is None:
                run.in_transaction = time.monotonic()
            if backend and kill_when and kill_when(backend[1]):
                os.kill(proc.pid, signal.SIGKILL)
                run.killed_at = backend[1][:80]
                break
            time.sleep(0.01)
        output = proc.communicate(timeout=300)[0]
        run.end = time.monotonic()
        deadline = time.monotonic() + 60
        while _loader_backend(conn) and time.monotonic() < deadline:
            time.sleep(0.05)  # a killed client's backend notices and rolls back
        assert _loader_backend(conn) is None, "the killed load's transaction is still open"
    watch.dispose()
    time.sleep(0.5)  # and a little more reading on the data that is there now
    stop.set()
    for t in threads:
        t.join(timeout=300)
    if kill_when is None:
        assert proc.returncode == 0, output[-3000:]
    else:
        assert run.killed_at is not None and proc.returncode == -signal.SIGKILL, output[-3000:]
    run.reads = reads
    return run


# --- the checks ----------------------------------------------------------------------------


def cache_entries(service: PulseService, version: str,
                  answers: dict[tuple, str]) -> dict[str, str]:
    """The cache key each answer is stored under for `version`, and the answer's text."""
    out = {}
    key = service.cache.key
    for (kind, what), answer in answers.items():
        body = json.loads(answer)
        if kind == "page":
            view, payload = body
            fkey = Filters.from_json(view["filters"]).cache_key()
            out[key(version, "dashboard", fkey)] = canon(payload)
            continue
        if kind != "api":
            continue
        path, query = urlsplit(what).path, parse_qs(urlsplit(what).query)
        name = path.split("/")[3]
        if name == "meta":
            out[key(version, "meta")] = answer
            continue
        fkey = Filters.from_json(body["filters"]).cache_key()
        if name == "kpis":
            out[key(version, "kpis", fkey)] = answer
        elif name == "timeseries":
            out[key(version, "timeseries", body["grain"], fkey)] = answer
        elif name == "breakdown":
            out[key(version, "breakdown", body["dim"], fkey)] = answer
        elif name == "shortages":
            f = Filters.from_json(body["filters"])
            out[key(version, "shortages", *shortages_key(body["grain"],
                                                         int(query["top"][0]), f))] = answer
    return out


def check_load(world: World, run: LoadRun, old: dict, new: dict, versions: tuple[str, str],
               label: str) -> dict[str, int]:
    """Every read is the old or the new answer, whole; none fails; no thread goes back
    from new to old; every cache entry written holds its key's version's answer."""
    failed = [r for r in run.reads if r.error]
    assert not failed, f"{label}: {len(failed)} failed reads, e.g. {failed[:3]}"
    last: dict[str, str] = {}
    for r in run.reads:
        if r.answer == old[r.request]:
            seen = "old"
        elif r.answer == new[r.request]:
            seen = "new"
        else:
            raise AssertionError(f"{label}: a mixed answer to {r.request} on {r.thread}: "
                                 f"{r.answer[:2000]}")
        if seen == "old" and last.get(r.thread) == "new" and old[r.request] != new[r.request]:
            raise AssertionError(f"{label}: {r.thread} went back to the old data")
        if old[r.request] != new[r.request]:
            last[r.thread] = seen
    expected = {**cache_entries(world.cached, versions[0], old),
                **cache_entries(world.cached, versions[1], new)}
    for key, value in world.stored:
        assert key in expected, f"{label}: an unexpected cache entry {key}"
        dashboard = isinstance(value, dict) and "payment_type" in value
        # a page payload is kept as computed; an API body is compared as the API sends it
        stored = canon(value) if dashboard else canon(json.loads(json.dumps(jsonable(value))))
        assert stored == expected[key], f"{label}: cache entry {key} holds another answer"
    inside = [r for r in run.reads if run.start <= r.start and r.end <= run.end]
    in_tx = [r for r in inside if run.in_transaction and r.start >= run.in_transaction]
    computed = [r for r in inside if r.thread.endswith(("plain", "raw"))]
    counts = {"reads": len(run.reads), "overlapping": len(inside),
              "inside_transaction": len(in_tx), "computed_overlapping": len(computed),
              "new": sum(1 for r in run.reads if r.answer == new[r.request]
                         and old[r.request] != new[r.request]),
              "cache_entries": len(world.stored), "failed": len(failed),
              "load_seconds": round(run.end - run.start, 1)}
    print(f"\n{label}: {counts}" + (f" (killed at {run.killed_at!r})" if run.killed_at else ""))
    assert len(inside) >= MIN_OVERLAPPING, f"{label}: only {len(inside)} reads overlapped"
    return counts


def _phase(loaded: str, tmp_path: Path, args: list[str], label: str,
           kill_when: Callable[[str], bool] | None = None) -> None:
    world = World(loaded, tmp_path / "home")
    try:
        old, old_version = world.answers(), world.cached.version()
        world.ask("cached", ("api", INSIGHT[0]))  # its cache entry predates the load
        run = load_while_reading(world, args, tmp_path / "cli", kill_when)
        new, new_version = world.answers(), world.cached.version()
        if kill_when is None:
            assert new_version != old_version
            same = [r for r in old if old[r] == new[r]]
            assert not same, f"{label}: these answers do not tell old from new: {same}"
        else:
            assert (new, new_version) == (old, old_version)  # the killed load left no trace
        check_load(world, run, old, new, (old_version, new_version), label)
    finally:
        world.close()


def test_replace_load_readers_see_old_or_new_never_a_mix(loaded, folders, tmp_path):
    _phase(loaded, tmp_path, [str(folders["B"])], "replace A by B")


def test_append_load_readers_see_old_or_new_never_a_mix(loaded, folders, tmp_path):
    _phase(loaded, tmp_path, ["--append", str(folders["C"])], "append C to A")


def test_killed_load_readers_see_the_old_data_throughout(loaded, folders, tmp_path):
    """SIGKILL once the load rebuilds the rollups: its new raw tables are swapped in (not
    committed) and it is rewriting the rollups; readers see A throughout."""
    _phase(loaded, tmp_path, [str(folders["B"])], "kill -9 a replace load half way",
           kill_when=lambda query: "agg_" in query and "INSERT" in query)


def test_killed_append_readers_see_the_old_data_throughout(loaded, folders, tmp_path):
    """SIGKILL while an append updates the live derived tables in place, for the orders
    it touched (loaders/increment.py): readers see A throughout. Any statement of the
    merge after its first one will do (C's cells are all new, so they are inserted, not
    updated: the update statements run on nothing and are over too soon to catch)."""
    _phase(loaded, tmp_path, ["--append", str(folders["C"])], "kill -9 an append half way",
           kill_when=lambda query: "pulse_delta" in query
           and not query.lstrip().startswith("CREATE"))


# --- the protocol, directly --------------------------------------------------------------


def test_fast_path_reads_only_derived_tables_behind_the_gate(loaded, tmp_path):
    """Every relation a fast-path answer touches (locks, even for an index) is a rollup,
    a customer table (a seller filter counts its customers there), a dimension set or
    pulse_meta (the gate, which the reader holds), never a raw table."""
    engine = create_engine(loaded)
    service = PulseService(engine, ResultCache(load_settings({"PULSE_HOME": str(tmp_path)})),
                           workers=1)  # every piece on the reader's own connection
    allowed = set(rollups.all_tables()) | set(customerfacts.tables()) | {"pulse_meta"}
    with service.reader() as reader:
        cats = list(service.domain(reader).categories[:2])
        sellers = list(service.domain(reader).sellers[:2])
        views = [{}, {"state": ["SP"]}, {"category": cats[:1]}, {"seller": sellers},
                 {"seller": sellers[:1], "category": cats, "payment_type": ["boleto"]},
                 {"payment_type": ["voucher"], "region": ["S"]},
                 {"category": cats, "payment_type": ["boleto"],
                  "start": ["2020-02-10"], "end": ["2020-11-20"]}]
        for params in views:
            f = service.parse(params, reader=reader)
            service.dashboard(f, reader=reader)
            service.sellers(f, reader=reader)  # the seller breakdown: its own rollups
            for grain in report.GRAINS:
                service.timeseries(f, grain, reader=reader)
            reader.run(lambda c, f=f: reports.shortage_report(c, f, "week", 2))
            reader.run(lambda c, f=f: reports.impact_inputs(c, f, "sales", 2))
            reader.run(lambda c, f=f: insight_data.monthly(c, f))
        service.meta(reader=reader)
        touched = reader.run(lambda c: c.execute(text(
            "SELECT DISTINCT coalesce(t.relname, c.relname) FROM pg_locks l "
            "JOIN pg_class c ON c.oid = l.relation "
            "LEFT JOIN pg_index i ON i.indexrelid = c.oid "
            "LEFT JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' "
            "AND c.relnamespace <> 'pg_catalog'::regnamespace")).scalars().all())
    engine.dispose()
    assert touched and set(touched) <= allowed, set(touched) - allowed
    assert not set(touched) & {spec.table for spec in FILES}
    assert swap.GATE in touched


def test_a_swapped_table_looks_empty_to_an_old_snapshot_unless_gated(engine, tmp_path):
    """The hazard the gate guards against, shown: a snapshot taken before a load's commit
    that first touches `orders` or a rollup after it finds the new relation, whose rows it
    cannot see. Holding the gate (every reader's default), the swap waits for the reader,
    which sees the old rows."""
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    other = ds.tiny()
    other[ds.F_ITEMS][0]["price"] = "68.90"
    folders = [ds.write(other, tmp_path / "b"), ds.write(ds.tiny(), tmp_path / "c")]
    with engine.connect() as conn:
        old = conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
    with snapshot(engine, lock=()) as snap:  # no gate
        snap.conn.execute(text("SELECT 1"))  # the snapshot is taken, no table touched
        ingest.load(engine, folders[0])  # commits: nothing of the reader's holds a table
        assert snap.conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one() \
            == old
        assert snap.conn.execute(text("SELECT count(*) FROM orders")).scalar_one() == 0
        assert snap.conn.execute(text("SELECT count(*) FROM order_keys")).scalar_one() == 0
    loader = threading.Thread(target=ingest.load, args=(engine, folders[1]))
    with snapshot(engine) as snap:
        reader_pid = snap.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        old = snap.conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
        loader.start()
        watcher = create_engine(engine.url)
        with watcher.connect() as watch:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not watch.execute(text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": reader_pid}).scalar():
                time.sleep(0.02)
        watcher.dispose()
        assert loader.is_alive()  # the swap waits for this reader
        assert snap.conn.execute(text("SELECT count(*) FROM orders")).scalar_one() == 5
        assert snap.conn.execute(text("SELECT count(*) FROM order_keys")).scalar_one() == 5
        assert snap.conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one() \
            == old
    loader.join(timeout=60)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar_one() == 5
        assert conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one() > old


def test_work_on_another_thread_reads_its_askers_version_or_nothing(engine, tmp_path):
    """An insight job joins its asker's snapshot (a load that comes meanwhile waits for the
    asker at the gate); once the asker is gone it takes a fresh view only if the version
    is still the same."""
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    service = PulseService(engine, ResultCache(load_settings({"PULSE_HOME": str(tmp_path)})))
    other = ds.tiny()
    other[ds.F_ITEMS][0]["price"] = "68.90"
    with service.reader() as asker:
        ticket = asker.ticket()
        f = service.parse({}, reader=asker)
        sales = asker.run(lambda c: report.kpi_report(c, f))["current"]["sales"]
        loader = threading.Thread(target=ingest.load,  # prices change
                                  args=(engine, ds.write(other, tmp_path / "b")))
        loader.start()
        with service.reader_at(ticket) as joined:
            assert joined.version == asker.version
            again = joined.run(lambda c: report.kpi_report(c, f))["current"]["sales"]
            assert again == sales
        assert loader.is_alive()  # it cannot publish while the asker reads
    loader.join(timeout=60)
    assert not loader.is_alive()
    with service.reader() as now:
        assert now.run(lambda c: report.kpi_report(c, f))["current"]["sales"] != sales
    with pytest.raises(StaleVersion):
        with service.reader_at(ticket):
            pass
    with service.reader() as asker:
        ticket = asker.ticket()
    with service.reader_at(ticket) as fresh:  # asker gone, no load since: same data
        assert fresh.version == ticket.version
