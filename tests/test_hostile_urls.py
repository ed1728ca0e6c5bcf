"""Hostile page URLs: whatever the query string, the page renders with a notice naming
each parameter it ignored, and the server never fails.

Two levels (the browser level is `test_dashboard.test_hostile_links_show_a_notice`):

1. pure and fast, many examples: `resolve_view` (the view callback's logic) with the real
   service over the quirky tiny dataset, and the filter bar's `controls_from_search`;
2. through Dash's HTTP callback endpoint, fewer examples: the `render_view` callback
   POSTed to `/_dash-update-component` as the browser sends it, and the page itself.

The query strings mix huge dates, dates before 1900 and after 2999, empty and repeated
values, unicode (also in names), 10 kB values, unknown parameters, `%00`, and broken
percent-encoding, around values the data holds, so valid parameters are in the mix too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashapp.config import load_settings
from dashapp.filters import (
    DATE_MAX,
    DATE_MIN,
    DATE_PARAMS,
    FILTER_PARAMS,
    LIST_PARAMS,
    Filters,
    parse_day,
)
from dashapp.page import urlstate
from dashapp.page.callbacks import resolve_view
from dashapp.regions import region_map
from dashapp.web.app import create_app

#: The tiny dataset's values (tests/datasets.py), in other spellings too.
KNOWN = ["SP", "rj", "Mg", "AM", "AC", "N", "se", "health_beauty", "SPORTS_LEISURE",
         "unknown", "boleto", "credit_card", "voucher", "2020-03-02", "2020-03-15",
         "2020-04-10", "2020-01-01",
         f"{401:032x}", f"{402:032x}".upper()]  # the tiny data's sellers (one misspelt)
HOSTILE = ["", " ", ",", ",,SP,,", "0001-01-01", "9999-12-31", "9426-07-12", "1899-12-31",
           "1900-01-01", "1900-01-02", "2999-12-31", "3000-01-01", "99999-01-01",
           "99999999999999999999", "-1", "1.5", "１２", "٢٠٢٠-٠٣-١١", "2020-02-30",
           "2020-3-5", "%00", "a%00b", "%", "%zz", "%ff", "%E2%82", "\x00", "\u202e",
           "💥", "NULL", "<script>", "' OR 1=1 --", "x" * 10_000, "2" * 10_000]
NAMES = [*FILTER_PARAMS, "format", "top", "grain", "STATE", " start", "stat", "",
         "%00", "%zz", "st%ate", "💥", "x" * 300]

values = st.one_of(st.sampled_from(KNOWN), st.sampled_from(HOSTILE),
                   st.dates().map(date.isoformat), st.text(max_size=30))
names = st.one_of(st.sampled_from(NAMES), st.sampled_from(FILTER_PARAMS), st.text(max_size=12))


@st.composite
def searches(draw: Any) -> str:
    """A query string, each pair either percent-encoded or raw (raw keeps `%zz`, `%00`,
    and lets an `&` or `=` in a value split it), maybe with a leading '?'."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        name, value = draw(names), draw(values)
        if draw(st.booleans()):
            name, value = quote(name, safe=""), quote(value, safe=",")
        parts.append(f"{name}={value}" if draw(st.integers(0, 9)) else name)
    query = "&".join(parts)
    return draw(st.sampled_from(["?", ""])) + query


@pytest.fixture(scope="module")
def app(tiny_engine, tmp_path_factory):
    return create_app(load_settings({"PULSE_HOME": str(tmp_path_factory.mktemp("home"))}),
                      engine=tiny_engine)


@pytest.fixture(scope="module")
def service(app):
    return app.server.extensions["pulse"]


