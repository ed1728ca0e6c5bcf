"""What the three insight panels (impact, forecast, shortages) share: the card frame,
option buttons, asking the insight answers without blocking, and row clicks that filter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
from dash import ctx, html
from dash.exceptions import PreventUpdate

from ...insight.runner import RETRY_AFTER, Busy, Pending
from ...service import DatabaseUnavailable, NoData
from .. import urlstate
from ..i18n import Lang
from ..problems import panel_message, panel_name

log = logging.getLogger(__name__)

#: A click on a state replaces a region filter (as on the map).
CLEARS = {"state": ("region",), "category": ()}


def insight_card(card_id: str, title: str, hint: str, body: list) -> html.Section:
    """The frame the three insight views share: a titled card with a one-line hint."""
    return html.Section(className="insight mt-3", children=dbc.Card(
        className="panel", id=card_id, children=[
            html.Div(className="panel-head", children=[
                html.Div([html.H2(title, className="panel-title"),
                          html.Div(hint, className="panel-hint")]),
            ]),
            html.Div(className="panel-body", children=body),
        ]))


def row_click_search(clicks: list[int | None], search: str | None) -> str:
    """The URL after a click on a group row ({"dim", "key"} pattern id) of an insight
    table: that category or state toggled, as a click on a bar or a state of the map does.

    Call it from a callback whose Input is the rows' `n_clicks`. Raises PreventUpdate when
    nothing was clicked (a table being redrawn resets its rows' clicks to 0) or nothing
    changes."""
    trigger = ctx.triggered_id
    if not trigger or not any(clicks) or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    dim = str(trigger["dim"])
    if dim not in CLEARS:
        raise PreventUpdate
    new = urlstate.build_search(urlstate.toggle(urlstate.parse_search(search), dim,
                                                str(trigger["key"]), CLEARS[dim]))
    if urlstate.same_view(new, search):
        raise PreventUpdate
    return new


def choice_buttons(component_id: str, label: str, options: list[dict[str, Any]],
                   value: Any) -> html.Div:
    """A labelled row of toggle buttons for a view's option (horizon, metric, grain):
    radio inputs underneath, so the keyboard and screen readers work as with any radio
    group. The value is `component_id`'s."""
    return html.Div(className="filter-field", children=[
        html.Div(label, className="filter-label", id=f"{component_id}-label"),
        html.Div(role="radiogroup", **{"aria-labelledby": f"{component_id}-label"},
                 children=dbc.RadioItems(
                     id=component_id, options=options, value=value, inline=True,
                     class_name="btn-group btn-group-sm choice-group",
                     input_class_name="btn-check",
                     label_class_name="btn btn-outline-primary btn-sm",
                     label_checked_class_name="active")),
    ])


#: How often a view asks again while its answer is being computed (ms).
RETRY_MS = RETRY_AFTER * 1000


def ask(question: Callable[[], dict], what: str, lang: Lang) -> tuple[dict, bool]:
    """(what a view's store holds, whether its retry timer stays off) for one question to
    ``dashapp.insight.answers`` (`InsightAnswers.forecast`, `.shortages`).

    Those run the model work on the runner's pool and wait at most `PULSE_INSIGHT_WAIT`
    seconds, so a page callback never holds a server thread longer than an API request
    does. A slower answer is `{"status": "computing"}` and the view's timer asks again
    (from the cache, once the pool has stored it). Nothing raises: errors become a
    message in the store, in the reader's language."""
    _ = lang.gettext
    try:
        return {"status": "ok", "body": question()}, True
    except Pending:
        return {"status": "computing",
                "message": _("Computing %(what)s for these filters\u2026") % {
                    "what": panel_name(what, lang)}}, False
    except Busy:
        return {"status": "computing",
                "message": _("The models are busy; %(what)s will follow shortly.") % {
                    "what": panel_name(what, lang)}}, False
    except (DatabaseUnavailable, NoData) as exc:
        log.warning("%s: %s", what, exc)
        return {"status": "error", "message": panel_message(exc, what, lang)}, True
    except Exception as exc:  # noqa: BLE001 - a bug in one view must not break the page
        log.exception("%s failed", what)
        return {"status": "error", "message": panel_message(exc, what, lang)}, True
