"""Callbacks: thin glue between the URL (the filter state), `PulseService` and `charts`.

The flow, one small callback per concern:

    refresh (Interval) -> status {version, error}      poll: redraw only when it changed
    status             -> meta + header + options       what the data holds
    url + meta + filter bar <-> url + filter bar        the bar shows and edits the URL
    chart clicks / drag / quick picks / reset -> url    cross-filtering writes the URL
    url + status       -> view {filters, notices} and   one callback: validate once, one
                          every card, chart and table   cached dashboard(), one response
    view               -> insight panels, quick picks   after the main picture
    view + orders scope -> orders panel                 a card's/chart's "orders", a
                                                        shift-click (panels/orders.py)

The URL is the single source of truth, so Back/Forward, bookmarks and the
filter bar cannot disagree. No callback runs SQL: all data comes from the
service, whose cache is keyed by data version and filters, so the panels
that follow the view (and the API, for the same filters) reuse its result.
Exceptions never reach the page: database errors become the banner,
anything else is logged and the previous picture stays.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypeVar

from dash import ALL, Dash, Input, Output, Patch, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ..config import Settings
from ..filters import DATE_PARAMS, FilterError, Filters
from ..insight.answers import InsightAnswers
from ..jsonout import to_csv
from ..service import DatabaseUnavailable, NoData, PulseService, Reader
from ..userdata import UserData
from . import charts, drawn, gates, tables, urlstate
from . import formatting as fmt
from .alerts import register_alerts
from .digests import register_digests
from .geo import GeoData, load_geo
from .i18n import Lang, lang_of
from .layout import KPI_ELEMENTS, quick_pick_buttons
from .lazy import register_gates
from .panels import sellers as seller_panel
from .panels.customers import register_customer_callbacks
from .panels.forecast import register_forecast_callbacks
from .panels.impact import register_event_presets, register_insight_callbacks
from .panels.orders import register_orders_callbacks
from .panels.sellers import register_seller_callbacks, seller_options
from .panels.shortages import register_shortage_callbacks
from .plans import register_plans
from .problems import error_message, view_error
from .savedviews import register_saved_views

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
RETRY_MS = 5000  # how often to retry while the database is unreachable

FILTER_DROPDOWNS = tables.FILTER_DROPDOWNS


def guarded(fn: F) -> F:
    """No traceback reaches the page: unexpected errors are logged, the view stays as it was."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PreventUpdate:
            raise
        except (DatabaseUnavailable, NoData) as exc:
            log.warning("%s: %s", fn.__name__, exc)
            raise PreventUpdate from None
        except Exception:  # noqa: BLE001 - the page must survive any bug in one panel
            log.exception("callback %s failed", fn.__name__)
            raise PreventUpdate from None
    return wrapper  # type: ignore[return-value]


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def resolve_view(service: PulseService, search: str | None
                 ) -> tuple[dict[str, Any], dict]:
    """Validate the URL's filters into the view the page shows, and its dashboard data
    (computed once, through the cache: the caller draws from this payload).

    A wrong parameter does not break the page: it is dropped, named in a
    notice, and the rest of the link still applies. A link without dates shows the
    default range (`urlstate.default_range`: the last 12 whole months, compared with the
    12 before); the insight panels then read the whole history (`insight_filters`), as
    their models need it.
    """
    with service.reader() as reader:  # one view of the data for all of it (service.py)
        return _resolve_in(service, reader, search)


def _resolve_in(service: PulseService, reader: Reader, search: str | None
                ) -> tuple[dict[str, Any], dict]:
    params = urlstate.without_page_params(urlstate.parse_search(search))
    if "range" in params:  # a saved view's relative preset, against today's data
        domain = service.domain(reader)
        params = urlstate.resolve_preset(params, domain.min_day, domain.max_day)
    notices: list[dict[str, str]] = []
    filters: Filters | None = None
    for _ in range(len(params) + 2):
        try:
            filters = service.parse(params, reader=reader)
            break
        except FilterError as exc:
            notices.append({"parameter": exc.parameter, "message": exc.message,
                            "template": exc.template, "values": exc.values})
            if exc.parameter in params:
                params.pop(exc.parameter)
            elif exc.parameter in DATE_PARAMS:
                params = {k: v for k, v in params.items() if k not in DATE_PARAMS}
            else:
                params = {}
    if filters is None:  # cannot happen: {} always parses; kept as a guard
        filters = service.parse({}, reader=reader)
    history = filters  # what the insight models read: all of it unless the link names dates
    if not any(name in params for name in DATE_PARAMS):
        domain = service.domain(reader)
        start, end = urlstate.default_range(domain.min_day, domain.max_day)
        if start and end:
            filters = replace(filters, start=start, end=end)
    payload = service.dashboard(filters, reader=reader)
    return {
        "version": reader.version,
        "search": search or "",
        "filters": filters.to_json(),
        "insight_filters": history.to_json(),
        "previous_period": payload["kpis"]["previous_period"],
        "empty": not payload["kpis"]["current"]["orders"],
        "notices": notices,
        "error": None,
    }, payload


