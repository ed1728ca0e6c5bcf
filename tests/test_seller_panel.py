"""The page's seller pieces without a browser: the URL round-trips `seller`, the filter
bar carries it, the caption names it, a click toggles it, the picker offers what was
typed (and never drops the selection), and the panel's cells format the API's row.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from langs import EN

from dashapp.filters import Domain, Filters, parse_filters
from dashapp.page import formatting as fmt
from dashapp.page import tables, urlstate
from dashapp.page.panels.sellers import MAX_OPTIONS, picker_options, row_cells, seller_table

SELLERS = tuple(f"{n:032x}" for n in range(401, 420))
DOMAIN = Domain(min_day=date(2019, 1, 1), max_day=date(2021, 12, 31), states=("RJ", "SP"),
                categories=("toys",), payment_types=("boleto",), sellers=SELLERS)
META = {"start": "2019-01-01", "end": "2021-12-31", "states": ["RJ", "SP"],
        "categories": ["toys"], "payment_types": ["boleto"]}


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(SELLERS), max_size=3), st.sets(st.sampled_from(["SP", "RJ"])),
       st.sets(st.just("toys")))
def test_url_round_trips_sellers(sellers, states, cats):
    filters = Filters(sellers=tuple(sorted(sellers)), states=tuple(sorted(states)),
                      categories=tuple(sorted(cats)))
    search = urlstate.search_from_filters(filters)
    assert parse_filters(urlstate.parse_search(search), DOMAIN) == filters
    assert Filters.from_json(filters.to_json()) == filters
    # the filter bar shows the sellers of the URL and writes them back unchanged
    controls = urlstate.controls_from_search(search, META)
    assert controls.seller == sorted(sellers)
    assert urlstate.same_view(urlstate.search_from_controls(controls, META), search)


def test_filter_bar_keeps_plausible_ids_only():
    controls = urlstate.controls_from_search(
        f"?seller={SELLERS[1]},{SELLERS[0]}&seller=%3Cscript%3E", META)
    assert controls.seller == [SELLERS[0], SELLERS[1]]
    assert urlstate.search_from_controls(controls, META) == \
        f"?seller={SELLERS[0]},{SELLERS[1]}"


def test_a_click_sets_then_clears_the_seller():
    once = urlstate.toggle({"state": ["SP"]}, "seller", SELLERS[0])
    assert urlstate.build_search(once) == f"?state=SP&seller={SELLERS[0]}"
    assert urlstate.toggle(once, "seller", SELLERS[0]) == {"state": ["SP"]}


def test_caption_names_the_seller_shortly():
    caption = tables.view_caption({"start": "2021-01-01", "end": "2021-12-31",
                                   "seller": [SELLERS[0]]}, {}, EN)
    text = "".join(str(getattr(part, "children", "")) for part in caption)
    assert "Seller: 00000000\u202600191" in text
    assert fmt.short_id("abc") == "abc"


def test_picker_offers_matches_and_always_the_selection():
    rows = [(s, "SP" if i % 2 else "RJ") for i, s in enumerate(SELLERS)]
    first = picker_options(rows, None, [])
    assert [o["value"] for o in first] == list(SELLERS[:MAX_OPTIONS])
    assert first[0]["label"] == "00000000\u202600191 (RJ)"
    typed = picker_options(rows, "0000193", [SELLERS[5]])
    assert [o["value"] for o in typed] == [SELLERS[5], f"{0x193:032x}"]
    assert [o["value"] for o in picker_options(rows, "sp", [])] == list(SELLERS[1::2])
    unknown = "f" * 32  # a link's seller the data lacks stays until the view drops it
    assert picker_options(rows, "zzz", [unknown]) == [
        {"label": fmt.short_id(unknown), "value": unknown}]
    many = [(f"{n:032x}", "SP") for n in range(1000)]
    assert len(picker_options(many, "", [])) == MAX_OPTIONS


def test_row_cells_format_the_apis_row():
    row = {"key": SELLERS[0], "seller_state": "SP", "sales": 196.69, "freight": 52.21,
           "items": 4, "orders": 3, "aov": 65.56, "avg_review": 3.5,
           "late_shipping_rate": 1 / 3, "canceled_rate": None}
    assert row_cells(row, EN) == ["00000000\u202600191", "SP", "R$196.69", "3", "R$65.56",
                              fmt.kpi_value("avg_review", 3.5, EN), "33.3%", fmt.NONE]
    table = seller_table([row], [SELLERS[0]], EN)
    body = table.children.children[1]
    assert body.children[0].className == "seller-row selected-row"
    assert body.children[0].id == {"type": "seller-row", "key": SELLERS[0]}
    assert "No sellers" in seller_table([], [], EN).children
