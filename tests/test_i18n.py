"""Languages and money on the page: CLDR formatting per locale, the language a request
gets, the URL keeping it, the settings, and complete catalogs (no browser, no database).

The expected strings are CLDR's as Babel gives them, spaces included: pt_BR puts a
no-break space (U+00A0) after `R$`, French groups digits with a narrow no-break space
(U+202F) and puts U+00A0 before the currency and the percent sign."""

from __future__ import annotations

import ast
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from astparse import parse
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from langs import EN, FR, FR_MA, PT

from dashapp.config import ConfigError, load_settings
from dashapp.page import charts, urlstate
from dashapp.page import formatting as fmt
from dashapp.page.i18n import TRANSLATIONS, choose, from_accept_language, lang_for, normalise

NBSP, NNBSP = "\u00a0", "\u202f"
AMOUNT = Decimal("1020457.18")


# --- numbers, money, dates ------------------------------------------------------------------


def test_money_per_locale() -> None:
    assert fmt.money(AMOUNT, PT) == f"R${NBSP}1.020.457,18"
    assert fmt.money(AMOUNT, FR_MA) == f"1{NNBSP}020{NNBSP}457,18{NBSP}MAD"
    assert fmt.money(AMOUNT, EN) == "R$1,020,457.18"
    assert fmt.money(AMOUNT, FR) == f"1{NNBSP}020{NNBSP}457,18{NBSP}R$"
    assert fmt.money(Decimal("-12"), PT) == f"-R${NBSP}12,00"
    assert fmt.money(2.675, PT) == f"R${NBSP}2,68"  # half-up from the JSON's decimal text
    assert fmt.money(None, PT) == fmt.NONE
    assert fmt.money_compact(Decimal("1234567"), PT) == f"R${NBSP}1,2{NBSP}mi"
    assert fmt.money_compact(Decimal("1234567"), EN) == "R$1.2M"


def test_numbers_and_percentages_per_locale() -> None:
    assert fmt.integer(12345, PT) == "12.345"
    assert fmt.integer(12345, FR_MA) == f"12{NNBSP}345"
    assert fmt.percent(0.1234, PT) == "12,3%"
    assert fmt.percent(0.1234, FR) == f"12,3{NBSP}%"
    assert fmt.signed_percent(-0.04, PT) == "\u22124,0%"
    assert fmt.change_text(0.123, EN) == "\u25b2 +12.3%"
    assert fmt.number(4.125, PT, 2) == "4,12"  # banker's? no: CLDR rounds half-even
    assert fmt.kpi_value("avg_review", 4.1, PT) == "4,10 / 5"
    assert fmt.kpi_value("avg_delivery_days", 12.34, PT) == "12,3 dias"
    assert fmt.kpi_value("avg_delivery_days", 1, FR) == f"1,0{NBSP}jour"
    assert fmt.kpi_value("sales", AMOUNT, PT) == f"R${NBSP}1.020.457,18"


def test_dates_and_months_per_locale() -> None:
    assert fmt.short_date(date(2021, 12, 31), PT) == "31/12/2021"
    assert fmt.short_date("2021-12-31", EN) == "12/31/2021"
    assert fmt.nice_date("2021-01-05", PT) == "5 de jan. de 2021"
    assert fmt.nice_date("2021-01-05", FR) == "5 janv. 2021"
    assert fmt.month("2021-01", PT) == "jan. de 2021"
    assert fmt.month("2021-01", FR_MA) == "jan. 2021"
    assert fmt.month("2021-01", FR) == "janv. 2021"
    assert fmt.month("2021-01", EN) == "Jan 2021"
    assert fmt.timestamp("2026-11-27T16:08:00+00:00", PT) == "27 de nov. de 2026 16:08 UTC"


