"""The *Targets* and *Events* dialogs, opened from the header's Views menu: what the shop
plans (a month's sales target) and what happened to it (a sale, an outage), set on the
page as with `pulse target set` / `pulse event add` and `/api/v1/targets` / `/events`.

The same rows and the same checks (`dashapp/userdata.py` behind all three); a refused
field is told in the reader's language (the check's own message stays the API's). After
a change the `plans-version` store is bumped: `callbacks.register_plans_redraw` then
redraws the Sales card's "% of target" and the time chart (target line, event bands) at
once, from the view's cached numbers, and the impact panel lists its event presets again.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ..filters import FilterError
from ..service import DatabaseUnavailable
from ..userdata import UnknownUser, UserData
from . import formatting as fmt
from .alerts import owner_of
from .formatting import N_
from .i18n import Lang, lang_of

TARGET_HINTS = {
    "month": N_("Give the month as YYYY-MM (for example 2018-03)."),
    "amount": N_("Give the amount: a number not below zero, with at most 2 decimals."),
    "state": N_("A target is for the whole shop, one state or one category: choose a "
                "state or a category, not both."),
    "category": N_("A target is for the whole shop, one state or one category: choose a "
                   "state or a category, not both."),
}
EVENT_HINTS = {
    "start": N_("Give the first day as YYYY-MM-DD."),
    "end": N_("Give the last day as YYYY-MM-DD, on or after the first day (or leave it "
              "empty for a one-day event)."),
    "label": N_("Give the event a label (up to 100 characters)."),
    "note": N_("The note is too long (up to 2,000 characters)."),
}
TARGETS_UNAVAILABLE = N_("Targets are unavailable")
EVENTS_UNAVAILABLE = N_("Events are unavailable")


def refusal(exc: FilterError, hints: dict[str, str], lang: Lang) -> dbc.Alert:
    """A refused field in the reader's language: its hint, else the field's name."""
    hint = hints.get(exc.parameter or "")
    text = lang.gettext(hint) if hint else lang.gettext(
        "Check the field %(field)s.") % {"field": exc.parameter}
    return dbc.Alert(text, color="warning", className="mb-0")


def _field(label: str, control: Any, md: int) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id), control], md=md)


def _dialog(ident: str, title: str, body: list[Any], lang: Lang) -> dbc.Modal:
    return dbc.Modal(id=f"{ident}-modal", is_open=False, size="lg", scrollable=True,
                     children=[dbc.ModalHeader(dbc.ModalTitle(title)),
                               dbc.ModalBody(body),
                               dbc.ModalFooter(dbc.Button(lang.gettext("Close"),
                                                          id=f"{ident}-close",
                                                          color="secondary"))])


def targets_dialog(lang: Lang) -> dbc.Modal:
    _ = lang.gettext
    form = dbc.Form([
        dbc.Row([
            _field(_("Month"), dbc.Input(id="target-month", size="sm", placeholder="YYYY-MM",
                                         maxLength=7, autoComplete="off"), 3),
            _field(_("Amount"), dbc.Input(id="target-amount", type="number", min=0,
                                          step=0.01, size="sm"), 3),
            _field(_("State (optional)"), dbc.Select(id="target-state", size="sm"), 3),
            _field(_("Category (optional)"), dbc.Select(id="target-category", size="sm"), 3),
        ], className="g-2"),
        dbc.FormText(_("Setting a month's target again replaces it.")),
        html.Div(dbc.Button(_("Set target"), id="target-set", color="primary", size="sm"),
                 className="mt-2"),
        html.Div(id="target-result", className="mt-2"),
    ])
    return _dialog("targets", _("Targets"), [
        html.Div(id="targets-list"), html.Hr(),
        html.H3(_("Set a target"), className="h6"), form], lang)


def events_dialog(lang: Lang) -> dbc.Modal:
    _ = lang.gettext
    form = dbc.Form([
        dbc.Row([
            _field(_("First day"), dbc.Input(id="event-start", size="sm",
                                             placeholder="YYYY-MM-DD", maxLength=10,
                                             autoComplete="off"), 3),
            _field(_("Last day (optional)"), dbc.Input(id="event-end", size="sm",
                                                       placeholder="YYYY-MM-DD", maxLength=10,
                                                       autoComplete="off"), 3),
            _field(_("Label"), dbc.Input(id="event-label", size="sm", maxLength=100,
                                         autoComplete="off"), 6),
        ], className="g-2"),
        dbc.Label(_("Note (optional)"), html_for="event-note", className="mt-1"),
        dbc.Textarea(id="event-note", size="sm", maxLength=2000),
        html.Div(dbc.Button(_("Add event"), id="event-add", color="primary", size="sm"),
                 className="mt-2"),
        html.Div(id="event-result", className="mt-2"),
    ])
    return _dialog("events", _("Events"), [
        html.Div(id="events-list"), html.Hr(),
        html.H3(_("New event"), className="h6"), form], lang)


def plans_dialogs(lang: Lang) -> list[Any]:
    """Both dialogs and the store that tells the view a target or an event changed."""
    return [targets_dialog(lang), events_dialog(lang), dcc.Store(id="plans-version", data=0)]


def scope_text(target: dict[str, Any], lang: Lang) -> str:
    if not target.get("dimension"):
        return lang.gettext("Whole shop")
    name = lang.gettext("State") if target["dimension"] == "state" else lang.gettext(
        "Category")
    return lang.gettext("%(dimension)s: %(value)s") % {"dimension": name,
                                                        "value": target["value"]}


def delete_button(kind: str, ident: int, lang: Lang) -> dbc.Button:
    return dbc.Button(lang.gettext("Delete"), id={"type": f"{kind}-delete", "id": ident},
                      size="sm", color="link", className="text-danger p-0")


def target_rows(targets: list[dict[str, Any]], lang: Lang) -> Any:
    _ = lang.gettext
    if not targets:
        return html.P(_("No targets yet"), className="text-muted")
    head = html.Thead(html.Tr([html.Th(t) for t in (_("Month"), _("Amount"), _("Scope"),
                                                    "")]))
    body = [html.Tr([html.Td(fmt.month(t["month"], lang)),
                     html.Td(fmt.money(t["amount"], lang), className="text-end"),
                     html.Td(scope_text(t, lang)),
                     html.Td(delete_button("target", t["id"], lang))],
                    **{"data-month": str(t["month"])[:7]})
            for t in targets]
    return dbc.Table([head, html.Tbody(body)], size="sm", className="targets-table")


def event_rows(events: list[dict[str, Any]], lang: Lang) -> Any:
    _ = lang.gettext
    if not events:
        return html.P(_("No events yet"), className="text-muted")
    head = html.Thead(html.Tr([html.Th(t) for t in (_("Dates"), _("Label"), _("Note"), "")]))
    body = [html.Tr([html.Td(fmt.nice_date(e["start_day"], lang)
                             if e["end_day"] == e["start_day"] else
                             fmt.date_range(e["start_day"], e["end_day"], lang)),
                     html.Td(str(e["label"])), html.Td(str(e.get("note") or "")),
                     html.Td(delete_button("event", e["id"], lang))])
            for e in events]
    return dbc.Table([head, html.Tbody(body)], size="sm", className="events-table")


def scope_options(values: list[str] | None, lang: Lang) -> list[dict[str, str]]:
    return [{"label": lang.gettext("(none)"), "value": ""},
            *({"label": v, "value": v} for v in values or ())]


def target_body(month: str | None, amount: Any, state: str | None,
                category: str | None) -> dict[str, Any]:
    """The dialog's fields as the API's JSON body (an emptied number input is None: the
    check then names the amount)."""
    return {"month": (month or "").strip(), "amount": amount,
            "state": state or None, "category": category or None}


def event_body(start: str | None, end: str | None, label: str | None,
               note: str | None) -> dict[str, Any]:
    return {"start": (start or "").strip(), "end": (end or "").strip() or None,
            "label": label or "", "note": note or None}


def register_plans(app: Dash, userdata: UserData) -> None:
    register_targets(app, userdata)
    register_events(app, userdata)


def _bump(version: int | None) -> int:
    return (version or 0) + 1


def register_targets(app: Dash, userdata: UserData) -> None:

    @app.callback(Output("targets-modal", "is_open"), Input("targets-open", "n_clicks"),
                  Input("targets-close", "n_clicks"), prevent_initial_call=True)
    def toggle_targets(_open: int | None, _close: int | None) -> bool:
        return ctx.triggered_id == "targets-open"

    @app.callback(Output("target-state", "options"), Output("target-category", "options"),
                  Output("target-month", "value"),
                  Input("targets-modal", "is_open"), State("meta", "data"),
                  State("view", "data"), State("target-month", "value"),
                  State("lang", "data"), prevent_initial_call=True)
    def target_choices(is_open: bool, meta: dict | None, view: dict | None,
                       month: str | None, lang_store: dict | None) -> tuple:
        """The data's states and categories; the month the view ends in as a start."""
        if not is_open:
            raise PreventUpdate
        lang = lang_of(lang_store)
        shown = str(((view or {}).get("filters") or {}).get("end") or "")[:7]
        return (scope_options((meta or {}).get("states"), lang),
                scope_options((meta or {}).get("categories"), lang),
                month or shown or no_update)

    @app.callback(Output("targets-list", "children"), Input("targets-modal", "is_open"),
                  Input("plans-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def list_targets(is_open: bool, _version: int | None, lang_store: dict | None) -> Any:
        if not is_open:
            raise PreventUpdate
        lang = lang_of(lang_store)
        try:
            return target_rows(userdata.targets(), lang)
        except DatabaseUnavailable:
            return dbc.Alert(lang.gettext(TARGETS_UNAVAILABLE), color="danger")

    @app.callback(Output("target-result", "children"), Output("plans-version", "data"),
                  Input("target-set", "n_clicks"), State("target-month", "value"),
                  State("target-amount", "value"), State("target-state", "value"),
                  State("target-category", "value"), State("plans-version", "data"),
                  State("lang", "data"), prevent_initial_call=True)
    def set_target(clicks: int | None, month: str | None, amount: Any, state: str | None,
                   category: str | None, version: int | None, lang_store: dict | None
                   ) -> tuple:
        if not clicks:
            raise PreventUpdate
        lang = lang_of(lang_store)
        try:
            owner_of(userdata)  # a removed user's session must not write either
            made = userdata.set_target(target_body(month, amount, state, category))
        except FilterError as exc:
            return refusal(exc, TARGET_HINTS, lang), no_update
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext(TARGETS_UNAVAILABLE), color="danger"), no_update
        text = lang.gettext("Target of %(month)s set to %(amount)s.") % {
            "month": fmt.month(made["month"], lang), "amount": fmt.money(made["amount"], lang)}
        return dbc.Alert(text, color="success", className="mb-0"), _bump(version)

    @app.callback(Output("plans-version", "data", allow_duplicate=True),
                  Input({"type": "target-delete", "id": ALL}, "n_clicks"),
                  State("plans-version", "data"), prevent_initial_call=True)
    def delete_target(clicks: list[int | None], version: int | None) -> int:
        if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
            raise PreventUpdate
        owner_of(userdata)
        userdata.delete_target(int(ctx.triggered_id["id"]))
        return _bump(version)


def register_events(app: Dash, userdata: UserData) -> None:

    @app.callback(Output("events-modal", "is_open"), Input("events-open", "n_clicks"),
                  Input("events-close", "n_clicks"), prevent_initial_call=True)
    def toggle_events(_open: int | None, _close: int | None) -> bool:
        return ctx.triggered_id == "events-open"

    @app.callback(Output("events-list", "children"), Input("events-modal", "is_open"),
                  Input("plans-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def list_events(is_open: bool, _version: int | None, lang_store: dict | None) -> Any:
        if not is_open:
            raise PreventUpdate
        lang = lang_of(lang_store)
        try:
            return event_rows(userdata.events(), lang)
        except DatabaseUnavailable:
            return dbc.Alert(lang.gettext(EVENTS_UNAVAILABLE), color="danger")

    @app.callback(Output("event-result", "children"),
                  Output("plans-version", "data", allow_duplicate=True),
                  Input("event-add", "n_clicks"), State("event-start", "value"),
                  State("event-end", "value"), State("event-label", "value"),
                  State("event-note", "value"), State("plans-version", "data"),
                  State("lang", "data"), prevent_initial_call=True)
    def add_event(clicks: int | None, start: str | None, end: str | None,
                  label: str | None, note: str | None, version: int | None,
                  lang_store: dict | None) -> tuple:
        if not clicks:
            raise PreventUpdate
        lang = lang_of(lang_store)
        try:
            owner_of(userdata)
            made = userdata.add_event(event_body(start, end, label, note))
        except FilterError as exc:
            return refusal(exc, EVENT_HINTS, lang), no_update
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext(EVENTS_UNAVAILABLE), color="danger"), no_update
        text = lang.gettext("Event “%(label)s” added.") % {"label": made["label"]}
        return dbc.Alert(text, color="success", className="mb-0"), _bump(version)

    @app.callback(Output("plans-version", "data", allow_duplicate=True),
                  Input({"type": "event-delete", "id": ALL}, "n_clicks"),
                  State("plans-version", "data"), prevent_initial_call=True)
    def delete_event(clicks: list[int | None], version: int | None) -> int:
        if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
            raise PreventUpdate
        owner_of(userdata)
        userdata.delete_event(int(ctx.triggered_id["id"]))
        return _bump(version)
