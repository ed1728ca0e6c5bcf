"""TLS to the database, as configured by DATABASE_URL alone: against a real PostgreSQL
with password authentication whose certificate is signed by a CA made here.

The server refuses unencrypted TCP connections, so anything that connects at all
is encrypted; `verify-full` additionally proves who the server is, and refuses a
server whose certificate does not chain to the CA it was given.
"""

from __future__ import annotations

import logging

import datasets
import pytest
from pgdebian import running_postgres
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from dashapp import cli
from dashapp.config import load_settings, normalise_database_url, set_settings
from dashapp.web.app import create_app
from loaders import ingest, migrate


@pytest.fixture(scope="module")
def pg():
    yield from running_postgres(tls_only=True)


@pytest.fixture(scope="module")
def loaded(pg, tmp_path_factory):
    """A `pulse` database migrated and loaded over verify-full, by the CLI and the loader."""
    admin = create_engine(pg.admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE pulse"))
    admin.dispose()
    url = pg.url(database="pulse", sslmode="verify-full", ca=pg.ca[0])
    eng = create_engine(normalise_database_url(url))
    migrate.upgrade(eng)
    ingest.load(eng, datasets.write(datasets.tiny(), tmp_path_factory.mktemp("tiny")))
    eng.dispose()
    return url


def ssl_of(url: str) -> tuple[bool, str]:
    eng = create_engine(normalise_database_url(url))
    try:
        with eng.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).one())
    finally:
        eng.dispose()


def test_verify_full_with_the_right_ca_connects_encrypted(pg, loaded):
    encrypted, version = ssl_of(loaded)
    assert encrypted and version.startswith("TLSv1.")


def test_a_wrong_ca_is_refused(pg, loaded):
    with pytest.raises(OperationalError, match="certificate verify failed"):
        ssl_of(pg.url(database="pulse", sslmode="verify-full", ca=pg.wrong_ca[0]))
    # verify-ca refuses it too; `require` encrypts without checking who answers
    with pytest.raises(OperationalError, match="certificate verify failed"):
        ssl_of(pg.url(database="pulse", sslmode="verify-ca", ca=pg.wrong_ca[0]))
    assert ssl_of(pg.url(database="pulse", sslmode="require"))[0]
    with pytest.raises(OperationalError, match="no encryption"):
        ssl_of(pg.url(database="pulse", sslmode="disable"))


def test_the_app_and_the_cli_use_tls_from_database_url(pg, loaded, tmp_path, monkeypatch,
                                                     capsys):
    # the app: its own engine, built from the URL (Heroku's postgres:// scheme)
    heroku_style = loaded.replace("postgresql://", "postgres://", 1)
    app = create_app(load_settings({"DATABASE_URL": heroku_style,
                                    "PULSE_HOME": str(tmp_path)}))
    client = app.server.test_client()
    assert client.get("/healthz").get_json()["database"] == "ok"
    assert client.get("/api/v1/kpis").get_json()["current"]["sales"] == 296.79
    service = app.server.extensions["pulse"]
    with service.engine.connect() as conn:
        assert conn.execute(text("SELECT ssl FROM pg_stat_ssl "
                                 "WHERE pid = pg_backend_pid()")).scalar_one()
    # the release command
    monkeypatch.setenv("DATABASE_URL", heroku_style)
    set_settings(None)
    try:
        assert cli.main(["db", "upgrade"]) == 0
        assert f"revision {migrate.head()}" in capsys.readouterr().out
    finally:
        set_settings(None)


def test_a_wrong_ca_makes_the_app_say_why_without_credentials(pg, loaded, tmp_path, caplog):
    url = pg.url(database="pulse", sslmode="verify-full", ca=pg.wrong_ca[0])
    app = create_app(load_settings({"DATABASE_URL": url, "PULSE_HOME": str(tmp_path)}))
    client = app.server.test_client()
    with caplog.at_level(logging.INFO):
        health = client.get("/healthz")
        api = client.get("/api/v1/kpis")
    assert health.status_code == 503 and "certificate verify failed" in health.get_json()[
        "database"]
    assert api.status_code == 503 and "certificate verify failed" in api.get_json()["error"]
    shown = health.get_data(as_text=True) + api.get_data(as_text=True) + caplog.text
    assert pg.superpass not in shown
    assert any(getattr(r, "event", "") == "database_unavailable" for r in caplog.records)