def test_charts_use_the_locale_separators_and_currency_place() -> None:
    assert PT.separators == ",." and EN.separators == ".,"
    assert FR_MA.separators == f",{NNBSP}"
    assert charts.money_axis(PT)["tickprefix"] == f"R${NBSP}"
    assert charts.money_axis(FR_MA) | {} == {"tickprefix": "", "ticksuffix": f"{NBSP}MAD",
                                              "tickformat": "~s"}
    points = [{"period": "2021-01", "sales": Decimal("1500.10"), "orders": 3,
               "aov": Decimal("500.03"), "mom": None, "yoy": 0.5}]
    fig = charts.timeseries_figure(points, PT)
    assert fig.layout.separators == ",."
    assert fig.data[0].name == "Vendas" and fig.data[1].name == "Pedidos"
    assert list(fig.data[0].customdata[0][:3]) == [f"R${NBSP}1.500,10", "3",
                                                    f"R${NBSP}500,03"]
    assert fig.layout.yaxis.tickprefix == f"R${NBSP}"
    assert "Ticket médio" in fig.data[0].hovertemplate


def test_no_currency_symbol_is_written_in_the_page_code() -> None:
    """Every string of dashapp's code but docstrings (examples of what CLDR writes): the
    symbol comes from PULSE_CURRENCY and the locale, never from a literal."""
    root = Path(fmt.__file__).parent.parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = parse(path)
        docs = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
                and node.body and isinstance(node.body[0], ast.Expr)}
        offenders += [f"{path}:{node.lineno}" for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)
                      and "R$" in node.value and id(node) not in docs]
    assert offenders == []


# --- which language a request gets -----------------------------------------------------------


def test_normalise_and_accept_language() -> None:
    assert normalise("pt-BR") == normalise("pt_br") == normalise(" PT-br ") == "pt_BR"
    assert normalise("fr-ma") == "fr_MA" and normalise("de") is None and normalise(None) is None
    assert from_accept_language("de-DE,de;q=0.9,pt;q=0.8,en;q=0.7") == "pt_BR"
    assert from_accept_language("fr-CA,fr;q=0.9") == "fr"
    assert from_accept_language("en;q=0.1,fr;q=0.5") == "fr"
    assert from_accept_language("de, it") is None and from_accept_language(None) is None


def test_choose_order_url_cookie_setting_browser() -> None:
    assert choose("pt-BR", "fr", "fr", "en", True) == "pt_BR"      # the URL first
    assert choose("klingon", "fr", "pt", "en", True) == "fr"       # unknown: the cookie
    assert choose(None, None, "pt-BR", "fr_MA", True) == "fr_MA"   # an explicit setting
    assert choose(None, None, "pt-BR", "en", False) == "pt_BR"     # else the browser
    assert choose("xx", "yy", "de", "en", False) == "en"           # else English, no error


def test_lang_objects_are_shared_and_unknown_falls_back() -> None:
    assert lang_for("pt-BR", "BRL") is lang_for("pt_BR", "BRL") is PT
    assert lang_for("klingon", "BRL").code == "en"
    assert FR_MA.gettext("Sales by state") == "Ventes par État"  # fr_MA reads fr's catalog
    assert PT.ngettext("order", "orders", 2) == "pedidos"
    assert PT.name == "Português (Brasil)" and PT.plotly == "pt-BR" and FR_MA.plotly == "fr"


# --- the URL keeps the language --------------------------------------------------------------


def test_url_keeps_the_language_through_filter_changes() -> None:
    search = "?state=SP&lang=pt-BR"
    toggled = urlstate.build_search(urlstate.toggle(urlstate.parse_search(search),
                                                    "category", "toys"))
    assert urlstate.parse_search(toggled)["lang"] == ["pt-BR"]
    assert urlstate.keep_page_params("?state=RJ", search) == "?state=RJ&lang=pt-BR"
    assert urlstate.keep_page_params("", search) == "?lang=pt-BR"  # reset keeps it
    assert urlstate.with_lang("?state=SP&lang=pt-BR", "fr") == "?state=SP&lang=fr"
    assert urlstate.without_page_params(urlstate.parse_search(search)) == {"state": ["SP"]}


# --- settings ----------------------------------------------------------------------------


