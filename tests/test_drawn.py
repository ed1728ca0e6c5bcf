"""The web tier's cost per filter change (issue #15) without changing what the page shows:

- `charts.with_layout` builds each figure as `update_layout` did (the same JSON, every
  chart of the view, both themes, with targets and events);
- a drawn view kept by `render_view` (`page/drawn.py`) is what drawing it again sends,
  through Dash's callback endpoint, and its key changes with everything drawing reads.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from dash import Patch, html, no_update
from plotly.io.json import to_json_plotly
from test_hostile_urls import render_view_request

from dashapp.config import load_settings
from dashapp.page import callbacks as cb
from dashapp.page import charts, drawn
from dashapp.page.geo import load_geo
from dashapp.page.i18n import lang_of
from dashapp.web.app import create_app

SEARCHES = ("", "?state=SP", "?state=RJ,MG&payment_type=boleto", "?region=south&grain=day")
PLANS = cb.Plans(targets={"2018-03": 500000, "2018-05": 10}, progress=None, events=[
    {"start_day": "2018-02-01", "end_day": "2018-02-01", "label": "a day", "note": None},
    {"start_day": "2018-04-01", "end_day": "2018-04-10", "label": "a range", "note": "n"}])


@pytest.fixture(scope="module")
def app(tiny_engine, tmp_path_factory):
    return create_app(load_settings({"PULSE_HOME": str(tmp_path_factory.mktemp("home"))}),
                      engine=tiny_engine)


@pytest.fixture(scope="module")
def service(app):
    return app.server.extensions["pulse"]


def _no_empty_titles(value: Any) -> Any:
    """`update_layout(yaxis={"title": None})` leaves `"title": {}` in the JSON, a figure
    constructed with it leaves the key out: plotly.js draws both as no title."""
    if isinstance(value, dict):
        return {k: _no_empty_titles(v) for k, v in value.items()
                if not (k == "title" and v == {})}
    if isinstance(value, list):
        return [_no_empty_titles(v) for v in value]
    return value


def _view_panels(service: Any, search: str, locale: str, theme: str | None,
                 plans: cb.Plans | None) -> list:
    settings = load_settings({})
    geo = load_geo(str(settings.geojson), settings.geo_key)
    view, payload = cb.compute_view(service, search)
    lang = lang_of({"locale": locale, "currency": "BRL"})
    grain = "day" if "grain=day" in search else "month"
    series = (grain, cb.series_points(service, payload, view["filters"], grain))
    outputs = cb.panels(geo, payload, view["filters"], "aov", 5, lang, theme, plans, series)
    from plotly.io.json import to_json_plotly
    return _no_empty_titles(json.loads(to_json_plotly(list(outputs))))


@pytest.mark.parametrize("search", SEARCHES)
def test_with_layout_draws_what_update_layout_drew(service, monkeypatch, search):
    for locale, theme, plans in (("en", None, None), ("pt-BR", "dark", PLANS),
                                 ("fr", None, PLANS)):
        fast = _view_panels(service, search, locale, theme, plans)
        with monkeypatch.context() as m:
            m.setattr(charts, "with_layout",
                      lambda fig, **layout: fig.update_layout(**layout))
            reference = _view_panels(service, search, locale, theme, plans)
        assert fast == reference, (search, locale, theme)


def test_with_layout_merges_as_update_layout():
    fig = charts.with_layout(charts.go.Figure(), **charts.base_layout(
        lang_of(None), xaxis={"type": "date", "tickformat": "%b"}, annotations=[{"text": "a"}]))
    layout = {"xaxis": {"tickformat": "%d"}, "annotations": [{"text": "b"}], "bargap": 0.2,
              "font": {"size": 14}}
    ours = charts.with_layout(fig, **layout).to_plotly_json()
    theirs = charts.go.Figure(fig).update_layout(**layout).to_plotly_json()
    assert ours == theirs
    assert ours["layout"]["xaxis"] == {"type": "date", "tickformat": "%d"}
    assert ours["layout"]["font"]["family"] == charts.FONT  # merged, not replaced


def _post(app: Any, service: Any, search: str, **values: Any) -> dict:
    body = render_view_request(app, search, service.version())
    for item in body["inputs"] + body["state"]:
        key = f"{item['id']}.{item['property']}"
        if key in values:
            item["value"] = values[key]
    r = app.server.test_client().post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return json.loads(r.get_data(as_text=True))["response"]


@pytest.mark.parametrize("theme", [None, "dark"])
def test_a_kept_view_is_the_view_drawn_again(app, service, tiny_engine, tmp_path, theme):
    """The same request twice (the second from the kept drawing) and once to a new app
    (nothing kept) answer the same bytes; another language or theme is another drawing."""
    fresh = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=tiny_engine)
    for search in SEARCHES:
        first = _post(app, service, search, **{"theme.data": theme})
        again = _post(app, service, search, **{"theme.data": theme})
        new = _post(fresh, service, search, **{"theme.data": theme})
        assert first == again == new, search
    pt = _post(app, service, "?state=SP", **{"lang.data": {"locale": "pt-BR",
                                                            "currency": "BRL"}})
    en = _post(app, service, "?state=SP")
    assert pt["kpi-sales"]["children"] != en["kpi-sales"]["children"] or \
        pt["view-caption"] != en["view-caption"]


def test_the_key_follows_everything_drawing_reads():
    view = {"version": "1", "search": "?state=SP", "filters": {"state": ["SP"]},
            "notices": [], "error": None}
    base = dict(lang={"locale": "en"}, theme=None, metric="sales", top=10, grain="month",
                plans=cb.Plans())
    key = drawn.view_key(view, **base)
    assert drawn.view_key({**view, "search": "?state=SP&lang=en"}, **base) == key
    assert drawn.view_key({**view, "version": "2"}, **base) != key
    assert drawn.view_key({**view, "filters": {"state": ["RJ"]}}, **base) != key
    for name, other in (("lang", {"locale": "fr"}), ("theme", "dark"), ("metric", "aov"),
                        ("top", 20), ("grain", "day"),
                        ("plans", cb.Plans(targets={"2018-01": 1}))):
        assert drawn.view_key(view, **{**base, name: other}) != key, name


def test_drawn_views_are_bounded_and_reused():
    kept = drawn.DrawnViews(max_entries=2)
    calls = []

    def draw(n: int):
        calls.append(n)
        return (charts.empty_figure(str(n)), n)

    first = kept.get_or_draw("a", lambda: draw(1))
    assert isinstance(first[0], dict)  # kept as the JSON Dash sends, parsed
    assert first[0] == json.loads(to_json_plotly(charts.empty_figure("1")))
    assert kept.get_or_draw("a", lambda: draw(99)) is first
    kept.get_or_draw("b", lambda: draw(2))
    kept.get_or_draw("a", lambda: draw(99))  # a used last: b goes first
    kept.get_or_draw("c", lambda: draw(3))
    assert len(kept) == 2 and calls == [1, 2, 3]
    kept.get_or_draw("b", lambda: draw(4))
    assert calls == [1, 2, 3, 4]


def _post_callback(app: Any, output: str, values: dict[str, Any], changed: str) -> dict:
    """POST one callback as the browser does, built from the app's callback map."""
    spec = app.callback_map[output]
    body = {"output": output,
            "outputs": [{"id": o.component_id, "property": o.component_property}
                        for o in spec["output"]],
            "inputs": [{**i, "value": values[f"{i['id']}.{i['property']}"]}
                       for i in spec["inputs"]],
            "state": [{**i, "value": values[f"{i['id']}.{i['property']}"]}
                      for i in spec["state"]],
            "changedPropIds": [changed]}
    r = app.server.test_client().post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return json.loads(r.get_data(as_text=True))["response"]


