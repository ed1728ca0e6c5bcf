"""`/_dash-layout` comes from a per-language cache of its JSON (page/layout.py
`register_layout`): the same bytes Dash itself would send, in the request's language."""

from __future__ import annotations

import json

import pytest
from plotly.io.json import to_json_plotly

from dashapp.config import load_settings
from dashapp.page.layout import page_for, request_lang
from dashapp.web.app import create_app


@pytest.fixture(scope="module")
def app(tiny_engine, tmp_path_factory):
    return create_app(load_settings({"PULSE_HOME": str(tmp_path_factory.mktemp("home")),
                                     "PULSE_AUTH": "off"}), engine=tiny_engine)


@pytest.mark.parametrize("headers, query, code", [
    ({"Accept-Language": "en"}, "", "en"),
    ({"Accept-Language": "pt-BR,pt;q=0.9"}, "", "pt-BR"),
    ({"Accept-Language": "en", "Referer": "http://x/?state=SP&lang=fr"}, "", "fr"),
    ({}, "?lang=pt-BR", "pt-BR"),
])
def test_layout_is_dashs_own_json_in_the_requests_language(app, headers, query, code):
    client = app.server.test_client()
    first = client.get("/_dash-layout" + query, headers=headers)
    again = client.get("/_dash-layout" + query, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.mimetype == "application/json"
    assert first.data == again.data
    settings = app.server.config["PULSE_SETTINGS"]
    with app.server.test_request_context("/_dash-layout" + query, headers=headers):
        lang = request_lang(settings)
        expected = to_json_plotly(page_for(lang, settings)).encode()
    assert first.data == expected  # what Dash's serve_layout writes for the same tree
    assert json.loads(first.data)["props"]["lang"] == code


def test_languages_do_not_share_an_answer(app):
    client = app.server.test_client()
    en = client.get("/_dash-layout", headers={"Accept-Language": "en"}).data
    fr = client.get("/_dash-layout", headers={"Accept-Language": "fr"}).data
    assert en != fr
    assert client.get("/_dash-layout", headers={"Accept-Language": "en"}).data == en