def next_status(previous: dict | None, version: str | None, error: str | None,
                view: dict | None) -> dict | None:
    """The new status, or None when nothing changed (so nothing redraws)."""
    stale_view = bool(view and view.get("error") and error is None)
    if (previous and previous.get("version") == version and previous.get("error") == error
            and not stale_view):
        return None
    epoch = (previous or {}).get("epoch", 0) + 1
    return {"version": version, "error": error, "epoch": epoch}


def map_patch(figure: Any) -> Patch:
    """Update the map's traces in place: everything but the GeoJSON, which the browser
    already has from the page (sending 650 kB per click would make every filter slow)."""
    patch = Patch()
    for key in ("font", "hoverlabel"):  # the theme's text and hover colours
        patch["layout"][key] = figure.layout[key].to_plotly_json()
    for i, trace in enumerate(figure.data):
        values = trace.to_plotly_json()
        values.setdefault("selectedpoints", None)  # None is left out of the JSON: clear it
        for key, value in values.items():
            if key not in ("geojson", "type", "featureidkey"):
                patch["data"][i][key] = value
    return patch


def _clicked(click: dict | None) -> dict | None:
    points = (click or {}).get("points") or []
    return points[0] if points else None


def register_callbacks(app: Dash, service: PulseService, answers: InsightAnswers,
                       settings: Settings, userdata: UserData | None = None) -> None:
    """Wire the page, one concern at a time; the map's GeoJSON is read here, once per
    process."""
    geo = load_geo(str(settings.geojson), settings.geo_key)
    register_status(app, service, settings.refresh_seconds * 1000)
    register_meta(app, service)
    register_filter_bar(app)
    register_theme(app)
    register_cross_filter(app)
    register_grain(app)
    register_view(app, service, geo, userdata)
    register_export(app, service)
    register_gates(app)
    gates.register_view_gates(app)
    register_orders_callbacks(app, service)
    register_customer_callbacks(app, service)
    register_insight_callbacks(app, answers)
    register_forecast_callbacks(app, answers)
    register_shortage_callbacks(app, answers)
    if userdata is not None:
        register_saved_views(app, userdata)
        register_alerts(app, userdata)
        register_digests(app, userdata)
        register_plans(app, userdata)
        register_plans_redraw(app, service, userdata)
        register_event_presets(app, userdata)
    register_seller_callbacks(app, service)


def dashboard(service: PulseService, view: dict | None) -> tuple[dict, dict, bool]:
    """The dashboard payload of a shown view's filters (cached), its filters as JSON, and
    whether it is still the shown view's data (False once a load has come since: the
    payload is then the new data's, whole, and the caller redraws the view)."""
    if not view or view.get("error") or not view.get("filters"):
        raise PreventUpdate
    filters = Filters.from_json(view["filters"])
    with service.reader() as reader:
        payload = service.dashboard(filters, reader=reader)
        return payload, view["filters"], reader.version == view.get("version")


# --- data status: poll the version, retry quickly while the database is down ---------------


def register_status(app: Dash, service: PulseService, refresh_ms: int) -> None:

    @app.callback(
        Output("status", "data"), Output("refresh", "interval"), Output("refresh", "disabled"),
        Input("refresh", "n_intervals"), State("status", "data"), State("view", "data"),
    )
    def poll(_n: int | None, status: dict | None, view: dict | None) -> tuple:
        try:
            version: str | None = service.version()
            error = None
        except NoData:  # reachable but no schema yet: the view's notice says what to do
            version, error = "", None
        except DatabaseUnavailable as exc:
            version = (status or {}).get("version")
            error = str(exc) or exc.__class__.__name__
        except Exception:  # noqa: BLE001
            log.exception("version check failed")
            raise PreventUpdate from None
        new = next_status(status, version, error, view)
        if error:
            interval = min(refresh_ms, RETRY_MS) if refresh_ms else RETRY_MS
            return (new if new is not None else no_update), interval, False
        return (new if new is not None else no_update,
                max(refresh_ms, 1000), refresh_ms == 0)

    @app.callback(
        Output("db-error-banner", "children"), Output("db-error-banner", "hidden"),
        Input(gates.BANNER_ERROR, "data"), State("lang", "data"),
    )
    @guarded
    def banner(error: str | None, lang_store: dict | None) -> tuple:
        """The database error (the status's, else the view's), as the gate passes it on
        when it changes (gates.py)."""
        if not error:
            return [], True
        _ = lang_of(lang_store).gettext
        return [html.Strong(_("The database is unreachable. ")),
                html.Span(_("The figures below may be out of date; the page retries by "
                            "itself every few seconds. ")),
                html.Span(f"({error})", className="small")], False


