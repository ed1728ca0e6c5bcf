"""The digest's sales chart, as a mail client gets it: an image/png part of the HTML's
multipart/related, named by the `<img src="cid:...">`, that Pillow decodes to 560×180,
whose bars are the API's daily sales (measured in pixels of the bar colours: the tallest
column is the day of the highest sales, a day without orders has no bar, the digest's own
week in the stronger colour). A window without sales still gives a chart that says so.
Real PostgreSQL (the tiny dataset, March-April 2020) and a real SMTP server."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from test_digests import Sink, free_port

from dashapp.cache import ResultCache
from dashapp.config import load_settings
from dashapp.notify import chart as chart_mod
from dashapp.notify import digests as notify
from dashapp.notify.mail import Smtp
from dashapp.page import formatting as fmt
from dashapp.page.i18n import lang_for
from dashapp.service import PulseService
from dashapp.userdata import UserData
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app
from loaders.userdata import set_email

controller_mod = pytest.importorskip("aiosmtpd.controller")
FR = lang_for("fr", "BRL")
NOW = datetime(2020, 4, 15, 8, 0)  # a Wednesday: the week of 6-12 April has just ended


@pytest.fixture(scope="module")
def setup(tiny_engine, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        auth_mod.add_user(tiny_engine, "chloe", "correct horse battery")
    set_email(tiny_engine, "chloe", "chloe@example.com")
    home = tmp_path_factory.mktemp("home")
    service = PulseService(tiny_engine, ResultCache(load_settings({"PULSE_HOME": str(home)})))
    app = create_app(load_settings({"PULSE_HOME": str(home)}), engine=tiny_engine)
    return tiny_engine, service, app


@pytest.fixture
def smtp_server():
    sink = Sink()
    port = free_port()
    controller = controller_mod.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, Smtp("127.0.0.1", port, None, None, False, "pulse@test")
    controller.stop()


def bar_pixels(image: Image.Image, x: int) -> dict[tuple[int, int, int], int]:
    """How many pixels of each bar colour the column at `x` holds."""
    column = [image.getpixel((x, y)) for y in range(image.height)]
    return {colour: column.count(colour) for colour in (chart_mod.BAR, chart_mod.HIGHLIGHT)}


def test_the_weekly_digest_carries_the_apis_daily_sales_as_an_inline_png(setup, smtp_server):
    engine, service, app = setup
    sink, smtp = smtp_server
    store = UserData(engine)
    owner = store.owner("chloe")
    view = store.save_view(owner, {"name": "Tout", "query": "lang=fr"})
    sub = store.subscribe(owner, {"view_id": view["id"], "frequency": "weekly"})
    try:
        assert notify.run(engine, service, smtp, NOW, "http://pulse.test", "BRL") == (1, 0)
    finally:
        store.unsubscribe(owner, sub["id"])
    msg = sink.messages[-1]
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    html = next(p for p in related.iter_parts() if p.get_content_type() == "text/html")
    png = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    cid = str(png["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    image = Image.open(io.BytesIO(png.get_content()))
    assert image.format == "PNG" and image.size == (560, 180)
    image = image.convert("RGB")

    start, end = date(2020, 3, 14), date(2020, 4, 12)  # 30 days ending with the week
    api = app.server.test_client().get(
        f"/api/v1/timeseries?grain=day&start={start}&end={end}").get_json()
    sales = {p["period"]: Decimal(str(p["sales"])) for p in api["points"]}
    days = [start + timedelta(days=i) for i in range(30)]
    values = [sales.get(d.isoformat(), Decimal(0)) for d in days]
    assert any(v == 0 for v in values) and any(v > 0 for v in values)  # the fixture's shape
    peak = max(values)
    heights = []
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        x0, x1 = chart_mod.slot_box(i, 30)
        found = bar_pixels(image, (x0 + x1) // 2)
        colour = chart_mod.HIGHLIGHT if date(2020, 4, 6) <= day <= end else chart_mod.BAR
        other = chart_mod.BAR if colour == chart_mod.HIGHLIGHT else chart_mod.HIGHLIGHT
        assert found[other] == 0, day
        assert found[colour] == chart_mod.bar_height(value, peak), (day, value)
        heights.append(found[colour])
        if value == 0:
            assert found[colour] == 0, day  # a day without orders has no bar
    assert days[heights.index(max(heights))] == days[values.index(peak)]
    assert max(heights) == chart_mod.BOTTOM - chart_mod.TOP

    top_day = days[values.index(peak)]
    line = (f"Ventes par jour, {fmt.date_range(start, end, FR)}. "
            f"Maximum : {fmt.money(peak, FR)} ({fmt.nice_date(top_day, FR)})")
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_content()
    assert line in text, text
    assert 'alt="Ventes par jour' in html.get_content()


def test_a_window_without_sales_still_gets_a_chart_that_says_so(setup):
    engine, service, _ = setup
    made = chart_mod.sales_chart(service, "state=SP", "daily",
                                 (date(2021, 6, 1), date(2021, 6, 1)))
    assert made.peak is None and len(made.values) == 30
    assert made.summary(FR).endswith(": Aucune vente sur cette période")
    image = Image.open(io.BytesIO(made.png(FR))).convert("RGB")
    assert image.size == (560, 180)
    colours = {c for _, c in image.getcolors(maxcolors=4096)}
    assert chart_mod.BAR not in colours and chart_mod.HIGHLIGHT not in colours


def test_a_monthly_digest_shows_twelve_months_ending_with_its_month(setup):
    engine, service, _ = setup
    made = chart_mod.sales_chart(service, "", "monthly", (date(2020, 3, 1),
                                                          date(2020, 3, 31)))
    assert made.window == chart_mod.Window(date(2019, 4, 1), date(2020, 3, 31), "month")
    assert [d for d, _ in made.values][-1] == date(2020, 3, 1) and len(made.values) == 12
    assert made.peak is not None and made.peak[0] == date(2020, 3, 1)
    kpis = service.kpis(service.parse({"start": ["2020-03-01"], "end": ["2020-03-31"]}))
    assert made.peak[1] == Decimal(str(kpis["current"]["sales"]))
    image = Image.open(io.BytesIO(made.png(FR))).convert("RGB")
    x0, x1 = chart_mod.slot_box(11, 12)
    assert bar_pixels(image, (x0 + x1) // 2)[chart_mod.HIGHLIGHT] == \
        chart_mod.BOTTOM - chart_mod.TOP
    x0, x1 = chart_mod.slot_box(10, 12)  # February 2020: before the data
    assert bar_pixels(image, (x0 + x1) // 2) == {chart_mod.BAR: 0, chart_mod.HIGHLIGHT: 0}