def test_a_kept_sellers_table_is_the_table_drawn_again(app, service, tiny_engine, tmp_path):
    fresh = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=tiny_engine)
    output = "..sellers-table.children...sellers-note.children.."
    for search in SEARCHES[:3]:
        view, _ = cb.compute_view(service, search)
        for top, locale in ((10, "en"), (20, "pt-BR")):
            values = {"sellers-view.data": {**view, "theme": None}, "seller-top.value": top,
                      "lang.data": {"locale": locale, "currency": "BRL"}}
            first = _post_callback(app, output, values, "sellers-view.data")
            again = _post_callback(app, output, values, "sellers-view.data")
            dark = _post_callback(app, output, {**values, "sellers-view.data": {
                **view, "theme": "dark"}}, "sellers-view.data")
            new = _post_callback(fresh, output, values, "sellers-view.data")
            assert first == again == dark == new, (search, top, locale)


def test_plain_is_what_dash_sends():
    patch = Patch()
    patch["data"][0]["z"] = [1, 2]
    table = html.Table([html.Tr([html.Td("a", className="num"), html.Td(None)])])
    outputs = (charts.empty_figure("x"), patch, table, "text", True, no_update)
    kept = drawn.plain(outputs)
    assert kept[-1] is no_update  # still "send nothing"
    assert to_json_plotly(list(kept[:-1])) == to_json_plotly(list(outputs[:-1]))
    assert kept[2]["namespace"] == "dash_html_components" and kept[2]["type"] == "Table"