# --- what the data holds ---------------------------------------------------------------------


def register_meta(app: Dash, service: PulseService) -> None:

    @app.callback(
        Output("meta", "data"),
        Output("data-range", "children"), Output("data-asof", "children"),
        Output("synthetic-badge", "style"),
        Output("f-state", "options"), Output("f-category", "options"),
        Output("f-payment_type", "options"),
        Output("f-dates", "min_date_allowed"), Output("f-dates", "max_date_allowed"),
        Output("quick-picks", "children"),
        Input("status", "data"), State("meta", "data"), State("lang", "data"),
    )
    @guarded
    def show_meta(status: dict | None, old: dict | None, lang_store: dict | None) -> tuple:
        if not status or status.get("error") or not status.get("version"):
            raise PreventUpdate
        meta = service.meta()
        keep = {k: meta.get(k) for k in ("data_version", "loaded_at", "synthetic", "start",
                                         "end", "states", "categories", "payment_types")}
        if keep == old:
            raise PreventUpdate
        first, last = _day(meta.get("start")), _day(meta.get("end"))
        lang = lang_of(lang_store)
        return (
            keep,
            fmt.date_range(first, last, lang),
            fmt.timestamp(meta.get("loaded_at"), lang),
            {} if meta.get("synthetic") else {"display": "none"},
            [{"label": s, "value": s} for s in meta.get("states") or ()],
            [{"label": c, "value": c} for c in meta.get("categories") or ()],
            [{"label": fmt.payment_label(p, lang.gettext), "value": p}
             for p in meta.get("payment_types") or ()],
            meta.get("start"), meta.get("end"),
            quick_pick_buttons(urlstate.quick_picks(first, last), lang),
        )


# --- the filter bar shows and edits the URL ----------------------------------------------------


def register_filter_bar(app: Dash) -> None:

    @app.callback(
        Output("url", "search"),
        Output("f-dates", "start_date"), Output("f-dates", "end_date"),
        *[Output(f"f-{name}", "value") for name in FILTER_DROPDOWNS],
        Output("f-seller", "options"),
        Output({"type": "lang-link", "code": ALL}, "href"),
        Input("url", "search"), Input("meta", "data"),
        Input("f-dates", "start_date"), Input("f-dates", "end_date"),
        *[Input(f"f-{name}", "value") for name in FILTER_DROPDOWNS],
        State({"type": "lang-link", "code": ALL}, "id"),
    )
    @guarded
    def sync_filter_bar(search: str | None, meta: dict | None, start: str | None,
                        end: str | None, *values_and_links: Any) -> tuple:
        """The bar shows the URL, and the URL follows the bar. The language menu's links
        are the URL in each language: they follow it in the same response (a callback of
        their own cost every filter change one more request for a few strings)."""
        *values, link_ids = values_and_links
        if ctx.triggered_id in (None, "url", "meta"):
            c = urlstate.controls_from_search(search, meta)
            shown = (start, end, *values)
            wanted = (c.start, c.end, *[getattr(c, name) for name in FILTER_DROPDOWNS])
            # only what differs: every control redrawn costs the browser a render pass
            changed = [w if w != s or ctx.triggered_id is None else no_update
                       for w, s in zip(wanted, shown, strict=True)]
            # the seller picker's options come in the same response as its value: Dash's
            # dropdown drops a value its options lack (the picker fills them in as the
            # person types: panels/sellers.py)
            options = seller_options(c.seller) if changed[-1] is not no_update \
                else no_update
            links = language_links(search, link_ids) if ctx.triggered_id != "meta" \
                else [no_update] * len(link_ids)
            return (no_update, *changed, options, links)
        edited = urlstate.Controls(start, end, *[list(v or []) for v in values])
        new = urlstate.keep_page_params(urlstate.search_from_controls(edited, meta), search)
        if urlstate.same_view(new, search):
            raise PreventUpdate
        return (new, *[no_update] * (3 + len(FILTER_DROPDOWNS)), [no_update] * len(link_ids))

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input({"type": "quick", "key": ALL}, "n_clicks"),
        State("url", "search"), State("meta", "data"),
        prevent_initial_call=True,
    )
    @guarded
    def quick_pick(clicks: list[int | None], search: str | None, meta: dict | None) -> str:
        trigger = ctx.triggered_id
        if not trigger or not any(clicks) or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        meta = meta or {}
        first, last = _day(meta.get("start")), _day(meta.get("end"))
        start, end = urlstate.quick_range(trigger["key"], first, last)
        new = urlstate.build_search(urlstate.with_dates(urlstate.parse_search(search),
                                                        start, end, first, last))
        if urlstate.same_view(new, search):
            raise PreventUpdate
        return new

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("reset", "n_clicks"), State("url", "search"),
        prevent_initial_call=True,
    )
    @guarded
    def reset(clicks: int | None, search: str | None) -> str:
        if not clicks or not search:
            raise PreventUpdate
        return urlstate.keep_page_params("", search)