def check_view(view: dict[str, Any], search: str, service: Any) -> None:
    """The view shows valid filters, and every parameter of the link is either applied
    as written or named in a notice: nothing is dropped silently."""
    assert view["error"] is None, view["error"]
    filters = Filters.from_json(view["filters"])
    assert filters.start and filters.end
    assert DATE_MIN <= filters.start <= filters.end <= DATE_MAX
    filters.previous()  # computable: it does not begin before DATE_MIN
    domain = service.domain()
    allowed = {"state": set(domain.states) | {s for v in region_map().values() for s in v},
               "region": set(region_map()), "category": set(domain.categories),
               "payment_type": set(domain.payment_types), "seller": set(domain.sellers)}
    for name in LIST_PARAMS:
        assert set(view["filters"][name]) <= allowed[name]
    named = {n["parameter"] for n in view["notices"]}
    assert all(len(n["message"]) < 1000 for n in view["notices"])  # quoted, not echoed
    for name, given_values in urlstate.parse_search(search).items():
        if not given_values or name in named:
            continue
        if name in urlstate.PAGE_PARAMS:  # language, theme, chart grain: settings of the
            continue                      # page, an unknown value falls back to the default
        if name in LIST_PARAMS:
            assert {v.lower() for v in given_values} == \
                {v.lower() for v in view["filters"][name]}, name
        elif name in DATE_PARAMS:
            assert [view["filters"][name]] == given_values, name
        else:
            raise AssertionError(f"unknown parameter {name!r} dropped without a notice")


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(search=searches())
def test_resolve_view_names_every_bad_parameter(service, search):
    view, payload = resolve_view(service, search)
    check_view(view, search, service)
    assert payload["kpis"]["current"]["orders"] >= 0


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(search=searches())
def test_filter_bar_takes_any_url(service, search):
    meta = service.meta()
    controls = urlstate.controls_from_search(search, meta)
    for day in (controls.start, controls.end):
        assert day is None or parse_day("date", day[:10])
    for name in LIST_PARAMS:
        assert isinstance(getattr(controls, name), list)


@pytest.mark.parametrize("search,parameters", [
    ("?end=9426-07-12", {"end"}),
    ("?start=0001-01-01&end=9999-12-31", {"start", "end"}),
    ("?end=2999-12-31", {"end"}),  # too long a range from the data's start: named as given
    # the month before is in 1899; then the data's start is after end
    ("?start=1900-01-01&end=1900-01-31", {"start", "end"}),
    ("?start=2020-03-05&start=2020-03-06&state=SP", {"start"}),
    ("?state=XX,SP&foo=1&%00=2", {"state", "foo", "\x00"}),
    ("?start=%zz&category=" + "x" * 10_000, {"start", "category"}),
])
def test_known_hostile_links(service, search, parameters):
    view, _ = resolve_view(service, search)
    check_view(view, search, service)
    assert {n["parameter"] for n in view["notices"]} == parameters


# --- through Dash's callback endpoint ----------------------------------------------------------


def render_view_request(app: Any, search: str, version: str) -> dict[str, Any]:
    """The body the browser POSTs for `render_view` when the URL changes, built from the
    app's own callback map (so it follows the layout's outputs)."""
    key, spec = next((k, v) for k, v in app.callback_map.items()
                     if k.startswith("..view.data...view-notice.children..."))
    values = {"url.search": search, "status.data": {"version": version, "error": None,
                                                    "epoch": 1},
              "map-metric.value": "sales", "category-top.value": 10, "view.data": None,
              "theme.data": None, "lang.data": {"locale": "en", "currency": "BRL"}}

    def items(kind: str) -> list[dict[str, Any]]:
        return [{**item, "value": values[f"{item['id']}.{item['property']}"]}
                for item in spec[kind]]

    return {"output": key,
            "outputs": [{"id": o.component_id, "property": o.component_property}
                        for o in spec["output"]],
            "inputs": items("inputs"), "state": items("state"),
            "changedPropIds": ["url.search"]}


def texts(component: Any) -> Iterator[str]:
    """Every string inside a serialized Dash component tree."""
    if isinstance(component, str):
        yield component
    elif isinstance(component, list):
        for child in component:
            yield from texts(child)
    elif isinstance(component, dict):
        yield from texts(component.get("props", {}).get("children"))


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(search=searches())
def test_render_view_callback_over_http(app, service, search):
    client = app.server.test_client()
    page = client.get("/" + (search if search.startswith("?") else "?" + search))
    assert page.status_code == 200 and page.mimetype == "text/html"
    r = client.post("/_dash-update-component",
                    json=render_view_request(app, search, service.version()))
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    answer = json.loads(r.get_data(as_text=True))["response"]
    view = answer["view"]["data"]
    check_view(view, search, service)
    shown = list(texts(answer["view-notice"]["children"]))
    for notice in view["notices"]:
        assert notice["parameter"] in shown
    assert answer["view-notice"]["hidden"] == (not view["notices"])



@pytest.mark.parametrize("search", ["?state=\ud800", "?\udfff=1&start=2020-03-02",
                                    "?category=\ud83d"])
def test_lone_surrogates_in_a_callback(app, service, search):
    """A browser's URL is percent-encoded ASCII, but a script POSTing to the callback can
    send any JSON string, lone surrogates included: still a 200 and a notice."""
    r = app.server.test_client().post(
        "/_dash-update-component", json=render_view_request(app, search, service.version()))
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    view = json.loads(r.get_data(as_text=True))["response"]["view"]["data"]
    assert view["error"] is None and view["notices"]
