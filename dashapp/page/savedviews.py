"""The header's *Views* menu: the signed-in user's saved views, and saving the current one.

A saved view is the page's URL query (`PulseService`-free: the filters are checked when
the view is opened, like any link). Dates that are a relative shortcut ("last 30 days")
are saved as `range=30d` (`urlstate.relative_query`), so the view follows new data. The
menu's items are plain links (`/?query`): opening one is a navigation like Back/Forward,
and the link shown after saving is the one to share. The same rows are
`/api/v1/views` (`dashapp/userdata.py` behind both).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import g, request

from ..filters import FilterError
from ..service import DatabaseUnavailable
from ..userdata import UnknownUser, UserData
from . import urlstate
from .alerts import alerts_dialog
from .digests import digests_dialog
from .i18n import Lang, lang_of
from .plans import plans_dialogs

log = logging.getLogger(__name__)


def views_menu(lang: Lang) -> html.Div:
    """The menu (filled by `list_views`), the save dialog, and the dialogs of what else a
    signed-in user keeps: alerts, targets, events, digests."""
    _ = lang.gettext
    menu = dbc.DropdownMenu(
        [dbc.DropdownMenuItem(_("Saved views"), header=True),
         html.Div(id="views-list"),
         dbc.DropdownMenuItem(divider=True),
         dbc.DropdownMenuItem(_("Save current view…"), id="view-save-open"),
         dbc.DropdownMenuItem(_("Alerts…"), id="alerts-open"),
         dbc.DropdownMenuItem(_("Digests…"), id="digests-open"),
         dbc.DropdownMenuItem(divider=True),
         dbc.DropdownMenuItem(_("Targets…"), id="targets-open"),
         dbc.DropdownMenuItem(_("Events…"), id="events-open")],
        id="views-menu", label=_("Views"), size="sm", color="light", align_end=True,
        class_name="views-menu", toggle_class_name="views-toggle")
    dialog = dbc.Modal(id="view-save-modal", is_open=False, children=[
        dbc.ModalHeader(dbc.ModalTitle(_("Save view"))),
        dbc.ModalBody([
            dbc.Label(_("Name"), html_for="view-name"),
            dbc.Input(id="view-name", maxLength=100, autoComplete="off"),
            html.Div(id="view-save-result", className="mt-3"),
        ]),
        dbc.ModalFooter([
            dbc.Button(_("Close"), id="view-save-close", color="secondary"),
            dbc.Button(_("Save"), id="view-save", color="primary"),
        ]),
    ])
    return html.Div([menu, dialog, alerts_dialog(lang), digests_dialog(lang),
                     *plans_dialogs(lang), dcc.Store(id="views-version", data=0)],
                    className="views")


def _owner(userdata: UserData) -> int | None:
    return userdata.owner(getattr(g, "pulse_user", None))


def menu_items(views: list[dict[str, Any]], lang: Lang) -> list[Any]:
    if not views:
        return [dbc.DropdownMenuItem(lang.gettext("No saved views yet"), disabled=True)]
    return [dbc.DropdownMenuItem(v["name"], href="/?" + v["query"] if v["query"] else "/",
                                 id={"type": "saved-view", "id": v["id"]})
            for v in views]


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def share_link(query: str) -> str:
    return f"{request.host_url.rstrip('/')}/{'?' + query if query else ''}"


def register_saved_views(app: Dash, userdata: UserData) -> None:

    @app.callback(Output("views-list", "children"), Input("views-version", "data"),
                  State("lang", "data"))
    def list_views(_version: int | None, lang_store: dict | None) -> list[Any]:
        lang = lang_of(lang_store)
        try:
            return menu_items(userdata.views(_owner(userdata)), lang)
        except (DatabaseUnavailable, UnknownUser):
            return [dbc.DropdownMenuItem(lang.gettext("Saved views are unavailable"),
                                         disabled=True)]

    @app.callback(Output("view-save-modal", "is_open"), Output("view-save-result", "children"),
                  Input("view-save-open", "n_clicks"), Input("view-save-close", "n_clicks"),
                  prevent_initial_call=True)
    def toggle_dialog(_open: int | None, _close: int | None) -> tuple:
        return ctx.triggered_id == "view-save-open", ""

    @app.callback(Output("view-save-result", "children", allow_duplicate=True),
                  Output("views-version", "data"),
                  Input("view-save", "n_clicks"), State("view-name", "value"),
                  State("url", "search"), State("meta", "data"),
                  State("views-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def save_view(clicks: int | None, name: str | None, search: str | None,
                  meta: dict | None, version: int | None, lang_store: dict | None) -> tuple:
        if not clicks:
            raise PreventUpdate
        lang = lang_of(lang_store)
        meta = meta or {}
        query = urlstate.relative_query(search, _day(meta.get("start")), _day(meta.get("end")))
        try:
            saved = userdata.save_view(_owner(userdata), {"name": name or "",
                                                          "query": query})
        except FilterError as exc:
            message = (lang.gettext("Give the view a name (up to 100 characters).")
                       if exc.parameter == "name" else
                       lang.gettext("Check the field %(field)s.") % {"field": exc.parameter})
            return dbc.Alert(message, color="warning", className="mb-0"), no_update
        except (DatabaseUnavailable, UnknownUser):
            return dbc.Alert(lang.gettext("Saved views are unavailable"), color="danger",
                             className="mb-0"), no_update
        link = share_link(saved["query"])
        return html.Div([
            html.Div(lang.gettext("Saved. Share this link:")),
            dcc.Input(value=link, readOnly=True, id="view-share-link",
                      className="form-control form-control-sm mt-1"),
        ]), (version or 0) + 1