# --- the language menu: its links are this view in each language ------------------------------


def language_links(search: str | None, ids: list[dict]) -> list[str]:
    """Each language's link keeps the filters, so a switch shows the same view (drawn by
    `sync_filter_bar`, which follows the URL)."""
    return [urlstate.with_lang(search, str(i["code"]).replace("_", "-")) for i in ids]


# --- light and dark ------------------------------------------------------------------------


def register_theme(app: Dash) -> None:
    """The theme is a view setting: a link's `theme=` wins and is remembered (the `theme`
    store lives in localStorage), a link without one shows the remembered theme, and the
    switch writes both, keeping every filter of the URL."""

    # a link's theme, read as `urlstate.view_setting` reads it (the last of its `theme`
    # values, repeated or comma-separated, lowercased; anything else is no theme): in the
    # browser, as the time chart's grain (a server request on every URL change for it
    # nearly always changed nothing)
    app.clientside_callback(
        """function (search, remembered) {
            const given = new URLSearchParams(search || '').getAll('theme').join(',')
                .split(',').map(v => v.trim()).filter(v => v);
            const last = given.length ? given[given.length - 1].toLowerCase() : '';
            const linked = (last === 'light' || last === 'dark') ? last : null;
            return (linked === null || linked === remembered)
                ? window.dash_clientside.no_update : linked;
        }""",
        Output("theme", "data", allow_duplicate=True),
        Input("url", "search"), State("theme", "data"),
        prevent_initial_call="initial_duplicate",
    )

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Output("theme", "data", allow_duplicate=True),
        Input("theme-switch", "n_clicks"), State("url", "search"), State("theme", "data"),
        prevent_initial_call=True,
    )
    @guarded
    def switch_theme(clicks: int | None, search: str | None, current: str | None) -> tuple:
        if not clicks:
            raise PreventUpdate
        new = "light" if current == "dark" else "dark"
        return urlstate.with_view_setting(search, "theme", new), new

    # the document's colour mode (Bootstrap 5.3 `data-bs-theme`) and the switch's label
    app.clientside_callback(
        """function (theme) {
            const dark = theme === 'dark';
            document.documentElement.setAttribute('data-bs-theme', dark ? 'dark' : 'light');
            const labels = (document.getElementById('theme-switch') || {}).dataset || {};
            return [dark ? labels.light : labels.dark, dark ? 'true' : 'false'];
        }""",
        Output("theme-switch", "children"), Output("theme-switch", "aria-pressed"),
        Input("theme", "data"),
    )


# --- cross-filtering: chart clicks and the time drag write the URL -----------------------------


def click_to_url(name: str, key: str | None, search: str | None,
                 clear: tuple[str, ...] = ()) -> str:
    if not key:
        return no_update  # type: ignore[return-value]
    new = urlstate.build_search(urlstate.toggle(urlstate.parse_search(search), name, key,
                                                clear))
    return no_update if urlstate.same_view(new, search) else new  # type: ignore[return-value]


