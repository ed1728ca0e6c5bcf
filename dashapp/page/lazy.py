"""Panels below the fold draw when they come on screen, not on every filter change.

Why: a filter change used to redraw every panel of the page (top sellers, the order list,
the customers' three charts, and the three insight views with their model fits), though a
person sees the cards, the map and the charts first and may never scroll down. Those
panels were most of the server time of a click (docs/LOADTEST.md), paid for nothing.

How: `assets/lazy.js` watches the elements marked `data-lazy` with an
IntersectionObserver and writes the names of those on screen (or within a screen's
margin) into the `panels-on-screen` store. One small clientside callback per panel, the
gate, passes the `view` on to that panel's own store (`<name>-view`) only while the panel
is on screen and only when the view differs from what it last passed. The panel's server
callbacks follow `<name>-view` instead of `view`: a view changed while a panel was off
screen reaches it when the person scrolls to it, and a panel already drawn for the current
view is not asked again. No server request is made for gates: they run in the browser.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html

#: The panels that wait to be on screen, by the name their stores and markers use.
LAZY_PANELS = ("sellers", "orders", "customers", "impact", "forecast", "shortages")

#: The store assets/lazy.js writes: the names of the lazy panels now on screen.
ON_SCREEN = "panels-on-screen"

# The view passes, with the theme it is drawn in, when the panel is on screen and the two
# differ from what the gate passed last (the stores' data arrive as fresh objects, hence
# the comparison of their JSON). The theme rides along so that a panel off screen is not
# asked to redraw when it changes (a panel reads it as State).
_GATE = """
function (view, onScreen, theme, passed) {
    const skip = window.dash_clientside.no_update;
    if (!view || !(onScreen || []).includes(%r)) { return skip; }
    const next = Object.assign({}, view, {theme: theme || null});
    if (passed && JSON.stringify(passed) === JSON.stringify(next)) { return skip; }
    return next;
}
"""


def view_store(name: str) -> str:
    """The id of the store a lazy panel's callbacks follow instead of `view`."""
    if name not in LAZY_PANELS:
        raise ValueError(f"{name!r} is not a lazy panel ({', '.join(LAZY_PANELS)})")
    return f"{name}-view"


def stores() -> list[dcc.Store]:
    return [dcc.Store(id=ON_SCREEN, data=[]),
            *[dcc.Store(id=view_store(name)) for name in LAZY_PANELS]]


def lazy(name: str, panel: object) -> html.Div:
    """`panel` marked for assets/lazy.js: its callbacks start when it is on screen."""
    view_store(name)
    return html.Div(panel, className="lazy-panel", **{"data-lazy": name})


def register_gates(app: Dash) -> None:
    for name in LAZY_PANELS:
        app.clientside_callback(
            _GATE % name,
            Output(view_store(name), "data"),
            Input("view", "data"), Input(ON_SCREEN, "data"), Input("theme", "data"),
            State(view_store(name), "data"),
        )
