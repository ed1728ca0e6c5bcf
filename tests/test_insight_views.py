"""The "Forecast" and "Shortages" views: pure formatters, then the page in a real browser.

Browser tests (run with `pytest --headless`), each against /api/v1/forecast,
/api/v1/shortages and /api/v1/kpis as the references, reading what the page drew from the
plotly figures in the DOM:

(a) the forecast view names the API's model and shows its MAPE/MASE; choosing another
    horizon draws exactly that many forecast points, equal to the API's, with its bands,
    and the orders switch shows the orders series' own model and points;
(b) with a date filter that leaves 24 whole months (a forecast needs 30), the API's
    reason replaces the chart;
(c) the shortages view marks exactly the API's spike periods; a click on a state's row
    filters the page (URL, every KPI card = /api/v1/kpis for that state) and the chart
    then marks exactly the spikes the API lists for that state; a second click clears
    it; the weekly grain draws the API's weekly series.

Data: conftest's demo dataset (4,000 orders over 2019-2021, the pandemic included),
loaded once for the module (`demo_engine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api_json, click, query_of, row_element, show_panel, wait_until
from langs import EN
from sqlalchemy import Engine
from test_dashboard import (
    assert_clean_console,
    dash_duo,  # noqa: F401 - a fixture
    expected_kpis,
    make_app,
    open_page,
    wait_for_kpis,
)

from dashapp.insight.runner import Busy, Pending
from dashapp.page.panels import forecast as ui_forecast
from dashapp.page.panels import shortages as ui_shortages
from dashapp.page.panels.frame import ask
from dashapp.service import DatabaseUnavailable

# --- pure formatting --------------------------------------------------------------------

FORECAST = {
    "horizon": 3, "level": 0.95, "available": True, "reason": None,
    "model": "ets", "model_label": "Exponential smoothing ETS(A,N,A) on log values",
    "backtest": {"mape": 0.08479, "mase": 0.4244, "months": 12, "models": [
        {"model": "seasonal_naive", "label": "Seasonal naive (same month last year)",
         "mape": 0.12032, "mase": 0.5645, "errors": 33},
        {"model": "ets", "label": "Exponential smoothing ETS(A,N,A) on log values",
         "mape": 0.08479, "mase": 0.4244, "errors": 33}]},
    "points": [
        {"period": f"2022-0{k}", "sales": 1000.0 * k, "lower": 800.0 * k,
         "upper": 1200.0 * k, "lower_80": 900.0 * k, "upper_80": 1100.0 * k,
         "orders": 10.5 * k, "orders_lower": 8.0 * k, "orders_upper": 13.0 * k,
         "orders_lower_80": 9.0 * k, "orders_upper_80": 12.0 * k} for k in (1, 2, 3)],
    "orders": {"model": "trend_season",
               "model_label": "Log-linear trend + month-of-year regression",
               "backtest": {"mape": 0.05935, "mase": 0.308, "months": 7, "models": [
                   {"model": "trend_season", "label": "Log-linear trend + month-of-year "
                    "regression", "mape": 0.05935, "mase": 0.308, "errors": 18}]}},
    "history": [{"period": "2021-11", "sales": 900.0, "orders": 9},
                {"period": "2021-12", "sales": 950.5, "orders": 10}],
    "filters": {},
}


def test_backtest_texts_name_the_model_and_its_error() -> None:
    sales = ui_forecast.backtest_texts(FORECAST, "sales", EN)
    assert sales == {
        "model": "Exponential smoothing ETS(A,N,A) on log values",
        "mape": "8.5%", "mase": "0.42",
        "scope": "Backtest: rolling origin over the last 12 months (12 origins, 33 "
                 "forecasts 1\u20133 months ahead scored)"}
    orders = ui_forecast.backtest_texts({**FORECAST, "horizon": 1}, "orders", EN)
    assert orders["model"] == "Log-linear trend + month-of-year regression"
    assert (orders["mape"], orders["mase"]) == ("5.9%", "0.31")
    assert orders["scope"].endswith("last 7 months (7 origins, 18 forecasts 1 month ahead "
                                    "scored)")
    refused = {"horizon": 3, "available": False, "model": None, "model_label": None,
               "backtest": None, "reason": "only 24 whole months of history", "points": [],
               "orders": {"model": None, "model_label": None, "backtest": None}}
    assert set(ui_forecast.backtest_texts(refused, "sales", EN).values()) == {"\u2014"}
    assert ui_forecast.refusal_text(refused, EN) == ("No forecast for these filters: only 24 "
                                                 "whole months of history.")
    assert ui_forecast.forecast_note(FORECAST, "orders", EN) == (
        "Orders forecast for Jan 2022 to Mar 2022, with 80% and 95% prediction intervals.")
    assert ui_forecast.metric_value("orders", 123.45, EN) == "123.5"
    assert ui_forecast.metric_value("orders", 12.0, EN) == "12"
    assert ui_forecast.metric_value("sales", 1234.5, EN) == "R$1,234.50"


def test_forecast_figure_draws_the_points_and_bands() -> None:
    fig = ui_forecast.forecast_figure(FORECAST, "orders", EN).to_plotly_json()
    by_name = {t.get("name"): t for t in fig["data"] if t.get("name")}
    assert list(by_name["Forecast"]["y"]) == [10.5, 21.0, 31.5]
    assert list(by_name["Forecast"]["x"]) == ["2022-01", "2022-02", "2022-03"]
    assert list(by_name["Actual"]["y"]) == [9, 10]
    assert list(by_name["95% prediction interval"]["y"]) == [8.0, 16.0, 24.0]  # lower
    assert list(by_name["80% prediction interval"]["y"]) == [9.0, 18.0, 27.0]
    uppers = [t for t in fig["data"] if t.get("fill") is None and not t.get("name")]
    assert [list(t["y"]) for t in uppers] == [[13.0, 26.0, 39.0], [12.0, 24.0, 36.0]]


SHORTAGES = {
    "grain": "month",
    "method": {"window": 12, "min_history": 6, "threshold": 3.5, "min_events": 3},
    "series": [
        {"period": "2020-03", "unavailable_rate": 0.01, "unavailable_rate_baseline": 0.01,
         "unavailable_rate_z": 0.0, "unavailable_rate_spike": False, "late_rate": 0.2,
         "late_rate_baseline": 0.07, "late_rate_z": 4.1, "late_rate_spike": True,
         "avg_delivery_days": 18.53, "avg_delivery_days_baseline": 12.81,
         "avg_delivery_days_z": 5.74, "avg_delivery_days_spike": True},
        {"period": "2020-04", "unavailable_rate": 0.0176,
         "unavailable_rate_baseline": 0.00622, "unavailable_rate_z": 3.88,
         "unavailable_rate_spike": True, "late_rate": 0.1, "late_rate_baseline": 0.07,
         "late_rate_z": 1.0, "late_rate_spike": False, "avg_delivery_days": 13.0,
         "avg_delivery_days_baseline": 12.9, "avg_delivery_days_z": 0.2,
         "avg_delivery_days_spike": False}],
    "spikes": [
        {"period": "2020-03", "metric": "avg_delivery_days", "value": 18.53,
         "baseline": 12.81, "z": 5.74},
        {"period": "2020-03", "metric": "late_rate", "value": 0.2, "baseline": 0.07,
         "z": 4.1},
        {"period": "2020-04", "metric": "unavailable_rate", "value": 0.0176,
         "baseline": 0.00622, "z": 3.88}],
    "by_category": [{"key": "toys", "spikes": [], "spike_count": 0, "points": [{}]}],
    "by_state": [],
    "filters": {"state": [], "category": ["toys"]},
}


def test_spike_texts_and_rule() -> None:
    assert ui_shortages.period_label("2020-04", "month", EN) == "Apr 2020"
    assert ui_shortages.period_label("2020-04-27", "week", EN) == "week of Apr 27, 2020"
    assert ui_shortages.metric_value("late_rate", 0.14593, EN) == "14.6%"
    assert ui_shortages.metric_value("avg_delivery_days", 18.58, EN) == "18.6 days"
    assert ui_shortages.spike_text(SHORTAGES["spikes"][0], "month", EN) == (
        "Mar 2020 delivery time: 18.5 days vs usual 12.8 days (z 5.7)")
    assert ui_shortages.spike_summary(SHORTAGES, EN) == (
        "3 spikes for these filters (per month), strongest first: Mar 2020 delivery time: "
        "18.5 days vs usual 12.8 days (z 5.7); Mar 2020 late deliveries: 20.0% vs usual "
        "7.0% (z 4.1); Apr 2020 unavailable: 1.8% vs usual 0.6% (z 3.9).")
    assert ui_shortages.spike_summary({"grain": "week", "spikes": []}, EN) == (
        "No spikes for these filters (per week).")
    rule = ui_shortages.spike_rule(SHORTAGES["method"], "week", EN)
    assert "at least 3.5 robust z-scores above the median of the trailing 12 weeks" in rule
    assert "once 6 weeks of history" in rule and "at least 3 affected orders" in rule
    assert ui_shortages.trimmed(SHORTAGES)["by_category"] == [
        {"key": "toys", "spikes": [], "spike_count": 0}]
    assert SHORTAGES["by_category"][0]["points"] == [{}]  # the answer itself is untouched


def test_shortages_figure_marks_exactly_the_spikes() -> None:
    fig = ui_shortages.shortages_figure(SHORTAGES, EN).to_plotly_json()
    marked = {(c[0], c[1]) for t in fig["data"] if t["name"].startswith("Spike")
              for c in t["customdata"]}
    assert marked == {(s["period"], s["metric"]) for s in SHORTAGES["spikes"]}
    assert sum(1 for t in fig["data"] if t.get("showlegend") and
               t["name"].startswith("Spike")) == 1  # one legend entry for all three


def test_ask_turns_every_outcome_into_a_state() -> None:
    def raising(exc: Exception) -> Any:
        def question() -> dict:
            raise exc
        return question

    assert ask(lambda: {"a": 1}, "forecast", EN) == ({"status": "ok", "body": {"a": 1}}, True)
    computing, done = ask(raising(Pending()), "forecast", EN)
    assert computing == {"status": "computing",
                         "message": "Computing the forecast for these filters\u2026"}
    assert done is False  # the retry timer runs
    assert ask(raising(Busy("16 running")), "shortages", EN)[1] is False
    down, done = ask(raising(DatabaseUnavailable("gone")), "shortages", EN)
    assert down["status"] == "error" and "unreachable" in down["message"] and done
    broken, done = ask(raising(ZeroDivisionError()), "forecast", EN)
    assert broken == {"status": "error",
                      "message": "The forecast could not be computed for this view."}
    assert done is True


# --- in the browser -------------------------------------------------------------------------


def text_of(driver: Any, element_id: str) -> str:
    return driver.execute_script(
        "return (document.getElementById(arguments[0]) || {}).textContent || '';",
        element_id)


def traces(driver: Any, graph_id: str) -> list[dict]:
    """The traces plotly drew in a graph (name, x, y, customdata), read from the DOM."""
    return driver.execute_script(
        "const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return gd && gd.data ? gd.data.map(t => ({name: t.name || null,"
        " x: Array.from(t.x || []), y: Array.from(t.y || []),"
        " customdata: Array.from(t.customdata || [])})) : [];", graph_id)


def trace(driver: Any, graph_id: str, name: str) -> dict | None:
    return next((t for t in traces(driver, graph_id) if t["name"] == name), None)


def choose(driver: Any, group_id: str, label: str) -> None:
    """A real click on one button of a view's choice group (a radio's label)."""
    def find() -> Any:
        return next((el for el in driver.find_elements("css selector", f"#{group_id} label")
                     if el.text.strip() == label), None)
    click(driver, wait_until(find, message=f"no {label!r} in #{group_id}"))


def drawn_forecast(driver: Any) -> tuple[list, list] | None:
    found = trace(driver, "forecast-chart", "Forecast")
    return (found["x"], found["y"]) if found else None


def wait_forecast(driver: Any, body: dict, metric: str, timeout: float = 90) -> None:
    """Until the view shows `body` (an API answer) for `metric`: points, model, errors."""
    fields = ui_forecast.POINT_FIELDS[metric]
    expected = ([p["period"] for p in body["points"]], [p[fields[0]] for p in body["points"]])
    texts = ui_forecast.backtest_texts(body, metric, EN)

    def shown() -> bool:
        return (drawn_forecast(driver) == expected
                and text_of(driver, "forecast-model") == texts["model"]
                and text_of(driver, "forecast-mape") == texts["mape"]
                and text_of(driver, "forecast-mase") == texts["mase"])

    wait_until(shown, timeout=timeout, interval=0.25, message=lambda: (
        f"view draws {drawn_forecast(driver)} with model "
        f"{text_of(driver, 'forecast-model')!r}, MAPE {text_of(driver, 'forecast-mape')!r}, "
        f"MASE {text_of(driver, 'forecast-mase')!r}; API: {expected}, {texts}"))


@pytest.mark.slow
def test_forecast_view_equals_the_api(dash_duo: Any, demo_engine: Engine,  # noqa: F811
                                      tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    # no waiting for the models: the view's first answer is "computing", and it must get
    # the real one by asking again (from the cache the API's pool fills)
    app.server.config["PULSE_INSIGHT_WAIT"] = 0
    driver = open_page(dash_duo, app)
    show_panel(driver, "forecast")
    three = api_json(app, "/api/v1/forecast", "horizon=3")
    assert three["available"] and len(three["points"]) == 3
    wait_forecast(driver, three, "sales")
    # the model and its error, independently of the page's formatter
    assert text_of(driver, "forecast-model") == three["model_label"]
    assert text_of(driver, "forecast-mape") == f"{three['backtest']['mape'] * 100:.1f}%"
    assert text_of(driver, "forecast-mase") == f"{three['backtest']['mase']:.2f}"
    chosen = next(m for m in three["backtest"]["models"] if m["model"] == three["model"])
    assert (f"last {three['backtest']['months']} months" in text_of(driver, "forecast-scope")
            and f"{chosen['errors']} forecasts" in text_of(driver, "forecast-scope"))
    actual = trace(driver, "forecast-chart", "Actual")
    assert actual is not None
    assert actual["x"] == [h["period"] for h in three["history"]]
    assert actual["y"] == [h["sales"] for h in three["history"]]
    band = trace(driver, "forecast-chart", "95% prediction interval")
    assert band is not None and band["y"] == [p["lower"] for p in three["points"]]

    choose(driver, "forecast-horizon", "5")
    five = api_json(app, "/api/v1/forecast", "horizon=5")
    wait_forecast(driver, five, "sales")
    assert len(drawn_forecast(driver)[1]) == 5
    band = trace(driver, "forecast-chart", "80% prediction interval")
    assert band is not None and band["y"] == [p["lower_80"] for p in five["points"]]
    assert "50 forecasts 1\u20135 months ahead" in text_of(driver, "forecast-scope")

    choose(driver, "forecast-metric", "Orders")
    wait_forecast(driver, five, "orders")
    assert text_of(driver, "forecast-model") == five["orders"]["model_label"]
    assert text_of(driver, "forecast-mase") == f"{five['orders']['backtest']['mase']:.2f}"

    choose(driver, "forecast-horizon", "1")
    wait_forecast(driver, api_json(app, "/api/v1/forecast", "horizon=1"), "orders")
    assert len(drawn_forecast(driver)[1]) == 1
    assert_clean_console(dash_duo)


@pytest.mark.slow
def test_forecast_view_says_why_there_is_none(dash_duo: Any, demo_engine: Engine,  # noqa: F811
                                              tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app, "/?start=2020-01-01")
    show_panel(driver, "forecast")
    body = api_json(app, "/api/v1/forecast", "start=2020-01-01")
    assert body["available"] is False and body["points"] == []
    assert body["reason"].startswith("only 24 whole months of history")
    expected = f"No forecast for these filters: {body['reason']}."
    wait_until(lambda: text_of(driver, "forecast-note") == expected, timeout=60,
               message=lambda: f"the view says {text_of(driver, 'forecast-note')!r}")
    assert "a forecast needs at least 30" in text_of(driver, "forecast-note")
    hidden = driver.execute_script(
        "return getComputedStyle(document.getElementById('forecast-details')).display;")
    assert hidden == "none"  # the reason, not a chart nor a model
    assert text_of(driver, "forecast-model") == "\u2014"
    assert text_of(driver, "forecast-mape") == "\u2014"
    assert_clean_console(dash_duo)


def marked_spikes(driver: Any) -> set[tuple[str, str]] | None:
    """(period, metric) of every spike marker in the shortages chart; None before it is
    drawn."""
    drawn = traces(driver, "shortages-chart")
    if not any(t["name"] == "Value" for t in drawn):
        return None
    return {(c[0], c[1]) for t in drawn if (t["name"] or "").startswith("Spike")
            for c in t["customdata"]}


def wait_spikes(driver: Any, body: dict, timeout: float = 90) -> None:
    """Until the chart draws `body`'s series and marks exactly its spikes."""
    expected = {(s["period"], s["metric"]) for s in body["spikes"]}
    periods = [p["period"] for p in body["series"]]

    def shown() -> bool:
        value = trace(driver, "shortages-chart", "Value")
        return bool(value and value["x"] == periods and marked_spikes(driver) == expected
                    and text_of(driver, "shortages-summary")
                    == ui_shortages.spike_summary(body, EN))

    wait_until(shown, timeout=timeout, interval=0.25, message=lambda: (
        f"chart marks {marked_spikes(driver)}, API's spikes {expected}; summary "
        f"{text_of(driver, 'shortages-summary')!r}"))