def register_cross_filter(app: Dash) -> None:

    @app.callback(
        Output("url", "search", allow_duplicate=True), Output("state-map", "clickData"),
        Input("state-map", "clickData"), State("url", "search"),
        prevent_initial_call=True,
    )
    @guarded
    def click_state(click: dict | None, search: str | None) -> tuple:
        point = _clicked(click)
        if point is None:
            raise PreventUpdate
        return click_to_url("state", point.get("location"), search, clear=("region",)), None

    @app.callback(
        Output("url", "search", allow_duplicate=True), Output("category-chart", "clickData"),
        Input("category-chart", "clickData"), State("url", "search"),
        prevent_initial_call=True,
    )
    @guarded
    def click_category(click: dict | None, search: str | None) -> tuple:
        point = _clicked(click)
        if point is None:
            raise PreventUpdate
        custom = point.get("customdata") or []
        if len(custom) < 6 or custom[5]:  # the grouped "other" bar is not a category
            return no_update, None
        return click_to_url("category", custom[0], search), None

    @app.callback(
        Output("url", "search", allow_duplicate=True), Output("payment-chart", "clickData"),
        Input("payment-chart", "clickData"), State("url", "search"),
        prevent_initial_call=True,
    )
    @guarded
    def click_payment(click: dict | None, search: str | None) -> tuple:
        point = _clicked(click)
        if point is None:
            raise PreventUpdate
        custom = point.get("customdata") or []
        return click_to_url("payment_type", custom[0] if custom else None, search), None

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Output("timeseries-chart", "selectedData"),
        Input("timeseries-chart", "selectedData"), State("url", "search"),
        State("meta", "data"),
        prevent_initial_call=True,
    )
    @guarded
    def drag_dates(selected: dict | None, search: str | None, meta: dict | None) -> tuple:
        x_range = ((selected or {}).get("range") or {}).get("x")
        if not x_range or len(x_range) != 2:
            raise PreventUpdate
        meta = meta or {}
        first, last = _day(meta.get("start")), _day(meta.get("end"))
        drag = (urlstate.day_drag_range if urlstate.view_setting(search, "grain") == "day"
                else urlstate.drag_range)
        start, end = drag(x_range[0], x_range[1], first, last)
        new = urlstate.build_search(urlstate.with_dates(urlstate.parse_search(search),
                                                        start, end, first, last))
        return (no_update if urlstate.same_view(new, search) else new), None

    @app.callback(
        Output({"type": "quick", "key": ALL}, "outline"),
        Input(gates.SHOWN_RANGE, "data"), Input("meta", "data"),
        State({"type": "quick", "key": ALL}, "id"),
    )
    @guarded
    def mark_quick_pick(shown: list | None, meta: dict | None, ids: list[dict]) -> list[bool]:
        """The quick pick matching the shown range (the view's dates, as the gate passes
        them on when they change: gates.py) is filled, the others outlined."""
        if not shown or not meta:
            raise PreventUpdate
        active = urlstate.active_quick(_day(shown[0]), _day(shown[1]),
                                       _day(meta.get("start")), _day(meta.get("end")))
        return [i["key"] not in active for i in ids]


def register_grain(app: Dash) -> None:
    """The time chart's Month/Day toggle, kept in the URL (`grain=`) like a filter.

    The toggle follows the URL in the browser: a server callback on every URL change
    would cost each filter click one more request that nearly always changes nothing.
    The URL's value is read as `urlstate.view_setting` reads it (the last of its `grain`
    values, repeated or comma-separated, lowercased; anything else is the monthly
    default). A click goes to the server, which
    writes the URL with `urlstate.with_grain`."""

    app.clientside_callback(
        """function (search, current) {
            const given = new URLSearchParams(search || '').getAll('grain').join(',')
                .split(',').map(v => v.trim()).filter(v => v);
            const last = given.length ? given[given.length - 1].toLowerCase() : '';
            const shown = last === 'day' ? 'day' : 'month';
            return shown === current ? window.dash_clientside.no_update : shown;
        }""",
        Output("timeseries-grain", "value"),
        Input("url", "search"), State("timeseries-grain", "value"),
    )

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("timeseries-grain", "value"), State("url", "search"),
        prevent_initial_call=True,
    )
    @guarded
    def grain(chosen: str | None, search: str | None) -> str:
        """A click on the toggle writes its grain into the URL (nothing when the URL
        already says it, as after the toggle followed a link)."""
        if (urlstate.view_setting(search, "grain") or "month") == chosen:
            raise PreventUpdate
        return urlstate.with_grain(search, chosen)


# --- the view: validate once, compute once, draw everything from one payload -----------------


