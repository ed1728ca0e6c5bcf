"""The insight models' words on the page in the reader's language: the models give a code
and values (`insight.notes`) beside their English text, which the API keeps; the page
writes them per language (`page/panels/insight_texts.py`). Also the country's unit
("State" is "Region" in Morocco) and the date pickers' first weekday. No database."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from langs import EN, FR, PT

from dashapp.filters import Filters
from dashapp.insight import calendar, forecast, notes, reports
from dashapp.insight.impact import ImpactError, estimate_impact
from dashapp.page.panels import insight_texts
from dashapp.page.panels.forecast import backtest_texts, refusal_text
from dashapp.page.panels.impact import summary_text


def test_every_code_and_model_and_event_has_its_words() -> None:
    assert set(insight_texts.WRITERS) == set(notes.CODES)
    assert insight_texts.MODEL_LABELS == forecast.LABELS  # the API's English, translated
    assert set(insight_texts.EVENT_NAMES) == set(calendar.EVENTS)


def months(n: int, empty: tuple[int, ...] = ()) -> pd.Series:
    values = [0.0 if i in empty else 100.0 + i for i in range(n)]
    return pd.Series(values, index=pd.date_range("2018-01-01", periods=n, freq="MS"))


def test_a_forecast_refusal_in_english_portuguese_and_french() -> None:
    bundle = forecast.bundle_to_dict(forecast.prepare(months(24)))
    body = reports.forecast_view({"sales": bundle, "orders": bundle, "history": [],
                                  "filters": {}}, 3)
    assert body["reason"].startswith("only 24 whole months of history")  # the API: English
    assert body["reason_code"] == "short_history"
    assert body["reason_values"] == {"months": 24, "needed": 30, "train": 24, "held_out": 6}
    assert refusal_text(body, EN) == f"No forecast for these filters: {body['reason']}."
    assert refusal_text(body, PT) == (
        "Sem previsão para estes filtros: apenas 24 meses completos de histórico para estes "
        "filtros; uma previsão precisa de pelo menos 30 (24 para o ajuste, pois uma "
        "sazonalidade anual precisa ser vista duas vezes, e 6 para o backtest).")
    assert refusal_text(body, FR).startswith(
        "Pas de prévision pour ces filtres\u00a0: seulement 24 mois entiers d’historique pour "
        "ces filtres ; une prévision en demande au moins 30 (24 pour l’ajustement")


def test_months_without_sales_are_named_the_readers_way() -> None:
    why = forecast.refusal(months(36, empty=(8,)))
    assert why is not None and why.code == "empty_months"
    assert why.text.startswith("1 month(s) without any sales for these filters (2018-09)")
    text = insight_texts.note_text(why.code, why.values, PT, why.text)
    assert text == ("1 mês sem nenhuma venda para estes filtros (set. de 2018): a série é "
                    "esparsa demais para uma previsão")


def test_the_model_names_follow_the_language() -> None:
    body = {"model": "ets", "model_label": forecast.LABELS["ets"], "horizon": 3,
            "backtest": {"models": [], "months": None}}
    assert backtest_texts(body, "sales", EN)["model"] == forecast.LABELS["ets"]
    assert backtest_texts(body, "sales", FR)["model"] == (
        "Lissage exponentiel ETS(A,N,A) sur les logarithmes")
    assert backtest_texts(body, "sales", PT)["model"] == (
        "Suavização exponencial ETS(A,N,A) sobre os logaritmos")
    # a model this page does not know (a newer API): the API's own label
    assert insight_texts.model_label("prophet", PT, "Prophet") == "Prophet"


def test_an_impact_error_and_a_thin_series_in_french_and_portuguese() -> None:
    days = pd.date_range("2020-01-01", periods=200, freq="D")
    with pytest.raises(ImpactError) as caught:
        estimate_impact(pd.Series(5.0, index=days), date(2020, 6, 1))
    assert str(caught.value).startswith("only 152 days of data before 2020-06-01")
    assert insight_texts.error_text(caught.value, FR) == (
        "seulement 152 jours de données avant le 1 juin 2020 (il en faut au moins 365 pour "
        "ajuster la période de référence)")
    sparse = np.zeros(600)
    sparse[::40] = 1.0  # 15 days with a sale
    imp = estimate_impact(pd.Series(sparse, index=pd.date_range("2019-01-01", periods=600)),
                          date(2020, 3, 1))
    assert imp.lift is None and imp.coded[0].code == "few_active_days"
    body = {"metric": "orders", "event": "2020-03-01", "window": {"end": "2020-08-22"},
            "lift": None, "notes": list(imp.notes),
            "note_codes": [n.to_json() for n in imp.coded]}
    assert summary_text(body, PT) == (
        "Pedidos de 1 de mar. de 2020 a 22 de ago. de 2020: sem estimativa para estes "
        "filtros (apenas 11 dias com vendas no período de referência (são necessários pelo "
        "menos 30 para ajustá-lo): dados insuficientes para um efeito).")


def test_the_earliest_event_is_said_with_the_readers_dates() -> None:
    filters = Filters(start=date(2019, 1, 1), end=date(2020, 12, 31))
    problem = reports.window_check(filters, reports.ImpactParams(event=date(2019, 6, 1)))
    assert problem is not None and problem.parameter == "event"
    assert problem.message.endswith("earliest possible event is 2020-01-01")  # the API
    assert insight_texts.error_text(problem, EN).endswith(
        "earliest possible event is Jan 1, 2020")
    assert insight_texts.error_text(problem, FR) == (
        "l’événement du 1 juin 2019 n’a que 151 jours de données avant lui (depuis le "
        "1 janv. 2019) ; la période de référence en demande au moins 365, l’événement le "
        "plus précoce possible est donc le 1 janv. 2020")


def test_retail_events_are_named_not_coded() -> None:
    note = notes.note("unseen_events", "…: black_friday, christmas",
                      events=["black_friday", "christmas"])
    assert insight_texts.note_text(note.code, note.values, FR).endswith(
        " : Black Friday, Noël")
    assert insight_texts.note_text(note.code, note.values, PT).endswith(": Black Friday, Natal")


def test_an_unknown_code_or_bad_values_show_the_english_text() -> None:
    assert insight_texts.note_text("new_code", {}, FR, "english words") == "english words"
    assert insight_texts.note_text("short_window", {"days": 3}, FR, "english") == "english"


@pytest.mark.parametrize(("country", "lang", "texts"), [
    ("BR", FR, {"State": "État", "States": "États", "Region": "Région"}),
    ("MA", FR, {"State": "Région", "States": "Régions", "All states": "Toutes les régions",
                "Region": "Zone", "All regions": "Toutes les zones",
                "Sales by state": "Ventes par région"}),
    ("MA", PT, {"State": "Região", "Region": "Área"}),
    ("MA", EN, {"State": "Region", "States": "Regions", "Region": "Area"}),
])
def test_the_map_unit_follows_the_country(monkeypatch: pytest.MonkeyPatch, country: str,
                                          lang, texts: dict[str, str]) -> None:
    monkeypatch.setenv("PULSE_COUNTRY", country)
    assert {k: lang.place(k) for k in texts} == texts
    assert lang.place("Category") == lang.gettext("Category")  # other texts: as ever


def test_the_date_pickers_week_starts_as_cldr_says() -> None:
    assert (PT.week_start, FR.week_start) == (0, 1)  # Sunday in Brazil, Monday in France