def test_settings_read_locale_and_currency() -> None:
    settings = load_settings({"PULSE_LOCALE": "pt-BR", "PULSE_CURRENCY": "mad"})
    assert (settings.locale, settings.currency, settings.locale_set) == ("pt_BR", "MAD", True)
    default = load_settings({})
    assert (default.locale, default.currency, default.locale_set) == ("en", "BRL", False)


@pytest.mark.parametrize("env, name, accepted", [
    ({"PULSE_LOCALE": "de_DE"}, "PULSE_LOCALE", "en, pt_BR, fr, fr_MA"),
    ({"PULSE_CURRENCY": "XYZ"}, "PULSE_CURRENCY", "BRL"),
])
def test_unknown_locale_or_currency_stops_start_up(env: dict, name: str, accepted: str
                                                   ) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert name in str(err.value) and accepted in str(err.value)
    assert "EUR" in str(load_currency_error()) and "MAD" in str(load_currency_error())


def load_currency_error() -> ConfigError:
    try:
        load_settings({"PULSE_CURRENCY": "nope"})
    except ConfigError as exc:
        return exc
    raise AssertionError("PULSE_CURRENCY=nope was accepted")


# --- the catalogs are complete -----------------------------------------------------------


def extracted() -> dict[tuple[str | None, str], object]:
    """The page's messages, extracted as `pybabel extract -F babel.cfg -k N_` does."""
    root = TRANSLATIONS.parent.parent.parent
    method_map = [("dashapp/page/**.py", "python"), ("dashapp/filters.py", "python"),
                  ("dashapp/notify/**.py", "python")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
                "N_": None}
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
            str(root), method_map, keywords=keywords):
        key = message[0] if isinstance(message, tuple) else message
        found[(context, key)] = message
    return found


@pytest.mark.parametrize("locale", ["pt_BR", "fr"])
def test_catalog_translates_every_page_message(locale: str) -> None:
    messages = extracted()
    assert len(messages) > 300  # the extraction really ran over the page
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    problems = []
    for (context, key), message in sorted(messages.items(), key=str):
        entry = catalog.get(key, context=context)
        if entry is None:
            problems.append(f"missing: {message!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message!r}")
        elif not entry.string or (isinstance(entry.string, tuple)
                                  and not all(entry.string)):
            problems.append(f"empty: {message!r}")
    assert problems == [], f"{locale}: {len(problems)} problem(s):\n" + "\n".join(problems)


def test_catalogs_compile() -> None:
    from dashapp.page.i18n import compile_po

    for locale in ("pt_BR", "fr"):
        compiled = compile_po(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
        assert len(compiled) > 10_000 and io.BytesIO(compiled).read(4) == b"\xde\x12\x04\x95"


def test_a_link_notice_gives_the_parsers_reason_in_the_readers_language() -> None:
    """The parser's English words stay the API's; the page says the same in pt_BR/fr."""
    from dashapp.filters import Domain, FilterError, parse_filters
    from dashapp.page.tables import notice_reason

    domain = Domain(min_day=date(2020, 1, 1), max_day=date(2020, 12, 31),
                    states=("RJ", "SP"))
    with pytest.raises(FilterError) as caught:
        parse_filters({"stat": ["SP"]}, domain)
    error = caught.value
    assert error.message == "unknown parameter 'stat' (did you mean 'state'?)"
    notice = {"parameter": error.parameter, "message": error.message,
              "template": error.template, "values": error.values}
    assert notice_reason(notice, EN) == error.message
    assert notice_reason(notice, PT) == ("parâmetro desconhecido 'stat' (você quis dizer "
                                         "'state'?)")
    assert notice_reason(notice, FR) == ("paramètre inconnu 'stat' (vouliez-vous dire "
                                         "'state' ?)")
    with pytest.raises(FilterError) as caught:
        parse_filters({"start": ["2020-13-01"]}, domain)
    notice = {"parameter": "start", "message": caught.value.message,
              "template": caught.value.template, "values": caught.value.values}
    assert notice_reason(notice, PT).startswith("start não é uma data válida: '2020-13-01'")
    # an old notice without a template (or a broken catalog entry): the English words
    assert notice_reason({"parameter": "x", "message": "why"}, PT) == "why"
