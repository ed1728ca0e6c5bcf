"""Callbacks (placeholder until the dashboard lands)."""


def register_callbacks(app, service, settings) -> None:
    return None
