"""The query cache against a real Redis (and the filesystem fallback)."""

from __future__ import annotations

import logging

import datasets as ds
import pytest
import redis

from dashapp import cache as cache_mod
from dashapp.config import load_settings
from dashapp.web.app import create_app
from loaders import ingest


def _app(engine, tmp_path, redis_url: str | None = None):
    env = {"PULSE_HOME": str(tmp_path / "home")}
    if redis_url:
        env["REDIS_URL"] = redis_url
    app = create_app(load_settings(env), engine=engine)
    return app.server.extensions["pulse"], app.server.test_client()


def test_second_identical_request_is_served_from_redis(tiny_engine, tmp_path, redis_server):
    service, client = _app(tiny_engine, tmp_path, redis_server.url)
    assert service.cache.kind == "redis"
    first = client.get("/api/v1/kpis?state=SP").get_json()
    assert (service.cache.hits, service.cache.misses) == (0, 1)
    second = client.get("/api/v1/kpis?state=SP").get_json()
    assert (service.cache.hits, service.cache.misses) == (1, 1)
    assert first == second and first["current"]["sales"] == 159.0
    assert redis.Redis.from_url(redis_server.url).dbsize() >= 1
    # the same view spelled differently is the same entry
    client.get("/api/v1/kpis?state=sp")
    assert service.cache.hits == 2


def test_a_load_changes_the_answer_immediately(engine, tmp_path, redis_server):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    service, client = _app(engine, tmp_path, redis_server.url)
    before = client.get("/api/v1/kpis").get_json()["current"]["sales"]
    assert before == 296.79
    rows = ds.tiny()
    rows[ds.F_ITEMS][0]["price"] = "68.90"  # ten reais more
    ingest.load(engine, ds.write(rows, tmp_path / "b"))
    after = client.get("/api/v1/kpis").get_json()["current"]["sales"]
    assert after == 306.79
    assert service.cache.hits == 0  # the old entry is unreachable: the version changed


def test_stopping_redis_mid_test_causes_no_error(tiny_engine, tmp_path, redis_server,
                                                 monkeypatch, caplog):
    monkeypatch.setattr(cache_mod, "RETRY_SECONDS", 0.0)
    service, client = _app(tiny_engine, tmp_path, redis_server.url)
    assert client.get("/api/v1/kpis").status_code == 200
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="dashapp.cache"):
        for url in ("/api/v1/kpis", "/api/v1/kpis?state=SP", "/api/v1/breakdown/state"):
            r = client.get(url)
            assert r.status_code == 200
        assert client.get("/api/v1/kpis?state=SP").get_json()["current"]["sales"] == 159.0
        health = client.get("/healthz")
        assert health.status_code == 200 and health.get_json()["cache"] == "redis unavailable"
    outage_logs = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage_logs) == 1  # logged once, not per request
    redis_server.start()
    client.get("/api/v1/kpis?region=N")
    client.get("/api/v1/kpis?region=N")
    assert service.cache.available and service.cache.hits >= 1
    assert client.get("/healthz").get_json()["cache"] == "redis ok"


def test_filesystem_cache_without_redis(tiny_engine, tmp_path):
    service, client = _app(tiny_engine, tmp_path)
    assert service.cache.kind == "filesystem"
    client.get("/api/v1/breakdown/category")
    client.get("/api/v1/breakdown/category")
    assert service.cache.hits == 1
    assert any((tmp_path / "home" / "cache").iterdir())


@pytest.mark.parametrize("url", ["/api/v1/kpis", "/api/v1/timeseries?grain=day"])
def test_cached_and_uncached_answers_are_identical(tiny_engine, tmp_path, redis_server, url):
    _, client = _app(tiny_engine, tmp_path, redis_server.url)
    assert client.get(url).get_json() == client.get(url).get_json()
