"""The REST API (`/api/v1`, `/healthz`): the HTTP face of the service, beside the page.

`common` holds what every endpoint shares (parameters, formats, error bodies),
`dashboard`, `insight`, `orders`, `sellers` and `customers` the read endpoints,
`userdata` the saved views, targets and events (the only writes), `openapi` the
whole description, built in one place from the metric and model definitions (never from
the endpoints).
"""

from __future__ import annotations

from flask import Flask

from .customers import customers_api
from .dashboard import api, health
from .insight import insight_api
from .orders import orders_api
from .sellers import sellers_api
from .userdata import userdata_api


def register_api(server: Flask) -> None:
    """Mount every API blueprint; `server.extensions` must hold the service ("pulse") and
    the insight answers ("pulse_insight") and the saved views, targets and events
    ("pulse_userdata")."""
    server.register_blueprint(userdata_api)  # before `api`: its catch-all answers 405
    server.register_blueprint(api)
    server.register_blueprint(insight_api)
    server.register_blueprint(orders_api)
    server.register_blueprint(customers_api)
    server.register_blueprint(sellers_api)
    server.register_blueprint(health)
