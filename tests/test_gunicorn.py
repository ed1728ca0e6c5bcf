"""The Procfile, run for real: `web` as a gunicorn with 2 workers serving the page, its
callbacks, the API and /healthz (sign-in on, as in production), logging JSON lines;
a killed worker is replaced; Redis going away changes no answer; `release` migrates
an empty database and rebuilds derived tables only when needed."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from conftest import fresh_database
from services import RedisServer, free_port
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dashapp.web import auth as auth_mod
from loaders import migrate

ROOT = Path(__file__).resolve().parents[1]
SECRET = "gunicorn-test-secret-0123456789-abcdefghijklmnop"
PASSWORD = "a long enough password"


def procfile() -> dict[str, str]:
    out = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            name, cmd = line.split(":", 1)
            out[name.strip()] = cmd.strip()
    return out


def process_env(**extra: str) -> dict[str, str]:
    """The environment a platform gives the process: config vars, and our venv on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PULSE_", "DATABASE_URL", "REDIS_URL", "PYTEST"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


class Gunicorn:
    """The Procfile's `web` command as a child process, logging to a file."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.port = free_port()
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        self.env = process_env(PORT=str(self.port), WEB_CONCURRENCY="2", **env)
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(["bash", "-c", "exec " + procfile()["web"]], cwd=ROOT,
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        if wait:
            self.wait_until(lambda: len(self.workers()) == 2 and self.healthz() is not None)

    def healthz(self) -> requests.Response | None:
        try:
            return requests.get(self.base + "/healthz", timeout=5)
        except requests.RequestException:
            return None

    def workers(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def wait_until(self, condition, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited ({self.proc.returncode}):\n"
                                     + self.log_path.read_text()[-3000:])
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError("timed out; gunicorn log:\n" + self.log_path.read_text()[-3000:])

    def log_records(self) -> list[dict]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def sign_in(base: str, username: str, password: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = s.post(base + "/login", data={"username": username, "password": password,
                                      "csrf": csrf, "next": "/"},
               headers={"Origin": base}, allow_redirects=False, timeout=10)
    assert r.status_code == 303, r.text[:500]
    return s


@pytest.fixture(scope="module")
def redis_srv(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def served(pg_admin_url, template_db, tmp_path_factory, redis_srv):
    """gunicorn per the Procfile over a database holding the tiny dataset, with Redis."""
    import datasets

    from loaders import ingest

    with fresh_database(pg_admin_url, template_db) as url:
        eng = create_engine(url)
        ingest.load(eng, datasets.write(datasets.tiny(), tmp_path_factory.mktemp("tiny")))
        auth_mod.add_user(eng, "olga", PASSWORD)
        _, token = auth_mod.create_token(eng, "olga", "test")
        eng.dispose()
        work = tmp_path_factory.mktemp("gunicorn")
        g = Gunicorn(work, DATABASE_URL=url, REDIS_URL=redis_srv.url, PULSE_SECRET_KEY=SECRET,
                     PULSE_HOME=str(work / "home"))
        g.start()
        try:
            yield g, token
        finally:
            g.stop()


def test_web_serves_page_callbacks_api_and_health_with_two_workers(served):
    g, token = served
    assert len(g.workers()) == 2
    health = g.healthz()
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["cache"] == "redis ok"
    # under gunicorn sign-in is on by default
    r = requests.get(g.base + "/", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    s = sign_in(g.base, "olga", PASSWORD)
    page = s.get(g.base + "/", timeout=10)
    assert page.status_code == 200 and "_dash-config" in page.text
    assert "Content-Security-Policy" in page.headers
    assert s.get(g.base + "/_dash-layout", timeout=30).status_code == 200
    deps = s.get(g.base + "/_dash-dependencies", timeout=10).json()
    assert deps
    bearer = {"Authorization": f"Bearer {token}"}
    for _ in range(6):  # several requests: both workers answer the same
        kpis = requests.get(g.base + "/api/v1/kpis", headers=bearer, timeout=10)
        assert kpis.status_code == 200 and kpis.json()["current"]["sales"] == 296.79
    # one JSON object per log line, requests included, no secret anywhere
    records = g.log_records()
    assert any(r.get("event") == "request" and r.get("path") == "/healthz" for r in records)
    assert any("Booting worker" in r["msg"] for r in records)
    raw = g.log_path.read_text()
    assert token not in raw and PASSWORD not in raw and SECRET not in raw


def test_a_killed_worker_is_replaced(served):
    g, token = served
    before = g.workers()
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    g.wait_until(lambda: len(g.workers()) == 2 and victim not in g.workers(), timeout=30)
    for _ in range(4):
        assert g.healthz().status_code == 200
    assert any(str(victim) in r["msg"] and r["level"] == "error" for r in g.log_records())


def test_redis_going_away_changes_no_answer(served, redis_srv):
    import redis

    g, token = served
    bearer = {"Authorization": f"Bearer {token}"}
    url = g.base + "/api/v1/breakdown/state"
    expected = requests.get(url, headers=bearer, timeout=10).json()
    redis_srv.stop()
    try:
        for _ in range(6):
            r = requests.get(url, headers=bearer, timeout=10)
            assert r.status_code == 200 and r.json() == expected
        assert "redis unavailable" in [g.healthz().json()["cache"] for _ in range(6)]
    finally:
        redis_srv.start()
    # the restarted Redis is empty; the workers try it again after a few seconds and refill it
    fresh = redis.Redis.from_url(redis_srv.url)

    def refilled() -> bool:
        assert requests.get(url, headers=bearer, timeout=10).json() == expected
        return fresh.dbsize() > 0

    g.wait_until(refilled, timeout=30)
    assert any("cache (redis) unavailable" in r.get("msg", "") for r in g.log_records())


def test_web_refuses_to_start_without_a_secret_key(tmp_path, pg_admin_url):
    g = Gunicorn(tmp_path, DATABASE_URL=pg_admin_url, PULSE_HOME=str(tmp_path / "home"))
    g.start(wait=False)
    try:
        assert g.proc.wait(timeout=60) != 0
    finally:
        g.stop()
    assert "PULSE_SECRET_KEY is not set" in g.log_path.read_text()


def run_release(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", procfile()["release"]], cwd=ROOT, text=True,
                          capture_output=True, timeout=300,
                          env=process_env(DATABASE_URL=url, PULSE_HOME=str(tmp_path)))


def test_release_on_an_empty_database(pg_admin_url, tmp_path):
    import datasets

    from loaders import ingest

    name = f"pulse_release_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        first = run_release(url, tmp_path)
        assert first.returncode == 0, first.stderr
        assert f"database schema at revision {migrate.head()}" in first.stdout
        assert "nothing to refresh" in first.stdout
        eng = create_engine(url)
        assert migrate.current(eng) == migrate.head()
        # a load records which code built the derived tables: nothing to redo
        ingest.load(eng, datasets.write(datasets.tiny(), tmp_path / "tiny"))
        after_load = run_release(url, tmp_path)
        assert after_load.returncode == 0 and "nothing to refresh" in after_load.stdout
        # tables built by an older release's rollup code: rebuilt once
        with eng.begin() as conn:
            before = conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
            conn.execute(text("COMMENT ON TABLE pulse_meta IS 'pulse-rollups:0000000000000000'"))
        second = run_release(url, tmp_path)
        assert second.returncode == 0, second.stderr
        assert "derived tables rebuilt" in second.stdout
        third = run_release(url, tmp_path)
        assert third.returncode == 0 and "nothing to refresh" in third.stdout
        with eng.connect() as conn:
            after = conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
            assert after > before  # caches keyed on the version drop their entries
            assert conn.execute(text("SELECT count(*) FROM agg_order_full_m")).scalar() > 0
        eng.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_procfile_is_what_the_docs_say():
    web = shlex.split(procfile()["web"])
    assert web[:2] == ["gunicorn", "dashapp.web.wsgi:server"]
    assert "0.0.0.0:${PORT:-8050}" in web and "${WEB_CONCURRENCY:-2}" in web
    assert "dashapp.logsetup.GunicornLogger" in web
    assert procfile()["release"] == "pulse db upgrade && pulse db refresh --if-needed"
