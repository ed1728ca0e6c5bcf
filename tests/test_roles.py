"""The web app's read-only role, made by `pulse db grant-reader`, on a real PostgreSQL
with passwords over TLS: it reads everything the page needs, records sign-in attempts,
and every attempt to change data or schema fails at the database itself."""

from __future__ import annotations

import io
import sys

import datasets
import pytest
from pgdebian import running_postgres
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from dashapp import cli
from dashapp.config import load_settings, normalise_database_url, set_settings
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app
from loaders import ingest

OWNER_PW = "owner-pw-3f9a2c"
WEB_PW = "web-pw-81be4d27"
SECRET = "roles-test-secret-0123456789-abcdefghijklmnop"


@pytest.fixture(scope="module")
def pg():
    yield from running_postgres()


@pytest.fixture(scope="module")
def urls(pg, tmp_path_factory):
    """A database owned by `pulse_owner` (migrated, loaded) and `pulse_web` granted by the CLI."""
    admin = create_engine(pg.admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE pulse_owner LOGIN PASSWORD '{OWNER_PW}'"))
        conn.execute(text("CREATE DATABASE pulse OWNER pulse_owner"))
    admin.dispose()
    # PostgreSQL 15+: only the database owner may create in schema public (pg_database_owner)
    owner = pg.url("pulse_owner", OWNER_PW, "pulse", sslmode="verify-full", ca=pg.ca[0])
    web = pg.url("pulse_web", WEB_PW, "pulse", sslmode="verify-full", ca=pg.ca[0])
    env = {"DATABASE_URL": web, "PULSE_LOADER_DATABASE_URL": owner}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    mp.setattr(sys, "stdin", io.StringIO(WEB_PW + "\n"))
    set_settings(None)
    try:
        assert cli.main(["db", "upgrade"]) == 0
        # an owner without CREATEROLE (Heroku's, say) is told what to do instead
        assert cli.main(["db", "grant-reader", "pulse_web", "--password-stdin"]) == 2
        admin = create_engine(pg.admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("ALTER ROLE pulse_owner CREATEROLE"))
        admin.dispose()
        mp.setattr(sys, "stdin", io.StringIO(WEB_PW + "\n"))
        assert cli.main(["db", "grant-reader", "pulse_web", "--password-stdin"]) == 0
        mp.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
        assert cli.main(["user", "add", "rosa", "--password-stdin"]) == 0
    finally:
        set_settings(None)
        mp.undo()
    eng = create_engine(normalise_database_url(owner))
    ingest.load(eng, datasets.write(datasets.tiny(), tmp_path_factory.mktemp("tiny")))
    eng.dispose()
    return {"owner": owner, "web": web}


@pytest.fixture
def web_engine(urls):
    eng = create_engine(normalise_database_url(urls["web"]))
    yield eng
    eng.dispose()


@pytest.fixture
def owner_engine(urls):
    eng = create_engine(normalise_database_url(urls["owner"]))
    yield eng
    eng.dispose()


WRITES = [
    "INSERT INTO orders (order_id, customer_id, order_status, order_purchase_timestamp) "
    "SELECT 'x', customer_id, 'delivered', now() FROM customers LIMIT 1",
    "UPDATE order_items SET price = price + 1",
    "DELETE FROM order_payments",
    "TRUNCATE agg_order_full_m",
    "UPDATE pulse_meta SET data_version = data_version + 1",
    "INSERT INTO pulse_users (username, password_hash) VALUES ('mallory', 'x')",
    "UPDATE pulse_users SET password_hash = 'x'",
    "DELETE FROM pulse_api_tokens",
    "UPDATE pulse_login_attempts SET success = true",
    "CREATE TABLE evil (x int)",
    "DROP TABLE orders",
    "ALTER TABLE orders ADD COLUMN evil int",
    "CREATE INDEX evil_ix ON orders (order_status)",
    "COMMENT ON TABLE pulse_meta IS 'evil'",
]


@pytest.mark.parametrize("statement", WRITES, ids=[w.split(" (")[0][:32] for w in WRITES])
def test_the_web_role_cannot_write(web_engine, statement):
    with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
        with web_engine.begin() as conn:
            conn.execute(text(statement))


def test_the_web_role_reads_and_records_sign_in_attempts_only(web_engine, urls):
    with web_engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar() > 0
        assert conn.execute(text("SELECT count(*) FROM agg_order_full_m")).scalar() > 0
        conn.execute(text("INSERT INTO pulse_login_attempts (username, client, success) "
                          "VALUES ('probe', '127.0.0.1', false)"))
        conn.execute(text("DELETE FROM pulse_login_attempts WHERE username = 'probe'"))
        # the database enforces the timeout even if the app's setting were lost
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "15s"
        assert conn.execute(text("SELECT current_user")).scalar() == "pulse_web"
        # and it is a password login over TLS, as configured
        assert conn.execute(text("SELECT ssl FROM pg_stat_ssl "
                                 "WHERE pid = pg_backend_pid()")).scalar()


def test_the_web_role_writes_what_people_save(web_engine):
    """Views, targets and events are saved through the web app, so its role writes them
    (and nothing else of the data: test_the_web_role_cannot_write)."""
    from dashapp.userdata import UserData

    store = UserData(web_engine)
    view = store.save_view(None, {"name": "probe", "query": "state=SP"})
    target = store.set_target({"month": "2020-03", "amount": "10.50"})
    event = store.add_event({"start": "2020-03-01", "label": "probe"})
    assert store.view(None, view["id"])["query"] == "state=SP"
    assert store.delete_view(None, view["id"]) and store.delete_target(target["id"])
    assert store.delete_event(event["id"])


def test_the_web_role_changes_a_users_address_and_nothing_else_of_it(web_engine,
                                                                      owner_engine):
    """The Digests dialog and `PUT /api/v1/me` write `pulse_users.email` (a column grant);
    the password and the name stay the owner's (test_the_web_role_cannot_write)."""
    from dashapp.userdata import UserData
    from dashapp.web import auth as auth_mod

    auth_mod.add_user(owner_engine, "probe_mail", "correct horse battery", replace=True)
    store = UserData(web_engine)
    owner = store.owner("probe_mail")
    assert store.set_email(owner, {"email": "probe@example.com"}) == {
        "email": "probe@example.com"}
    assert store.me(owner) == {"email": "probe@example.com"}
    with pytest.raises(ProgrammingError, match="permission denied"):
        with web_engine.begin() as conn:
            conn.execute(text("UPDATE pulse_users SET username = 'x' WHERE id = :u"),
                         {"u": owner})


def test_tables_added_later_are_readable_and_grants_are_exact(web_engine, owner_engine, urls,
                                                               monkeypatch, capsys):
    with owner_engine.begin() as conn:  # a future migration's table
        conn.execute(text("CREATE TABLE pulse_future (x int)"))
        conn.execute(text("INSERT INTO pulse_future VALUES (1)"))
        conn.execute(text("GRANT INSERT ON orders TO pulse_web"))  # a stray privilege
    try:
        with web_engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM pulse_future")).scalar() == 1
        monkeypatch.setenv("PULSE_LOADER_DATABASE_URL", urls["owner"])
        monkeypatch.setenv("DATABASE_URL", urls["web"])
        set_settings(None)
        assert cli.main(["db", "grant-reader", "pulse_web"]) == 0  # idempotent, no new pw
        out = capsys.readouterr()
        assert "write only pulse_login_attempts" in out.out and "WARNING" not in out.err
        with pytest.raises(ProgrammingError, match="permission denied"):
            with web_engine.begin() as conn:
                conn.execute(text(WRITES[0]))
        # the owner itself, or a superuser, cannot be "made read-only"
        assert cli.main(["db", "grant-reader", "pulse_owner"]) == 2
        assert cli.main(["db", "grant-reader", "postgres"]) == 2
    finally:
        set_settings(None)
        with owner_engine.begin() as conn:
            conn.execute(text("DROP TABLE pulse_future"))


def test_the_app_runs_as_the_web_role_with_sign_in(urls, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(auth_mod, "USER_CACHE_SECONDS", 0.0)
    settings = load_settings({"DATABASE_URL": urls["web"],
                              "PULSE_LOADER_DATABASE_URL": urls["owner"],
                              "PULSE_HOME": str(tmp_path), "PULSE_AUTH": "required",
                              "PULSE_SECRET_KEY": SECRET})
    app = create_app(settings)
    c = app.server.test_client()
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"',
                     c.get("/login").get_data(as_text=True)).group(1)
    bad = c.post("/login", data={"username": "rosa", "password": "wrong password!",
                                 "csrf": csrf, "next": "/"})
    assert bad.status_code == 401  # the failure was recorded by the web role
    ok = c.post("/login", data={"username": "rosa", "password": "a long enough password",
                                "csrf": csrf, "next": "/"})
    assert ok.status_code == 303
    assert c.get("/api/v1/kpis").get_json()["current"]["sales"] == 296.79
    assert WEB_PW not in capsys.readouterr().out
