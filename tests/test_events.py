"""Events: added by the API and `pulse event add` (an end before the start is a 400
naming `end`), drawn on the monthly chart (a band for a range, a dotted line for a day,
labelled) and offered as presets in the Event impact panel. Real PostgreSQL (tiny data)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from test_saved_views_page import dash_call

from dashapp.config import load_settings, set_settings
from dashapp.page.callbacks import plans_for, resolve_view, timeseries_chart
from dashapp.page.i18n import lang_for
from dashapp.page.panels.impact import event_buttons
from dashapp.web.app import create_app

FR = lang_for("fr", "BRL")


@pytest.fixture(scope="module")
def app(tiny_engine, tmp_path_factory):
    return create_app(load_settings({"PULSE_HOME": str(tmp_path_factory.mktemp("h"))}),
                      engine=tiny_engine)


@pytest.fixture
def client(app, tiny_engine):
    with tiny_engine.begin() as conn:
        conn.execute(text("DELETE FROM pulse_events"))
    return app.server.test_client()


def test_add_list_and_delete_events(client):
    r = client.post("/api/v1/events", json={"start": "2020-03-20", "label": "Campanha",
                                            "note": "e-mail a todos"})
    assert r.status_code == 201, r.get_json()
    day = r.get_json()
    assert (day["start_day"], day["end_day"], day["label"], day["note"]) == \
        ("2020-03-20", "2020-03-20", "Campanha", "e-mail a todos")
    r = client.post("/api/v1/events", json={"start": "2020-04-01", "end": "2020-04-07",
                                            "label": "Greve"})
    span = r.get_json()
    assert (span["start_day"], span["end_day"], span["note"]) == ("2020-04-01", "2020-04-07",
                                                                  None)
    listed = client.get("/api/v1/events").get_json()["events"]
    assert [e["label"] for e in listed] == ["Campanha", "Greve"]
    # overlapping the range: the strike started before the 5th and is still on
    assert [e["label"] for e in client.get("/api/v1/events?start=2020-04-05").get_json()[
        "events"]] == ["Greve"]
    assert client.delete(f"/api/v1/events/{day['id']}").status_code == 204
    assert client.get(f"/api/v1/events/{day['id']}").status_code == 404
    assert client.get(f"/api/v1/events/{span['id']}").get_json()["label"] == "Greve"


@pytest.mark.parametrize(("payload", "field", "says"), [
    ({"start": "2020-04-07", "end": "2020-04-01", "label": "x"}, "end", "is before start"),
    ({"start": "2020-02-30", "label": "x"}, "start", "not a valid date"),
    ({"start": "07/04/2020", "label": "x"}, "start", "YYYY-MM-DD"),
    ({"label": "x"}, "start", "start is required"),
    ({"start": "2020-04-01", "end": 20200407, "label": "x"}, "end", "YYYY-MM-DD"),
    ({"start": "2020-04-01"}, "label", "label is required"),
    ({"start": "2020-04-01", "label": "x", "note": "n" * 2001}, "note", "longer than 2000"),
])
def test_bad_events_are_400_naming_the_field(client, payload, field, says):
    r = client.post("/api/v1/events", json=payload)
    assert r.status_code == 400
    assert r.get_json()["parameter"] == field and says in r.get_json()["error"]
    assert client.get("/api/v1/events").get_json()["events"] == []


def test_cli_adds_events(client, tiny_engine, monkeypatch, capsys):
    from dashapp import cli

    monkeypatch.setenv("DATABASE_URL", tiny_engine.url.render_as_string(hide_password=False))
    set_settings(None)
    try:
        assert cli.main(["event", "add", "2020-03-10", "Black Friday", "--end",
                         "2020-03-12"]) == 0
        assert "2020-03-10..2020-03-12 Black Friday" in capsys.readouterr().out
        assert cli.main(["event", "add", "2020-03-10", "Oops", "--end", "2020-03-01"]) == 2
        assert "end: end 2020-03-01 is before start 2020-03-10" in capsys.readouterr().err
    finally:
        set_settings(None)
    assert [e["label"] for e in client.get("/api/v1/events").get_json()["events"]] == \
        ["Black Friday"]


def test_events_on_the_chart_and_in_the_impact_presets(client, app):
    client.post("/api/v1/events", json={"start": "2020-03-20", "label": "Campanha"})
    client.post("/api/v1/events", json={"start": "2020-04-01", "end": "2020-04-07",
                                        "label": "Greve"})
    client.post("/api/v1/events", json={"start": "2019-01-01", "label": "Fora"})
    service, userdata = app.server.extensions["pulse"], app.server.extensions["pulse_userdata"]
    view, payload = resolve_view(service, "?start=2020-03-01&end=2020-04-30")
    plans = plans_for(userdata, view, payload)
    assert [e["label"] for e in plans.events] == ["Campanha", "Greve"]  # in the range only
    fig = timeseries_chart(payload, view["filters"], FR, plans)
    shapes = [(s.type, s.x0, s.x1) for s in fig.layout.shapes]
    assert shapes == [("line", "2020-03-20", "2020-03-20"),
                      ("rect", "2020-04-01", "2020-04-08")]
    assert [a.text for a in fig.layout.annotations] == ["Campanha", "Greve"]
    # the impact panel offers every event (its models read the whole history)
    buttons = event_buttons(userdata.events(), FR)
    assert [(b.children, b.id["date"]) for b in buttons] == [
        ("Fora", "2019-01-01"), ("Campanha", "2020-03-20"), ("Greve", "2020-04-01")]
    assert "avr" in buttons[2].title and "\u2013" in buttons[2].title
    http = app.server.test_client()
    listed = dash_call(http, "impact-user-events.children", {
        "view.data": {"filters": view["filters"]}, "lang.data": {"locale": "fr"}})
    children = listed.get_json()["response"]["impact-user-events"]["children"]
    assert [c["props"]["children"] for c in children] == ["Fora", "Campanha", "Greve"]
    assert all(c["props"]["id"]["type"] == "impact-user-event" for c in children)