def compute_view(service: PulseService, search: str | None) -> tuple[dict, dict | None]:
    """`resolve_view`, with every failure turned into the view's error (never raised)."""
    try:
        return resolve_view(service, search)
    except (DatabaseUnavailable, NoData) as exc:
        return {"error": view_error(exc), "search": search or ""}, None
    except Exception as exc:  # noqa: BLE001
        log.exception("computing the view for %r failed", search)
        return {"error": view_error(exc), "search": search or ""}, None


def notices(view: dict, lang: Lang) -> tuple:
    error = view.get("error") or {}
    if error:
        return [html.Strong(lang.gettext("Nothing to show yet. ")),
                error_message(error, lang)], False, True, no_update
    found = view.get("notices") or []
    return (tables.link_notice(found, lang) if found else [], not found,
            not view.get("empty"),
            tables.view_caption(view["filters"], view.get("previous_period") or {}, lang))


@dataclass(frozen=True)
class Plans:
    """What people added for the view: targets by month ("YYYY-MM"), the sales card's
    progress (`UserData.progress`) and the events of its range."""

    targets: dict[str, Any] = field(default_factory=dict)
    progress: dict | None = None
    events: list[dict] = field(default_factory=list)


def plans_for(userdata: UserData | None, view: dict, payload: dict) -> Plans:
    """Read on every view (never cached: a target set a second ago shows now). Their
    database being unreachable leaves the numbers drawn without them."""
    if userdata is None:
        return Plans()
    filters = Filters.from_json(view["filters"])
    try:
        monthly = userdata.monthly_targets(filters)
        targets = {m.isoformat()[:7]: a for m, a in monthly.items()}
        progress = userdata.progress(filters, payload["kpis"]["current"].get("sales"), monthly)
        return Plans(targets, progress, userdata.events(filters.start, filters.end))
    except DatabaseUnavailable as exc:
        log.warning("targets and events unavailable: %s", exc)
        return Plans()


def target_text(progress: dict | None, lang: Lang) -> str:
    if not progress or progress.get("ratio") is None:
        return ""
    return lang.gettext("%(share)s of target %(target)s") % {
        "share": fmt.percent(float(progress["ratio"]), lang, 0),
        "target": fmt.money(progress["target"], lang)}


def kpi_cards(payload: dict, lang: Lang, plans: Plans | None = None) -> tuple:
    kpis = payload["kpis"]
    values = [fmt.kpi_value(f, kpis["current"].get(f), lang) for f in KPI_ELEMENTS]
    changes = [fmt.change_text(kpis["growth"].get(f), lang) for f in KPI_ELEMENTS]
    classes = [f"kpi-change tone-{fmt.tone(f, kpis['growth'].get(f))}" for f in KPI_ELEMENTS]
    return (*values, *changes, *classes, target_text((plans or Plans()).progress, lang))


def series_points(service: PulseService, payload: dict, filters: dict, grain: str
                  ) -> list[dict]:
    """The sales-over-time chart's points: the dashboard's months, or the same filters'
    days (`/api/v1/timeseries?grain=day`, cached like every service answer)."""
    if grain != "day":
        return payload["timeseries"]["points"]
    return service.timeseries(Filters.from_json(filters), "day")["points"]


def timeseries_chart(payload: dict, filters: dict, lang: Lang, plans: Plans | None = None,
                     grain: str = "month", points: list[dict] | None = None) -> Any:
    """`points`: the chart's (`series_points`), default the dashboard's months. Targets
    are monthly, so only the monthly chart draws them; events are days and ranges, drawn
    on both grains."""
    points = payload["timeseries"]["points"] if points is None else points
    fig = charts.timeseries_figure(points, lang, grain)
    if plans and points:
        if grain == "month":
            charts.add_targets(fig, points, plans.targets, lang)
        charts.add_events(fig, plans.events)
    fig.layout.uirevision = f"{filters.get('start')}/{filters.get('end')}/{grain}"
    return fig


def state_map(geo: GeoData, payload: dict, filters: dict, metric: str | None, lang: Lang,
              theme: str | None = None) -> Any:
    if geo.geojson is None or not geo.ids:
        return no_update
    selected = Filters.from_json(filters).effective_states() or ()
    fig = charts.map_figure(payload["state"]["rows"], metric or "sales", selected,
                            geo.ids, lang, geo.names, None, geo.key)
    return map_patch(charts.themed(fig, theme))


def category_chart(payload: dict, filters: dict, top: int | None, lang: Lang) -> Any:
    selected = filters.get("category") or []
    table = charts.category_table(payload["category"]["rows"], top or charts.DEFAULT_TOP_N,
                                  selected)
    return charts.category_figure(table, lang, selected)