@pytest.mark.slow
def test_shortages_view_spikes_and_group_click(dash_duo: Any,  # noqa: F811
                                               demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app)
    totals = expected_kpis(app)
    wait_for_kpis(driver, totals)
    show_panel(driver, "shortages")
    body = api_json(app, "/api/v1/shortages", "grain=month")
    wait_spikes(driver, body)
    assert text_of(driver, "shortages-rule") == ui_shortages.spike_rule(body["method"],
                                                                         "month", EN)
    assert "3.5 robust z-scores" in text_of(driver, "shortages-rule")

    # a state with spikes of its own (the demo data: SP's delivery times in 2020)
    group = next(g for g in body["by_state"] if g["spike_count"])
    key = group["key"]
    own = {(s["period"], s["metric"]) for s in group["spikes"]}
    assert own and own != {(s["period"], s["metric"]) for s in body["spikes"]}
    rows = "#shortages-tables tr.shortage-row"
    row = wait_until(lambda: row_element(driver, "state", key, rows), timeout=15)
    cells = row.find_elements("css selector", "td")
    assert cells[5].text == str(len(group["spikes"]))
    assert cells[6].text == "; ".join(ui_shortages.spike_text(s, "month", EN)
                                      for s in group["spikes"])

    click(driver, row)
    wait_until(lambda: query_of(driver.current_url) == {"state": [key]},
               message=lambda: driver.current_url)
    wait_for_kpis(driver, expected_kpis(app, f"state={key}"))
    filtered = api_json(app, "/api/v1/shortages", f"grain=month&state={key}")
    assert {(s["period"], s["metric"]) for s in filtered["spikes"]} == own
    wait_spikes(driver, filtered)
    assert marked_spikes(driver) == own  # the group's row and its chart agree
    assert "table-active" in wait_until(
        lambda: row_element(driver, "state", key, rows), timeout=15).get_attribute("class")

    click(driver, wait_until(lambda: row_element(driver, "state", key, rows), timeout=15))
    wait_until(lambda: query_of(driver.current_url) == {},
               message=lambda: driver.current_url)
    wait_for_kpis(driver, totals)
    wait_spikes(driver, body)

    # per week: the API's weekly series and spikes, and a category's weekly spikes listed
    choose(driver, "shortages-grain", "Week")
    weekly = api_json(app, "/api/v1/shortages", "grain=week")
    wait_spikes(driver, weekly)
    category = next(g for g in weekly["by_category"] if g["spike_count"])
    cells = wait_until(lambda: row_element(driver, "category", category["key"], rows),
                       timeout=15).find_elements("css selector", "td")
    assert cells[6].text == "; ".join(ui_shortages.spike_text(s, "week", EN)
                                      for s in category["spikes"])
    assert cells[6].text.startswith("week of ")
    assert_clean_console(dash_duo)
