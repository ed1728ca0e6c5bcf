"""Page layout (placeholder until the dashboard lands)."""

from dash import html


def build_layout():
    return html.Div([html.H1("Pulse"), html.P("The dashboard is being built.")])
