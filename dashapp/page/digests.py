"""The *Digests* dialog, opened from the header's Views menu: the signed-in user's e-mail
address, their subscriptions (a saved view e-mailed daily, weekly or monthly by
`pulse notify run`), subscribing one and stopping one.

The same rows and checks as `/api/v1/me` and `/api/v1/subscriptions` (`dashapp/userdata.py`
behind both); a refused field is told in the reader's language. `digests-version` tells
the list to read the rows again after a change.
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
from . import urlstate
from .alerts import owner_of
from .formatting import N_
from .i18n import Lang, lang_of
from .plans import refusal

FREQUENCY_LABELS = {"daily": N_("Daily"), "weekly": N_("Weekly"), "monthly": N_("Monthly")}
DIGEST_HINTS = {
    "view_id": N_("Choose one of your saved views."),
    "frequency": N_("Choose daily, weekly or monthly."),
    "email": N_("Give an e-mail address such as name@example.com, or leave the field "
                "empty to remove yours."),
}
UNAVAILABLE = N_("Digests are unavailable")
#: With sign-in off there is no account to hold an address or a subscription.
NEEDS_SIGN_IN = N_("Digests need sign-in: a user account, with its address.")


def digests_dialog(lang: Lang) -> dbc.Modal:
    _ = lang.gettext
    address = dbc.Form([
        dbc.Label(_("Your e-mail address (digests and alerts go there)"),
                  html_for="me-email"),
        dbc.InputGroup([dbc.Input(id="me-email", type="text", inputMode="email", size="sm",
                                  maxLength=254, autoComplete="email"),
                        dbc.Button(_("Save address"), id="me-save", color="primary",
                                   size="sm")], size="sm"),
        html.Div(id="me-result", className="mt-2"),
    ])
    form = dbc.Form([
        dbc.Row([
            dbc.Col([dbc.Label(_("Saved view"), html_for="digest-view"),
                     dbc.Select(id="digest-view", size="sm")], md=6),
            dbc.Col([dbc.Label(_("How often"), html_for="digest-frequency"),
                     dbc.Select(id="digest-frequency", size="sm", value="weekly",
                                options=[{"label": _(v), "value": k}
                                         for k, v in FREQUENCY_LABELS.items()])], md=3),
            dbc.Col(dbc.Button(_("Subscribe"), id="digest-subscribe", color="primary",
                               size="sm"), md=3, className="d-flex align-items-end"),
        ], className="g-2"),
        html.Div(id="digest-result", className="mt-2"),
    ])
    return dbc.Modal(id="digests-modal", is_open=False, size="lg", scrollable=True, children=[
        dbc.ModalHeader(dbc.ModalTitle(_("Digests"))),
        dbc.ModalBody([address, html.Hr(), html.Div(id="digests-list"), html.Hr(),
                       html.H3(_("Subscribe to a saved view"), className="h6"), form,
                       dcc.Store(id="digests-version", data=0)]),
        dbc.ModalFooter(dbc.Button(_("Close"), id="digests-close", color="secondary")),
    ])


def subscription_rows(subs: list[dict[str, Any]], views: dict[int, str], lang: Lang) -> Any:
    _ = lang.gettext
    if not subs:
        return html.P(_("No digests yet"), className="text-muted")
    head = html.Thead(html.Tr([html.Th(t) for t in (_("Saved view"), _("How often"),
                                                    _("Since"), _("State"), "")]))
    body = [html.Tr([
        html.Td(views.get(s["view_id"], "")), html.Td(_(FREQUENCY_LABELS[s["frequency"]])),
        html.Td(fmt.nice_date(s["created_at"].date() if hasattr(s["created_at"], "date")
                              else s["created_at"], lang)),
        html.Td(dbc.Badge(_("Stopped"), color="secondary") if s.get("unsubscribed_at")
                else dbc.Badge(_("Active"), color="success")),
        html.Td(dbc.Button(_("Delete"), id={"type": "digest-delete", "id": s["id"]},
                           size="sm", color="link", className="text-danger p-0")),
    ]) for s in subs]
    return dbc.Table([head, html.Tbody(body)], size="sm", className="digests-table")


def register_digests(app: Dash, userdata: UserData) -> None:

    @app.callback(Output("digests-modal", "is_open"), Input("digests-open", "n_clicks"),
                  Input("digests-close", "n_clicks"), prevent_initial_call=True)
    def toggle_digests(_open: int | None, _close: int | None) -> bool:
        return ctx.triggered_id == "digests-open"

    @app.callback(Output("digest-view", "options"), Output("digest-view", "value"),
                  Output("me-email", "value"),
                  Input("digests-modal", "is_open"), State("url", "search"),
                  prevent_initial_call=True)
    def digest_choices(is_open: bool, search: str | None) -> tuple:
        """The user's views (the one the page shows first chosen) and their address."""
        if not is_open:
            raise PreventUpdate
        try:
            owner = owner_of(userdata)
            views, me = userdata.views(owner), userdata.me(owner)
        except (DatabaseUnavailable, UnknownUser):
            return [], None, no_update
        shown = next((v["id"] for v in views if urlstate.same_view(v["query"], search)),
                     views[0]["id"] if views else None)
        return ([{"label": v["name"], "value": v["id"]} for v in views], shown,
                me["email"] or "")

    @app.callback(Output("digests-list", "children"), Input("digests-modal", "is_open"),
                  Input("digests-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def list_digests(is_open: bool, _version: int | None, lang_store: dict | None) -> Any:
        if not is_open:
            raise PreventUpdate
        lang = lang_of(lang_store)
        try:
            owner = owner_of(userdata)
            views = {v["id"]: v["name"] for v in userdata.views(owner)}
            return subscription_rows(userdata.subscriptions(owner), views, lang)
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext(UNAVAILABLE), color="danger")

    @app.callback(Output("digest-result", "children"), Output("digests-version", "data"),
                  Input("digest-subscribe", "n_clicks"), State("digest-view", "value"),
                  State("digest-frequency", "value"), State("digests-version", "data"),
                  State("lang", "data"), prevent_initial_call=True)
    def subscribe(clicks: int | None, view: Any, frequency: str | None,
                  version: int | None, lang_store: dict | None) -> tuple:
        if not clicks:
            raise PreventUpdate
        lang = lang_of(lang_store)
        body = {"view_id": int(view) if str(view or "").isdigit() else view,
                "frequency": frequency}
        try:
            owner = owner_of(userdata)
            if owner is None:
                return dbc.Alert(lang.gettext(NEEDS_SIGN_IN), color="warning"), no_update
            made = userdata.subscribe(owner, body)
        except FilterError as exc:
            return refusal(exc, DIGEST_HINTS, lang), no_update
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext(UNAVAILABLE), color="danger"), no_update
        if made is None:
            return refusal(FilterError("view_id", "no such view"), DIGEST_HINTS, lang), \
                no_update
        return (dbc.Alert(lang.gettext("Subscribed."), color="success", className="mb-0"),
                (version or 0) + 1)

    @app.callback(Output("digests-version", "data", allow_duplicate=True),
                  Input({"type": "digest-delete", "id": ALL}, "n_clicks"),
                  State("digests-version", "data"), prevent_initial_call=True)
    def delete_digest(clicks: list[int | None], version: int | None) -> int:
        if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
            raise PreventUpdate
        userdata.unsubscribe(owner_of(userdata), int(ctx.triggered_id["id"]))
        return (version or 0) + 1

    @app.callback(Output("me-result", "children"), Input("me-save", "n_clicks"),
                  State("me-email", "value"), State("lang", "data"),
                  prevent_initial_call=True)
    def save_email(clicks: int | None, email: str | None, lang_store: dict | None) -> Any:
        if not clicks:
            raise PreventUpdate
        lang = lang_of(lang_store)
        try:
            owner = owner_of(userdata)
            if owner is None:
                return dbc.Alert(lang.gettext(NEEDS_SIGN_IN), color="warning",
                                 className="mb-0")
            saved = userdata.set_email(owner, {"email": email or None})
        except FilterError as exc:
            return refusal(exc, DIGEST_HINTS, lang)
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext(UNAVAILABLE), color="danger", className="mb-0")
        return dbc.Alert(lang.gettext("Address saved.") if saved["email"] else
                         lang.gettext("Address removed."), color="success", className="mb-0")
