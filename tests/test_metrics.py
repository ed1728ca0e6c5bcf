"""Every METRICS.md definition, computed by hand on the tiny dataset (tests/datasets.py).

The tiny dataset, worked out on paper:

  o1  SP  u301  delivered  2020-03-02  health_beauty 58.90+13.29, sports_leisure 100.10+20.00
          pays credit_card 150.00 (3x) + voucher 42.29; reviews 5 and 3; on time, 7d5h
  o2  RJ  u302  delivered  2020-03-15  unknown (no category) 19.99+8.72; boleto 28.71;
          review 2; late (delivered 04-02, estimated 03-31), 17d12h0m1s
  o3  SP  u301  canceled   2020-04-01  pc_gamer (untranslated) 1200.00+45.50; credit 1245.50
  o4  MG  u303  unavailable 2020-04-05 no items; debit_card 99.00
  o5  AM  u304  shipped    2020-04-10  2x health_beauty 58.90+15.10; credit 148.00 (0x); review 4

Both paths (rollups and raw tables) must give exactly these numbers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import datasets as ds
import pytest

from dashapp.filters import Filters
from dashapp.queries import fast, raw, report

D = Decimal
PATHS = [pytest.param(fast, id="fast"), pytest.param(raw, id="raw")]
ALL = Filters(start=date(2020, 3, 2), end=date(2020, 4, 10))
DAYS_O1 = 7 + 5 / 24
DAYS_O2 = 17 + 12 / 24 + 1 / 86400


def _kpis(engine, path, filters=ALL):
    with engine.connect() as conn:
        return report.kpi_report(conn, filters, path)


@pytest.mark.parametrize("path", PATHS)
def test_domain_is_the_data_range(tiny_engine, path):
    with tiny_engine.connect() as conn:
        d = report.load_domain(conn)
    assert (d.min_day, d.max_day) == (date(2020, 3, 2), date(2020, 4, 10))
    assert d.states == ("AM", "MG", "RJ", "SP")
    assert d.categories == ("health_beauty", "pc_gamer", "sports_leisure", "unknown")
    assert d.payment_types == ("boleto", "credit_card", "debit_card", "voucher")


@pytest.mark.parametrize("path", PATHS)
def test_kpis_whole_range(tiny_engine, path):
    r = _kpis(tiny_engine, path)
    c = r["current"]
    assert c["orders"] == 3  # o3 canceled, o4 unavailable and without items
    assert c["sales"] == D("296.79")
    assert c["freight"] == D("72.21")
    assert c["revenue"] == D("369.00")
    assert c["items"] == 5
    assert c["aov"] == D("296.79") / 3
    assert c["items_per_order"] == pytest.approx(5 / 3)
    assert c["customers"] == 3  # u301 counted once; u303 has no sales order
    assert c["new_customers"] == 3
    assert c["repeat_rate"] == 0.0  # u301's second order (o3) is canceled: no sales order
    assert c["payments"] == D("369.00")
    assert c["avg_review"] == pytest.approx(14 / 4)  # o1 has two reviews
    assert c["on_time_rate"] == pytest.approx(0.5)
    assert c["avg_delivery_days"] == pytest.approx((DAYS_O1 + DAYS_O2) / 2, abs=1e-9)
    assert c["canceled_rate"] == pytest.approx(1 / 5)
    assert c["unavailable_rate"] == pytest.approx(1 / 5)
    # previous period: the 40 days before 2020-03-02 (not whole months), where there are no
    # orders; the API's filters object names it too
    period = {"start": "2020-01-22", "end": "2020-03-01", "basis": "days", "length": 40}
    assert r["previous_period"] == period
    assert r["filters"]["previous_period"] == period
    p = r["previous"]
    assert p["orders"] == 0 and p["sales"] == 0 and p["aov"] is None
    assert p["avg_review"] is None and p["canceled_rate"] is None
    assert p["customers"] == 0 and p["repeat_rate"] is None
    assert all(v is None for v in r["growth"].values())


@pytest.mark.parametrize("path", PATHS)
def test_state_filter(tiny_engine, path):
    c = _kpis(tiny_engine, path, Filters(ALL.start, ALL.end, states=("SP",)))["current"]
    assert (c["orders"], c["sales"], c["freight"], c["items"]) == (1, D("159.00"), D("33.29"), 2)
    assert c["payments"] == D("192.29")
    assert c["avg_review"] == pytest.approx(4.0)
    assert c["customers"] == 1 and c["new_customers"] == 1
    assert c["canceled_rate"] == pytest.approx(0.5)  # o1 and the canceled o3
    assert c["unavailable_rate"] == pytest.approx(0.0)


@pytest.mark.parametrize("path", PATHS)
def test_region_filter_and_state_and_region_combine_with_and(tiny_engine, path):
    se = _kpis(tiny_engine, path, Filters(ALL.start, ALL.end, regions=("SE",)))["current"]
    assert se["orders"] == 2 and se["sales"] == D("178.99")
    assert se["unavailable_rate"] == pytest.approx(1 / 4)  # o1, o2, o3, o4
    none = _kpis(tiny_engine, path,
                 Filters(ALL.start, ALL.end, states=("AM",), regions=("SE",)))["current"]
    assert none["orders"] == 0 and none["canceled_rate"] is None


@pytest.mark.parametrize("path", PATHS)
def test_category_filter_counts_items_of_the_category_and_whole_orders(tiny_engine, path):
    c = _kpis(tiny_engine, path,
              Filters(ALL.start, ALL.end, categories=("health_beauty",)))["current"]
    assert c["orders"] == 2  # o1 and o5
    assert c["sales"] == D("176.70")  # only the health_beauty items
    assert c["freight"] == D("43.49")
    assert c["items"] == 3
    assert c["payments"] == D("340.29")  # whole orders
    assert c["avg_review"] == pytest.approx(12 / 3)
    assert c["on_time_rate"] == pytest.approx(1.0)
    assert c["customers"] == 2
    assert c["canceled_rate"] == pytest.approx(0.0)


@pytest.mark.parametrize("path", PATHS)
def test_two_categories_of_one_order_count_it_once(tiny_engine, path):
    c = _kpis(tiny_engine, path, Filters(ALL.start, ALL.end,
                                         categories=("health_beauty", "sports_leisure")))
    c = c["current"]
    assert c["orders"] == 2
    assert c["sales"] == D("276.80")
    assert c["items"] == 4
    assert c["payments"] == D("340.29")  # o1's payments once, not twice


@pytest.mark.parametrize("path", PATHS)
def test_untranslated_and_missing_categories(tiny_engine, path):
    unknown = _kpis(tiny_engine, path, Filters(ALL.start, ALL.end, categories=("unknown",)))
    assert unknown["current"]["sales"] == D("19.99")
    gamer = _kpis(tiny_engine, path, Filters(ALL.start, ALL.end, categories=("pc_gamer",)))
    assert gamer["current"]["orders"] == 0  # only in the canceled o3
    assert gamer["current"]["canceled_rate"] == pytest.approx(1.0)


@pytest.mark.parametrize("path", PATHS)
def test_payment_type_filter_takes_whole_orders(tiny_engine, path):
    c = _kpis(tiny_engine, path,
              Filters(ALL.start, ALL.end, payment_types=("voucher",)))["current"]
    assert c["orders"] == 1 and c["sales"] == D("159.00")
    assert c["payments"] == D("192.29")  # the voucher row and the credit card row
    debit = _kpis(tiny_engine, path, Filters(ALL.start, ALL.end, payment_types=("debit_card",)))
    assert debit["current"]["orders"] == 0
    assert debit["current"]["unavailable_rate"] == pytest.approx(1.0)


@pytest.mark.parametrize("path", PATHS)
def test_previous_period_and_growth(tiny_engine, path):
    r = _kpis(tiny_engine, path, Filters(date(2020, 4, 1), date(2020, 4, 30)))
    # April is a whole calendar month: compared with the whole of March, not 30 days
    period = {"start": "2020-03-01", "end": "2020-03-31", "basis": "months", "length": 1}
    assert r["previous_period"] == period and r["filters"]["previous_period"] == period
    assert r["current"]["sales"] == D("117.80") and r["previous"]["sales"] == D("178.99")
    assert r["growth"]["sales"] == pytest.approx((117.80 - 178.99) / 178.99)
    assert r["growth"]["orders"] == pytest.approx(-0.5)
    assert r["current"]["customers"] == 1  # u304; u301's April order was canceled


@pytest.mark.parametrize("path", PATHS)
def test_payment_methods(tiny_engine, path):
    with tiny_engine.connect() as conn:
        rows = report.breakdown(conn, ALL, "payment_type", path)["rows"]
    assert [r["key"] for r in rows] == ["credit_card", "voucher", "boleto"]  # orders, then value
    cc, voucher, boleto = rows
    assert (cc["payment_rows"], cc["orders"], cc["value"]) == (2, 2, D("298.00"))
    assert cc["avg_installments"] == pytest.approx(1.5)
    assert cc["share_orders"] == pytest.approx(2 / 3)
    assert cc["share_value"] == pytest.approx(298 / 369)
    assert voucher["value"] == D("42.29") and boleto["value"] == D("28.71")
    assert sum(r["share_value"] for r in rows) == pytest.approx(1.0)


@pytest.mark.parametrize("path", PATHS)
def test_payment_methods_under_a_payment_filter_keep_the_orders_other_rows(tiny_engine, path):
    with tiny_engine.connect() as conn:
        rows = report.breakdown(conn, Filters(ALL.start, ALL.end, payment_types=("voucher",)),
                                "payment_type", path)["rows"]
    assert {r["key"]: r["value"] for r in rows} == {"credit_card": D("150.00"),
                                                    "voucher": D("42.29")}
    assert all(r["share_orders"] == 1.0 for r in rows)


@pytest.mark.parametrize("path", PATHS)
def test_category_breakdown(tiny_engine, path):
    with tiny_engine.connect() as conn:
        rows = report.breakdown(conn, ALL, "category", path)["rows"]
    got = {r["key"]: (r["sales"], r["orders"], r["items"]) for r in rows}
    assert got == {
        "health_beauty": (D("176.70"), 2, 3),
        "sports_leisure": (D("100.10"), 1, 1),
        "unknown": (D("19.99"), 1, 1),
    }  # rows add up to 4 orders though there are 3: o1 has two categories
    assert rows[0]["key"] == "health_beauty" and rows[0]["aov"] == D("176.70") / 2


@pytest.mark.parametrize("path", PATHS)
def test_state_and_region_breakdowns(tiny_engine, path):
    with tiny_engine.connect() as conn:
        states = {r["key"]: r for r in report.breakdown(conn, ALL, "state", path)["rows"]}
        regions = {r["key"]: r for r in report.breakdown(conn, ALL, "region", path)["rows"]}
    assert states["SP"]["sales"] == D("159.00") and states["SP"]["canceled_rate"] == 0.5
    assert states["AM"]["sales"] == D("117.80")
    assert states["MG"]["orders"] == 0 and states["MG"]["unavailable_rate"] == 1.0
    assert set(regions) == {"SE", "N"}
    assert regions["SE"]["sales"] == D("178.99") and regions["SE"]["customers"] == 2
    assert regions["N"]["orders"] == 1


@pytest.mark.parametrize("path", PATHS)
def test_monthly_series_with_mom_and_exact_aov(tiny_engine, path):
    with tiny_engine.connect() as conn:
        points = report.timeseries(conn, ALL, "month", path)["points"]
    assert [p["period"] for p in points] == ["2020-03", "2020-04"]
    march, april = points
    assert (march["sales"], march["orders"]) == (D("178.99"), 2)
    assert march["aov"] == D("178.99") / 2  # 89.495: rounds half-up to 89.50 in JSON
    assert march["mom"] is None and march["yoy"] is None
    assert april["mom"] == pytest.approx((117.80 - 178.99) / 178.99)


@pytest.mark.parametrize("path", PATHS)
def test_weekly_and_daily_series(tiny_engine, path):
    with tiny_engine.connect() as conn:
        weeks = report.timeseries(conn, ALL, "week", path)["points"]
        days = report.timeseries(conn, ALL, "day", path)["points"]
    assert [p["period"] for p in weeks] == ["2020-03-02", "2020-03-09", "2020-04-06"]
    assert weeks[1]["mom"] == pytest.approx((19.99 - 159.00) / 159.00)
    assert [p["period"] for p in days] == ["2020-03-02", "2020-03-15", "2020-04-10"]


@pytest.mark.parametrize("path", PATHS)
def test_new_customers_are_those_whose_first_sales_order_is_in_range(engine, tmp_path, path):
    from loaders import ingest

    rows = ds.tiny()
    # u302 orders again in April: a customer in April, but not a new one
    rows[ds.F_CUSTOMERS].append(dict(rows[ds.F_CUSTOMERS][1], customer_id="c6" + "0" * 30))
    rows[ds.F_ORDERS].append(dict(rows[ds.F_ORDERS][1], order_id="b6" + "0" * 30,
                                  customer_id="c6" + "0" * 30,
                                  order_purchase_timestamp="2020-04-20 10:00:00"))
    rows[ds.F_ITEMS].append(dict(rows[ds.F_ITEMS][2], order_id="b6" + "0" * 30))
    ingest.load(engine, ds.write(rows, tmp_path / "d"))
    with engine.connect() as conn:
        april = report.kpi_report(conn, Filters(date(2020, 4, 1), date(2020, 4, 30)), path)
        everything = report.kpi_report(conn, Filters(date(2020, 3, 1), date(2020, 4, 30)), path)
    assert april["current"]["customers"] == 2  # u302, u304
    assert april["current"]["new_customers"] == 1  # u304 only
    assert everything["current"]["customers"] == 3  # u302 counted once over both orders
    assert everything["current"]["new_customers"] == 3


# --- reference periods before the range (tests/datasets.py two_years) ---------------------
#
# Extra orders, one sports_leisure item each (freight 1.00), all SP except 2020-12-28 (RJ):
#   2019-12-31 50.00 | 2020-01-20 40.00 | 2020-12-05 30.00, 12-22 10.00, 12-28 20.00 (RJ)
#   2021-01-03 25.00, 01-04 5.00, 01-05 15.00, 01-20 75.00 | 2021-02-14 60.00 | 03-10 89.50
# Months: Jan 2020 40; Mar 2020 178.99 (SP 159.00); Dec 2020 60 (SP 40); Jan 2021 120;
# Feb 2021 60; Mar 2021 89.50. Weeks (Mondays): 2019-12-30 50; 2020-01-20 40;
# 2020-12-21 10; 2020-12-28 45 (20 RJ + 25); 2021-01-04 20; 2021-01-18 75.


@pytest.fixture(scope="module")
def two_years_engine(pg_admin_url, template_db, tmp_path_factory):
    from conftest import fresh_database, loaded_engine

    folder = ds.write(ds.two_years(), tmp_path_factory.mktemp("two_years"))
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        yield eng
        eng.dispose()


def _series(engine, path, filters, grain):
    with engine.connect() as conn:
        points = report.timeseries(conn, filters, grain, path)["points"]
    return {p["period"]: (p["sales"], p["mom"], p["yoy"]) for p in points}


@pytest.mark.parametrize("path", PATHS)
def test_a_view_of_2021_compares_january_with_2020(two_years_engine, path):
    got = _series(two_years_engine, path, Filters(date(2021, 1, 1), date(2021, 12, 31)),
                  "month")
    assert list(got) == ["2021-01", "2021-02", "2021-03"]
    assert got["2021-01"] == (D("120.00"), pytest.approx((120 - 60) / 60),  # vs Dec 2020
                              pytest.approx((120 - 40) / 40))  # vs Jan 2020
    assert got["2021-02"] == (D("60.00"), pytest.approx(-0.5), None)  # no orders Feb 2020
    assert got["2021-03"] == (D("89.50"), pytest.approx((89.50 - 60) / 60),
                              pytest.approx((89.50 - 178.99) / 178.99))


@pytest.mark.parametrize("path", PATHS)
def test_a_partial_first_month_counts_its_days_but_references_are_whole(two_years_engine,
                                                                         path):
    got = _series(two_years_engine, path, Filters(date(2021, 1, 10), date(2021, 3, 31)),
                  "month")
    # January counts only 01-20 (75.00); as February's reference it is whole (120.00)
    assert got["2021-01"] == (D("75.00"), pytest.approx((75 - 60) / 60),
                              pytest.approx((75 - 40) / 40))
    assert got["2021-02"] == (D("60.00"), pytest.approx((60 - 120) / 120), None)


@pytest.mark.parametrize("path", PATHS)
def test_references_before_the_range_keep_the_other_filters(two_years_engine, path):
    sp = Filters(date(2021, 1, 10), date(2021, 3, 31), states=("SP",))
    got = _series(two_years_engine, path, sp, "month")
    assert got["2021-01"] == (D("75.00"), pytest.approx((75 - 40) / 40),  # Dec 2020 SP only
                              pytest.approx((75 - 40) / 40))
    assert got["2021-03"][2] == pytest.approx((89.50 - 159.00) / 159.00)  # Mar 2020 SP
    health = Filters(date(2021, 1, 1), date(2021, 3, 31), categories=("health_beauty",))
    assert _series(two_years_engine, path, health, "month") == {}  # no such items in 2021
    boleto = Filters(date(2021, 1, 1), date(2021, 1, 31), payment_types=("boleto",))
    # Dec 2020 all boleto (60); Jan 2020 boleto (40)
    assert _series(two_years_engine, path, boleto, "month")["2021-01"][1:] == (
        pytest.approx(1.0), pytest.approx(2.0))


@pytest.mark.parametrize("path", PATHS)
def test_weekly_and_daily_references_before_the_range(two_years_engine, path):
    weeks = _series(two_years_engine, path, Filters(date(2021, 1, 1), date(2021, 1, 31)),
                    "week")
    assert weeks == {
        # the week of Monday 2020-12-28 counts 01-03 only; its references lie before start
        "2020-12-28": (D("25.00"), pytest.approx((25 - 10) / 10), pytest.approx(-0.5)),
        # ... and as the next week's reference it is whole (20.00 RJ + 25.00)
        "2021-01-04": (D("20.00"), pytest.approx((20 - 45) / 45), None),
        "2021-01-18": (D("75.00"), None, pytest.approx((75 - 40) / 40)),  # 52 weeks back
    }
    days = _series(two_years_engine, path, Filters(date(2021, 1, 5), date(2021, 1, 31)),
                   "day")
    assert days == {"2021-01-05": (D("15.00"), pytest.approx(2.0), None),  # vs 01-04
                    "2021-01-20": (D("75.00"), None, pytest.approx(0.875))}  # vs 2020-01-20


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("start,end,previous,sales", [
    # a whole year: the year before (Dec 2019 50, Jan 2020 40, Mar 178.99, Apr 117.80)
    (date(2020, 1, 1), date(2020, 12, 31),
     {"start": "2019-01-01", "end": "2019-12-31", "basis": "months", "length": 12}, "50.00"),
    # two whole months crossing a year: Nov and Dec 2020
    (date(2021, 1, 1), date(2021, 2, 28),
     {"start": "2020-11-01", "end": "2020-12-31", "basis": "months", "length": 2}, "60.00"),
    # a whole month starting in March of a leap year: the whole of February (29 days)
    (date(2020, 3, 1), date(2020, 3, 31),
     {"start": "2020-02-01", "end": "2020-02-29", "basis": "months", "length": 1}, "0"),
    # January: the whole of December, crossing the year
    (date(2021, 1, 1), date(2021, 1, 31),
     {"start": "2020-12-01", "end": "2020-12-31", "basis": "months", "length": 1}, "60.00"),
    # not whole months: as many days before (22 days, crossing the year)
    (date(2021, 1, 10), date(2021, 1, 31),  # 12-22 10, 12-28 20, 01-03 25, 01-04 5, 01-05 15
     {"start": "2020-12-19", "end": "2021-01-09", "basis": "days", "length": 22}, "75.00"),
])
def test_calendar_previous_period_kpis(two_years_engine, path, start, end, previous, sales):
    r = _kpis(two_years_engine, path, Filters(start, end))
    assert r["previous_period"] == previous and r["filters"]["previous_period"] == previous
    assert r["previous"]["sales"] == D(sales)