def earnings(payload: dict, filters: dict, lang: Lang) -> Any:
    rows = charts.earnings_rows(payload["region"]["rows"], charts.selected_regions(filters),
                                lang.gettext)
    if not rows:
        return html.Div(lang.gettext(charts.EMPTY_MESSAGE), className="empty-table")
    return tables.earnings_table(rows, lang)


def panels(geo: GeoData, payload: dict, filters: dict, metric: str | None,
           top: int | None, lang: Lang, theme: str | None = None,
           plans: Plans | None = None, series: tuple[str, list[dict]] | None = None
           ) -> tuple:
    """Every chart and table of the view, in PANEL_OUTPUTS' order, drawn for the theme.
    `series`: the time chart's grain and points (default: the dashboard's months)."""
    grain, points = series or ("month", payload["timeseries"]["points"])
    return charts.themed_outputs((
        timeseries_chart(payload, filters, lang, plans, grain, points),
        charts.growth_figure(payload["timeseries"]["points"], lang),
        state_map(geo, payload, filters, metric, lang, theme),
        category_chart(payload, filters, top, lang),
        charts.payment_figure(payload["payment_type"]["rows"], lang,
                              filters.get("payment_type") or []),
        earnings(payload, filters, lang),
        tables.changes_table(payload["kpis"], lang),
    ), theme)


PANEL_OUTPUTS = (
    ("timeseries-chart", "figure"), ("growth-chart", "figure"), ("state-map", "figure"),
    ("category-chart", "figure"), ("payment-chart", "figure"),
    ("earnings-table", "children"), ("changes-table", "children"),
)
KPI_OUTPUTS = (
    *[(f"kpi-{f}", "children") for f in KPI_ELEMENTS],
    *[(f"kpi-{f}-change", "children") for f in KPI_ELEMENTS],
    *[(f"kpi-{f}-change", "className") for f in KPI_ELEMENTS],
    ("kpi-sales-target", "children"),
)


def draw_view(service: PulseService, geo: GeoData, view: dict, payload: dict, lang: Lang,
              theme: str | None, metric: str | None, top: int | None, plans: Plans,
              grain: str) -> tuple:
    """Everything `render_view` draws for a view after the view itself: notices, cards,
    charts and tables (the time chart's points at its grain)."""
    series = (grain, series_points(service, payload, view["filters"], grain))
    return (*notices(view, lang), *kpi_cards(payload, lang, plans),
            *panels(geo, payload, view["filters"], metric, top, lang, theme, plans, series))


def register_view(app: Dash, service: PulseService, geo: GeoData,
                  userdata: UserData | None = None) -> None:
    """One callback draws notices, cards, charts and tables: the browser then applies one
    update per filter change instead of one per panel, and each update costs the renderer
    a pass over the whole page (measured: this halves click-to-redrawn). Each panel is
    still its own pure function above; the map metric and the category top-N redraw only
    their panel."""
    unchanged_panels = (no_update,) * len(PANEL_OUTPUTS)
    unchanged_kpis = (no_update,) * len(KPI_OUTPUTS)
    drawn_views = drawn.DrawnViews()  # a view drawn once is sent again as drawn (drawn.py)

    @app.callback(
        Output("view", "data"),
        Output("view-notice", "children"), Output("view-notice", "hidden"),
        Output("empty-notice", "hidden"), Output("view-caption", "children"),
        *[Output(*o) for o in KPI_OUTPUTS], *[Output(*o) for o in PANEL_OUTPUTS],
        Input("url", "search"), Input("status", "data"),
        Input("map-metric", "value"), Input("category-top", "value"),
        Input("theme", "data"), State("view", "data"), State("lang", "data"),
    )
    @guarded
    def render_view(search: str | None, status: dict | None, metric: str | None,
                    top: int | None, theme: str | None, current: dict | None,
                    lang_store: dict | None) -> tuple:
        """The view (validated filters, computed once) and everything drawn from it.

        The view is an output too, so the panels that follow it (insight, quick picks)
        start after the main picture is on its way rather than competing with it."""
        if not status:
            raise PreventUpdate
        trigger = ctx.triggered_id
        lang = lang_of(lang_store)
        if trigger in ("map-metric", "category-top") and current and not current.get("error"):
            payload, filters, same_data = dashboard(service, current)
            if same_data:  # else a load came since: redraw everything from the new data
                redrawn = list(unchanged_panels)
                if trigger == "map-metric":
                    redrawn[2] = state_map(geo, payload, filters, metric, lang, theme)
                else:
                    redrawn[3] = charts.themed(category_chart(payload, filters, top, lang),
                                               theme)
                return (no_update, *(no_update,) * 4, *unchanged_kpis, *redrawn)
        view, payload = compute_view(service, search)
        if (view.get("error") or {}).get("kind") == "db":  # the banner says it; keep the picture
            return (view, *(no_update,) * 4, *unchanged_kpis, *unchanged_panels)
        if view.get("error") or payload is None:
            return (view, *notices(view, lang), *unchanged_kpis, *unchanged_panels)
        plans = plans_for(userdata, view, payload)
        grain = urlstate.view_setting(search, "grain") or "month"
        key = drawn.view_key(view, lang=lang_store, theme=theme, metric=metric, top=top,
                             grain=grain, plans=plans)
        return (view, *drawn_views.get_or_draw(key, lambda: draw_view(
            service, geo, view, payload, lang, theme, metric, top, plans, grain)))


