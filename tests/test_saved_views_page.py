"""The page side of saved views, without a browser: a relative date shortcut is saved as
`range=`, opened against the data of the day, and the page shows the range the shortcut
means; the menu lists a user's views as links. Real PostgreSQL (the tiny dataset)."""

from __future__ import annotations

from datetime import date

from dashapp.cache import ResultCache
from dashapp.config import load_settings
from dashapp.page import urlstate
from dashapp.page.callbacks import resolve_view
from dashapp.page.i18n import lang_for
from dashapp.page.savedviews import menu_items
from dashapp.service import PulseService

FIRST, LAST = date(2019, 1, 5), date(2021, 8, 20)


def test_relative_shortcuts_are_saved_as_presets():
    # "last 30 days" of data ending 2021-08-20
    assert urlstate.relative_query("?state=SP&start=2021-07-22&end=2021-08-20&lang=fr",
                                   FIRST, LAST) == "state=SP&lang=fr&range=30d"
    assert urlstate.relative_query("?start=2021-05-23", FIRST, LAST) == "range=90d"
    assert urlstate.relative_query("?start=2021-01-01&end=2021-08-20", FIRST, LAST) \
        == "range=ytd"
    # a range that is no relative shortcut stays as written; so does the default (no dates)
    assert urlstate.relative_query("?start=2021-03-01&end=2021-03-31&category=toys",
                                   FIRST, LAST) == "start=2021-03-01&end=2021-03-31&category=toys"
    assert urlstate.relative_query("?state=RJ", FIRST, LAST) == "state=RJ"
    assert urlstate.relative_query("", FIRST, LAST) == ""


def test_presets_resolve_against_the_data_of_the_day():
    later = date(2021, 9, 30)  # a load added September: "last 30 days" moves with it
    assert urlstate.resolve_preset({"range": ["30d"], "state": ["SP"]}, FIRST, later) == \
        {"state": ["SP"], "start": ["2021-09-01"], "end": ["2021-09-30"]}
    assert urlstate.resolve_preset({"range": ["ytd"]}, FIRST, later) == \
        {"start": ["2021-01-01"], "end": ["2021-09-30"]}
    # explicit dates win; the default and unknown presets leave the default range
    assert urlstate.resolve_preset({"range": ["30d"], "start": ["2020-01-01"]}, FIRST, later) \
        == {"start": ["2020-01-01"]}
    assert urlstate.resolve_preset({"range": ["12m"]}, FIRST, later) == {}
    assert urlstate.resolve_preset({"range": ["45d"]}, FIRST, later) == {}
    assert urlstate.resolve_preset({"range": ["0000"]}, FIRST, later) == {}
    assert urlstate.resolve_preset({"range": ["2020"]}, FIRST, later) == \
        {"start": ["2020-01-01"], "end": ["2020-12-31"]}
    # the filter bar shows the preset's dates; a quick pick replaces the preset
    controls = urlstate.controls_from_search("?range=30d", {"start": "2019-01-05",
                                                            "end": "2021-09-30"})
    assert (controls.start, controls.end) == ("2021-09-01", "2021-09-30")
    assert "range" not in urlstate.with_dates({"range": ["30d"]}, date(2020, 1, 1),
                                              date(2020, 12, 31), FIRST, later)


def test_the_page_opens_a_preset_view_with_its_dates(tiny_engine, tmp_path):
    service = PulseService(tiny_engine, ResultCache(load_settings(
        {"PULSE_HOME": str(tmp_path)})))
    domain = service.domain()
    view, payload = resolve_view(service, "?range=all&lang=fr")
    assert (view["filters"]["start"], view["filters"]["end"]) == \
        (domain.min_day.isoformat(), domain.max_day.isoformat())
    assert view["notices"] == []
    explicit, explicit_payload = resolve_view(
        service, f"?start={domain.min_day}&end={domain.max_day}")
    assert payload["kpis"]["current"] == explicit_payload["kpis"]["current"]
    assert payload["kpis"]["current"]["orders"] > 0


def test_menu_lists_views_as_links():
    lang = lang_for("pt_BR", "BRL")
    items = menu_items([{"id": 3, "name": "SP", "query": "state=SP&range=30d"},
                        {"id": 4, "name": "Tudo", "query": ""}], lang)
    assert [(i.children, i.href) for i in items] == [("SP", "/?state=SP&range=30d"),
                                                     ("Tudo", "/")]
    empty = menu_items([], lang)
    assert empty[0].children == "Nenhuma visão salva ainda" and empty[0].disabled


def dash_call(client, output_part: str, values: dict[str, object]):
    """POST one of the page's callbacks as the browser does; `values` by `id.property`."""
    cb = next(c for c in client.get("/_dash-dependencies").get_json()
              if output_part in c["output"])
    out = cb["output"]
    parts = out[2:-2].split("...") if out.startswith("..") else [out]
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]

    def fill(items):
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    payload = {"output": out, "outputs": outputs if out.startswith("..") else outputs[0],
               "inputs": fill(cb["inputs"]), "state": fill(cb.get("state", [])),
               "changedPropIds": [f"{i['id']}.{i['property']}" for i in cb["inputs"]][:1]}
    return client.post("/_dash-update-component", json=payload)


def test_saving_from_the_page_stores_a_relative_view(tiny_engine, tmp_path):
    from dashapp.web.app import create_app

    app = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=tiny_engine)
    client = app.server.test_client()
    assert "views-menu" in client.get("/_dash-layout").get_data(as_text=True)
    meta = {"start": "2019-01-05", "end": "2021-08-20"}
    lang = {"locale": "fr", "currency": "BRL"}
    r = dash_call(client, "views-version.data", {
        "view-save.n_clicks": 1, "view-name.value": "SP 30 jours",
        "url.search": "?state=SP&start=2021-07-22&end=2021-08-20&lang=fr",
        "meta.data": meta, "views-version.data": 0, "lang.data": lang})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()["response"]
    assert body["views-version"]["data"] == 1
    assert "http://localhost/?state=SP&lang=fr&range=30d" in str(body)
    assert "Partagez ce lien" in str(body)
    listed = app.server.extensions["pulse_userdata"].views(None)
    assert [(v["name"], v["query"]) for v in listed][-1] == ("SP 30 jours",
                                                             "state=SP&lang=fr&range=30d")
    menu = dash_call(client, "views-list.children", {"views-version.data": 1,
                                                     "lang.data": lang})
    items = menu.get_json()["response"]["views-list"]["children"]
    assert [(i["props"]["children"], i["props"]["href"]) for i in items][-1] == \
        ("SP 30 jours", "/?state=SP&lang=fr&range=30d")
    # no name: the dialog says so, in the page's language, and nothing is stored
    r = dash_call(client, "views-version.data", {
        "view-save.n_clicks": 2, "view-name.value": "  ", "url.search": "",
        "meta.data": meta, "views-version.data": 1, "lang.data": lang})
    alert = r.get_json()["response"]["view-save-result"]["children"]["props"]
    assert alert["children"] == "Donnez un nom à la vue (100 caractères au plus)."
    assert len(app.server.extensions["pulse_userdata"].views(None)) == len(listed)
