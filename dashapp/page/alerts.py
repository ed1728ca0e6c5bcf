"""The *Alerts* dialog, opened from the header's Views menu: the signed-in user's alerts
with their state and last value, a form for a new one on one of their saved views (the
one the page shows, when it is saved), deleting one, and one's history.

The same rows as `/api/v1/alerts` (`dashapp/userdata.py` behind both, the same checks);
`pulse notify run` checks them. One small callback per concern; `alerts-version` tells
the list to read the rows again after a change.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import g

from ..filters import FilterError
from ..metrics import KPI_FIELDS, MONEY_FIELDS
from ..service import DatabaseUnavailable
from ..userdata import UnknownUser, UserData
from . import formatting as fmt
from . import urlstate
from .formatting import N_
from .i18n import Lang, lang_of

WINDOW_LABELS = {"day": N_("Last day"), "week": N_("Last 7 days"),
                 "month": N_("Last calendar month")}
OP_LABELS = {"below": N_("below"), "above": N_("above"),
             "drop_pct": N_("down by more than (%)"), "rise_pct": N_("up by more than (%)")}
CHANNEL_LABELS = {"email": N_("E-mail (your address)"), "webhook": N_("Webhook (JSON POST)")}
STATUS_LABELS = {"due": N_("due"), "sent": N_("sent"), "failed": N_("failed")}
#: What the dialog says when a field is refused, in the reader's language (the check's own
#: message, for the API, is English).
FIELD_HINTS = {
    "view_id": N_("Choose one of your saved views."),
    "metric": N_("Choose a metric."),
    "window": N_("Choose a window: the last day, the last 7 days or the last month."),
    "op": N_("Choose a condition."),
    "threshold": N_("Give a threshold: a number (a rate as a fraction, 0.05 for 5%; a "
                    "change in percent)."),
    "channels": N_("Choose e-mail and/or webhook; e-mail needs an address on your "
                   "account."),
    "webhook_url": N_("Give the webhook's address (http:// or https://)."),
}
UNAVAILABLE = N_("Alerts are unavailable")


def _select(ident: str, options: dict[str, str], lang: Lang) -> dbc.Select:
    return dbc.Select(id=ident, size="sm", value=next(iter(options)),
                      options=[{"label": lang.gettext(v), "value": k}
                               for k, v in options.items()])


def alerts_dialog(lang: Lang) -> html.Div:
    _ = lang.gettext
    metrics = {f: fmt.KPI_LABELS[f] for f in KPI_FIELDS if f in fmt.KPI_LABELS}
    form = dbc.Form([
        dbc.Row([
            dbc.Col([dbc.Label(_("Saved view"), html_for="alert-view"),
                     dbc.Select(id="alert-view", size="sm")], md=6),
            dbc.Col([dbc.Label(_("Metric"), html_for="alert-metric"),
                     _select("alert-metric", metrics, lang)], md=6),
        ], className="g-2"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Window"), html_for="alert-window"),
                     _select("alert-window", WINDOW_LABELS, lang)], md=4),
            dbc.Col([dbc.Label(_("Condition"), html_for="alert-op"),
                     _select("alert-op", OP_LABELS, lang)], md=4),
            dbc.Col([dbc.Label(_("Threshold"), html_for="alert-threshold"),
                     dbc.Input(id="alert-threshold", type="number", min=0, size="sm")], md=4),
        ], className="g-2 mt-1"),
        dbc.FormText(_("Rates as fractions (0.05 is 5%); changes in percent (20 is 20%).")),
        dbc.Checklist(id="alert-channels", value=["email"], inline=True, className="mt-2",
                      options=[{"label": _(v), "value": k} for k, v in CHANNEL_LABELS.items()]),
        dbc.Input(id="alert-webhook", type="url", size="sm", className="mt-1",
                  placeholder=_("Webhook URL (https://…)"), maxLength=2000),
        dbc.Button(_("Add alert"), id="alert-create", color="primary", size="sm",
                   className="mt-2"),
        html.Div(id="alert-create-result", className="mt-2"),
    ])
    return dbc.Modal(id="alerts-modal", is_open=False, size="lg", scrollable=True, children=[
        dbc.ModalHeader(dbc.ModalTitle(_("Alerts"))),
        dbc.ModalBody([html.Div(id="alerts-list"), html.Div(id="alerts-history"), html.Hr(),
                       html.H3(_("New alert"), className="h6"), form,
                       dcc.Store(id="alerts-version", data=0)]),
        dbc.ModalFooter(dbc.Button(_("Close"), id="alerts-close", color="secondary")),
    ])


def owner_of(userdata: UserData) -> int | None:
    return userdata.owner(getattr(g, "pulse_user", None))


def threshold_text(alert: dict[str, Any], lang: Lang) -> str:
    value = alert["threshold"]
    if alert["op"] in ("drop_pct", "rise_pct"):
        return fmt.percent(float(value) / 100, lang)
    return fmt.kpi_value(alert["metric"], value if alert["metric"] in MONEY_FIELDS
                         else float(value), lang)


def value_text(metric: str, value: Any, lang: Lang) -> str:
    if value is None:
        return fmt.NONE
    return fmt.kpi_value(metric, value if metric in MONEY_FIELDS else float(value), lang)


def alert_rows(alerts: list[dict[str, Any]], views: dict[int, str], lang: Lang) -> Any:
    _ = lang.gettext
    if not alerts:
        return html.P(_("No alerts yet"), className="text-muted")
    head = html.Thead(html.Tr([html.Th(t) for t in (
        _("Saved view"), _("Rule"), _("State"), _("Last value"), "")]))
    body = []
    for a in alerts:
        rule = (f"{_(fmt.KPI_LABELS.get(a['metric'], a['metric']))} · "
                f"{_(WINDOW_LABELS[a['window']])} · {_(OP_LABELS[a['op']])} "
                f"{threshold_text(a, lang)}")
        state = (dbc.Badge(_("Triggered"), color="danger") if a["active"] else
                 dbc.Badge(_("OK"), color="success") if a["checked_at"] else
                 dbc.Badge(_("Not checked yet"), color="secondary"))
        body.append(html.Tr([
            html.Td(views.get(a["view_id"], "")), html.Td(rule), html.Td(state),
            html.Td(value_text(a["metric"], a["last_value"], lang)),
            html.Td([dbc.Button(_("History"), id={"type": "alert-history", "id": a["id"]},
                                size="sm", color="link"),
                     dbc.Button(_("Delete"), id={"type": "alert-delete", "id": a["id"]},
                                size="sm", color="link", className="text-danger")])]))
    return dbc.Table([head, html.Tbody(body)], size="sm", className="alerts-table")


def channel_text(row: dict[str, Any], channel: str, lang: Lang) -> str:
    status = row.get(f"{channel}_status")
    if not status:
        return ""
    error = row.get(f"{channel}_error")
    return lang.gettext(STATUS_LABELS[status]) + (f" ({error})" if error else "")


def history_table(alert: dict[str, Any], rows: list[dict[str, Any]], lang: Lang) -> Any:
    _ = lang.gettext
    if not rows:
        return html.P(_("This alert has not fired yet."), className="text-muted")
    head = html.Thead(html.Tr([html.Th(t) for t in (
        _("Fired"), _("Period"), _("Value"), _("Threshold"), _("E-mail"), _("Webhook"))]))
    body = [html.Tr([
        html.Td(fmt.timestamp(r["fired_at"], lang)),
        html.Td(fmt.date_range(r["period_start"], r["period_end"], lang)),
        html.Td(value_text(alert["metric"], r["value"], lang)
                + ("" if r["change"] is None else
                   f" ({fmt.signed_percent(float(r['change']) / 100, lang)})")),
        html.Td(threshold_text({**alert, "threshold": r["threshold"]}, lang)),
        html.Td(channel_text(r, "email", lang)), html.Td(channel_text(r, "webhook", lang)),
    ]) for r in rows]
    return html.Div([html.H3(_("History"), className="h6"),
                     dbc.Table([head, html.Tbody(body)], size="sm")])


def register_alerts(app: Dash, userdata: UserData) -> None:

    @app.callback(Output("alerts-modal", "is_open"), Input("alerts-open", "n_clicks"),
                  Input("alerts-close", "n_clicks"), prevent_initial_call=True)
    def toggle_alerts(_open: int | None, _close: int | None) -> bool:
        return ctx.triggered_id == "alerts-open"

    @app.callback(Output("alert-view", "options"), Output("alert-view", "value"),
                  Input("alerts-modal", "is_open"), State("url", "search"),
                  prevent_initial_call=True)
    def view_choices(is_open: bool, search: str | None) -> tuple:
        if not is_open:
            raise PreventUpdate
        try:
            views = userdata.views(owner_of(userdata))
        except (DatabaseUnavailable, UnknownUser):
            return [], None
        shown = next((v["id"] for v in views if urlstate.same_view(v["query"], search)),
                     views[0]["id"] if views else None)
        return [{"label": v["name"], "value": v["id"]} for v in views], shown

    @app.callback(Output("alerts-list", "children"), Input("alerts-modal", "is_open"),
                  Input("alerts-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def list_alerts(is_open: bool, _version: int | None, lang_store: dict | None) -> Any:
        if not is_open:
            raise PreventUpdate
        lang = lang_of(lang_store)
        try:
            owner = owner_of(userdata)
            views = {v["id"]: v["name"] for v in userdata.views(owner)}
            return alert_rows(userdata.alerts(owner), views, lang)
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext(UNAVAILABLE), color="danger")

    @app.callback(Output("alert-create-result", "children"),
                  Output("alerts-version", "data"),
                  Input("alert-create", "n_clicks"), State("alert-view", "value"),
                  State("alert-metric", "value"), State("alert-window", "value"),
                  State("alert-op", "value"), State("alert-threshold", "value"),
                  State("alert-channels", "value"), State("alert-webhook", "value"),
                  State("alerts-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def create_alert(clicks: int | None, view: Any, metric: str, window: str, op: str,
                     threshold: Any, channels: list[str] | None, webhook: str | None,
                     version: int | None, lang_store: dict | None) -> tuple:
        if not clicks:
            raise PreventUpdate
        lang = lang_of(lang_store)
        body = {"view_id": int(view) if str(view or "").isdigit() else view,
                "metric": metric, "window": window, "op": op, "threshold": threshold,
                "channels": channels or [],
                "webhook_url": webhook if "webhook" in (channels or []) else None}
        try:
            made = userdata.add_alert(owner_of(userdata), body)
        except FilterError as exc:
            hint = FIELD_HINTS.get(exc.parameter or "")
            text = lang.gettext(hint) if hint else lang.gettext(
                "Check the field %(field)s.") % {"field": exc.parameter}
            return dbc.Alert(text, color="warning"), no_update
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext(UNAVAILABLE), color="danger"), no_update
        if made is None:
            return dbc.Alert(lang.gettext("Choose one of your saved views."),
                             color="warning"), no_update
        return dbc.Alert(lang.gettext("Alert added."), color="success"), (version or 0) + 1

    @app.callback(Output("alerts-version", "data", allow_duplicate=True),
                  Input({"type": "alert-delete", "id": ALL}, "n_clicks"),
                  State("alerts-version", "data"), prevent_initial_call=True)
    def delete_alert(clicks: list[int | None], version: int | None) -> int:
        if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
            raise PreventUpdate
        userdata.delete_alert(owner_of(userdata), int(ctx.triggered_id["id"]))
        return (version or 0) + 1

    @app.callback(Output("alerts-history", "children"),
                  Input({"type": "alert-history", "id": ALL}, "n_clicks"),
                  State("lang", "data"), prevent_initial_call=True)
    def show_history(clicks: list[int | None], lang_store: dict | None) -> Any:
        if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
            raise PreventUpdate
        lang = lang_of(lang_store)
        owner = owner_of(userdata)
        alert_id = int(ctx.triggered_id["id"])
        alert, rows = userdata.alert(owner, alert_id), userdata.alert_history(owner, alert_id)
        if alert is None or rows is None:
            return ""
        return history_table(alert, rows, lang)