def register_plans_redraw(app: Dash, service: PulseService, userdata: UserData) -> None:
    """A target or an event set in the Views menu's dialogs bumps `plans-version`: only
    what they are drawn on is redrawn (the Sales card's share of its target and the time
    chart), from the shown view's cached numbers, not the whole view."""

    @app.callback(
        Output("kpi-sales-target", "children", allow_duplicate=True),
        Output("timeseries-chart", "figure", allow_duplicate=True),
        Input("plans-version", "data"), State("view", "data"), State("url", "search"),
        State("theme", "data"), State("lang", "data"), prevent_initial_call=True,
    )
    @guarded
    def redraw_plans(_version: int | None, view: dict | None, search: str | None,
                     theme: str | None, lang_store: dict | None) -> tuple:
        payload, filters, same_data = dashboard(service, view)
        if not same_data:  # a load came since: the next poll redraws the whole view
            raise PreventUpdate
        lang = lang_of(lang_store)
        plans = plans_for(userdata, view or {}, payload)
        grain = urlstate.view_setting(search, "grain") or "month"
        points = series_points(service, payload, filters, grain)
        figure = timeseries_chart(payload, filters, lang, plans, grain, points)
        return target_text(plans.progress, lang), charts.themed(figure, theme)


# --- export ------------------------------------------------------------------------------------


def register_export(app: Dash, service: PulseService) -> None:
    @app.callback(
        Output("download", "data"),
        Input({"type": "csv", "chart": ALL}, "n_clicks"),
        State("view", "data"), State("category-top", "value"), State("seller-top", "value"),
        prevent_initial_call=True,
    )
    @guarded
    def export_csv(clicks: list[int | None], view: dict | None, top: int | None,
                   seller_top: int | None) -> Any:
        trigger = ctx.triggered_id
        if not trigger or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        # the view's filters on the data loaded now: a whole answer, old or new (after a
        # load the page redraws with the same data at its next poll)
        payload, filters, _ = dashboard(service, view)
        name = trigger["chart"]
        if name == "sellers":  # not in the dashboard payload: the panel's own answer
            rows, columns = seller_panel.export_rows(service, Filters.from_json(filters),
                                                     seller_top)
        else:
            rows, columns = export_rows(name, payload, filters, top or charts.DEFAULT_TOP_N)
        stem = urlstate.build_search(urlstate.without_page_params(
            urlstate.parse_search(view.get("search")))).lstrip("?")
        suffix = ("-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
                  )[:80] if stem else ""
        return dcc.send_string(to_csv(rows, columns), f"pulse-{name}{suffix}.csv",
                               type="text/csv")


def export_rows(name: str, payload: dict, filters: dict, top: int
                ) -> tuple[list[dict], list[str]]:
    """The numbers behind one chart or table, as (rows, columns) for CSV."""
    if name in ("timeseries", "growth"):
        return charts.timeseries_table(payload["timeseries"]["points"])
    if name == "map":
        return charts.map_table(payload["state"]["rows"])
    if name == "category":
        selected = filters.get("category") or []
        return charts.category_csv(charts.category_table(payload["category"]["rows"], top,
                                                         selected))
    if name == "payment":
        return charts.payment_table(payload["payment_type"]["rows"])
    if name == "earnings":
        return charts.earnings_csv(charts.earnings_rows(payload["region"]["rows"]))
    if name == "changes":
        return charts.changes_csv(payload["kpis"])
    raise PreventUpdate
