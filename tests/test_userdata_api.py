"""Saved views, targets and events through the API, with sign-in on: each user sees and
changes only their own views (another's id is a 404, for the session and for a Bearer
token alike), wrong input is a 400 naming the field, and what is saved is in PostgreSQL
(read back by a fresh app, as another worker would).

Runs against the tiny dataset (tests/datasets.py); the rows are written for real.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from dashapp.config import load_settings
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app

SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"
ORIGIN = {"Origin": "http://localhost"}


def make_app(engine, tmp_path, **env: str):
    base = {"PULSE_HOME": str(tmp_path / "home"), "PULSE_AUTH": "required",
            "PULSE_SECRET_KEY": SECRET}
    base.update(env)
    return create_app(load_settings(base), engine=engine)


@pytest.fixture(scope="module")
def accounts(tiny_engine):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        for name in ("ana", "bruno"):
            auth_mod.add_user(tiny_engine, name, PASSWORD)
    tokens = {name: auth_mod.create_token(tiny_engine, name)[1] for name in ("ana", "bruno")}
    return tiny_engine, tokens


@pytest.fixture
def app(accounts, tmp_path):
    return make_app(accounts[0], tmp_path)


def bearer(accounts, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts[1][name]}"}


def signed_in(app, name: str):
    import re

    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf": csrf,
                                    "next": "/"}, headers=ORIGIN)
    assert r.status_code == 303
    return client


def test_views_are_saved_listed_shared_and_private(app, accounts, tmp_path):
    c = app.server.test_client()
    ana, bruno = bearer(accounts, "ana"), bearer(accounts, "bruno")
    r = c.post("/api/v1/views", json={"name": " SP last 30 days ",
                                      "query": "?state=SP&range=30d&lang=pt-BR"}, headers=ana)
    assert r.status_code == 201, r.get_json()
    saved = r.get_json()
    assert saved["name"] == "SP last 30 days"
    assert saved["query"] == "state=SP&range=30d&lang=pt-BR"
    assert saved["url"] == "http://localhost/?state=SP&range=30d&lang=pt-BR"
    view_id = saved["id"]
    assert isinstance(view_id, int)
    # ana's session sees what ana's token saved; bruno sees nothing of it
    session = signed_in(app, "ana")
    listed = session.get("/api/v1/views").get_json()["views"]
    assert [(v["id"], v["name"]) for v in listed] == [(view_id, "SP last 30 days")]
    assert c.get("/api/v1/views", headers=bruno).get_json() == {"views": []}
    assert c.get(f"/api/v1/views/{view_id}", headers=bruno).status_code == 404
    assert c.delete(f"/api/v1/views/{view_id}", headers=bruno).status_code == 404
    assert c.get(f"/api/v1/views/{view_id}", headers=ana).get_json()["query"] == \
        "state=SP&range=30d&lang=pt-BR"
    # stored in PostgreSQL: a new app (another worker) reads it back
    other = make_app(accounts[0], tmp_path / "w2").server.test_client()
    assert [v["id"] for v in other.get("/api/v1/views", headers=ana).get_json()["views"]] \
        == [view_id]
    # the session deletes it (same-origin), then it is gone for everyone
    assert session.delete(f"/api/v1/views/{view_id}", headers=ORIGIN).status_code == 204
    assert c.get(f"/api/v1/views/{view_id}", headers=ana).status_code == 404
    assert c.delete(f"/api/v1/views/{view_id}", headers=ana).status_code == 404


def test_views_need_a_user_and_refuse_cross_site_posts(app, accounts):
    c = app.server.test_client()
    assert c.get("/api/v1/views").status_code == 401
    assert c.post("/api/v1/views", json={"name": "x", "query": ""}).status_code == 401
    session = signed_in(app, "bruno")
    r = session.post("/api/v1/views", json={"name": "x", "query": ""},
                     headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert session.get("/api/v1/views").get_json() == {"views": []}
    r = session.post("/api/v1/views", json={"name": "everything", "query": ""},
                     headers=ORIGIN)
    assert r.status_code == 201 and r.get_json()["url"] == "http://localhost/"
    session.delete(f"/api/v1/views/{r.get_json()['id']}", headers=ORIGIN)


@pytest.mark.parametrize(("payload", "field", "says"), [
    ({"query": "state=SP"}, "name", "name is required"),
    ({"name": "   ", "query": ""}, "name", "must not be empty"),
    ({"name": 7, "query": ""}, "name", "must be a string"),
    ({"name": "x" * 101, "query": ""}, "name", "longer than 100"),
    ({"name": "a", "query": "state=SP&evil=1"}, "query", "unknown parameter 'evil'"),
    ({"name": "a", "query": "range=45d"}, "query", "range must be one of"),
    ({"name": "a", "query": ["state=SP"]}, "query", "must be a string"),
    ({"name": "a", "query": "a" * 2001}, "query", "longer than 2000"),
    ([1, 2], "body", "JSON object"),
])
def test_bad_views_are_400_naming_the_field(app, accounts, payload, field, says):
    r = app.server.test_client().post("/api/v1/views", json=payload,
                                      headers=bearer(accounts, "ana"))
    assert r.status_code == 400
    body = r.get_json()
    assert body["parameter"] == field and says in body["error"]


def test_removed_user_token_and_rows_go_with_the_user(accounts, tmp_path):
    engine = accounts[0]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        auth_mod.add_user(engine, "gone", PASSWORD)
    _, token = auth_mod.create_token(engine, "gone")
    c = make_app(engine, tmp_path).server.test_client()
    r = c.post("/api/v1/views", json={"name": "mine", "query": "state=RJ"},
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201
    auth_mod.remove_user(engine, "gone")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pulse_views WHERE name = 'mine'")
                            ).scalar() == 0


def test_openapi_documents_the_writes():
    from openapi_spec_validator import validate

    from dashapp.api.openapi import openapi_document

    doc = openapi_document()
    validate(doc)
    assert set(doc["paths"]["/api/v1/views"]) == {"get", "post"}
    assert set(doc["paths"]["/api/v1/views/{id}"]) == {"get", "delete"}
    assert "post" in doc["paths"]["/api/v1/targets"] and "post" in doc["paths"]["/api/v1/events"]


def test_a_path_id_that_is_no_number_is_a_400_naming_id(app, accounts):
    c = app.server.test_client()
    for method in (c.get, c.delete):
        for path in ("/api/v1/views/null,null", "/api/v1/targets/abc", "/api/v1/events/-1"):
            r = method(path, headers=bearer(accounts, "ana"))
            assert r.status_code == 400 and r.get_json()["parameter"] == "id", path


def test_subscriptions_are_per_user(app, accounts):
    c = app.server.test_client()
    ana, bruno = bearer(accounts, "ana"), bearer(accounts, "bruno")
    view = c.post("/api/v1/views", json={"name": "weekly SP", "query": "state=SP"},
                  headers=ana).get_json()
    r = c.post("/api/v1/subscriptions", json={"view_id": view["id"], "frequency": "weekly"},
               headers=ana)
    assert r.status_code == 201, r.get_json()
    sub = r.get_json()
    assert (sub["view_id"], sub["frequency"]) == (view["id"], "weekly")
    # bruno cannot subscribe to ana's view, see or delete her subscription
    assert c.post("/api/v1/subscriptions", json={"view_id": view["id"], "frequency": "daily"},
                  headers=bruno).status_code == 404
    assert c.get("/api/v1/subscriptions", headers=bruno).get_json() == {"subscriptions": []}
    assert c.delete(f"/api/v1/subscriptions/{sub['id']}", headers=bruno).status_code == 404
    bad = c.post("/api/v1/subscriptions", json={"view_id": view["id"], "frequency": "hourly"},
                 headers=ana)
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "frequency"
    assert [s["id"] for s in c.get("/api/v1/subscriptions", headers=ana).get_json()[
        "subscriptions"]] == [sub["id"]]
    assert c.delete(f"/api/v1/subscriptions/{sub['id']}", headers=ana).status_code == 204
