"""Clientside gates: a server callback runs when its input really changed, not whenever
the browser re-sends it.

Why: every server callback a filter change fires is one more request, and each costs its
overhead (Flask's hooks, Dash's dispatch, a thread) whatever it does; on a busy machine
even a trivial one once cost 45-50 ms (docs/LOADTEST.md). Three kinds fired on every
change and nearly always did nothing:

- rows and links drawn inside a redrawn table (the sellers' rows, the earnings table's
  "orders" links) are new components, so Dash calls the callbacks listening to their
  `n_clicks` with no click at all;
- the banner followed the view, which changes on every filter change, though its text
  only follows the database error;
- the quick picks' outline followed the view, though it only follows the view's dates.

A gate is a small clientside callback that writes a store only when what the server
callback needs changed (a real click; the error; the dates); the server callback follows
that store. Nothing is decided in the browser that the server decided before: the gates
only drop the calls that the server answered with "no change".
"""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, dcc

# A click on one of a pattern's components (n_clicks > 0 on the component that changed):
# {key, n}; a component merely (re)drawn changes nothing.
_CLICK = """
function (clicks) {
    const cc = window.dash_clientside.callback_context;
    const trigger = cc.triggered_id;
    if (!trigger || !(cc.triggered || []).length || !cc.triggered[0].value) {
        return window.dash_clientside.no_update;
    }
    return {key: trigger[%r], n: cc.triggered[0].value};
}
"""


def click_store(store_id: str) -> dcc.Store:
    """The store a click gate writes (in the layout beside what it gates)."""
    return dcc.Store(id=store_id)


def register_click_gate(app: Dash, component_type: str, key_field: str,
                        store_id: str) -> None:
    """`store_id` gets {"key": the clicked component's `key_field`, "n": its n_clicks}
    when one of the `component_type` components is clicked, and nothing when they are
    drawn."""
    app.clientside_callback(
        _CLICK % key_field,
        Output(store_id, "data"),
        Input({"type": component_type, key_field: ALL}, "n_clicks"),
        prevent_initial_call=True,
    )


#: The banner's error: the data status's, else the view's when it is a database error
#: (as `callbacks.register_status.banner` reads them); written only when it changes.
BANNER_ERROR = "banner-error"
_BANNER = """
function (status, view, shown) {
    let error = (status || {}).error || null;
    const viewError = (view || {}).error || {};
    if (!error && viewError.kind === 'db') { error = viewError.message || null; }
    return error === (shown === undefined ? null : shown)
        ? window.dash_clientside.no_update : error;
}
"""

#: The shown view's dates [start, end], written only when they change.
SHOWN_RANGE = "shown-range"
_RANGE = """
function (view, shown) {
    if (!view || !view.filters) { return window.dash_clientside.no_update; }
    const range = [view.filters.start || null, view.filters.end || null];
    return (shown && shown[0] === range[0] && shown[1] === range[1])
        ? window.dash_clientside.no_update : range;
}
"""


def stores() -> list[dcc.Store]:
    return [dcc.Store(id=BANNER_ERROR), dcc.Store(id=SHOWN_RANGE)]


def register_view_gates(app: Dash) -> None:
    app.clientside_callback(_BANNER, Output(BANNER_ERROR, "data"),
                            Input("status", "data"), Input("view", "data"),
                            State(BANNER_ERROR, "data"))
    app.clientside_callback(_RANGE, Output(SHOWN_RANGE, "data"),
                            Input("view", "data"), State(SHOWN_RANGE, "data"))
