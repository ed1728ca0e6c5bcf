"""`/api/v1/views`, `/targets`, `/events`, `/subscriptions`, `/alerts`, `/me`: what people
save, the API's only writes.

A saved view belongs to the user the request is signed in as (the session, or the
owner of the Bearer token); another user's id is a 404. Targets and events describe
the shop, so every signed-in user shares them. With sign-in off (a private install) the
views are the install's own. Bodies are JSON objects; a wrong field is a 400 naming it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from ..filters import FilterError, shown
from ..jsonout import jsonable
from ..userdata import UnknownUser, UserData
from .common import date_param, error, register_error_handlers

userdata_api = Blueprint("pulse_userdata", __name__, url_prefix="/api/v1")
register_error_handlers(userdata_api)


def store() -> UserData:
    return current_app.extensions["pulse_userdata"]


def owner() -> int | None:
    """The signed-in user's account id (None when sign-in is off)."""
    return store().owner(getattr(g, "pulse_user", None))


@userdata_api.errorhandler(UnknownUser)
def _unknown_user(exc: UnknownUser) -> Response:
    return error(401, "the signed-in user no longer exists")


def body() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 naming the body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise FilterError("body", "the body must be a JSON object "
                                  "(Content-Type: application/json)")
    return data


def row_id(raw: str) -> int:
    """A row id from the path: ASCII digits, at most 18 (`/views/abc` is a 400 naming id,
    not the catch-all's 405)."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise FilterError("id", f"id must be a whole number, got {shown(raw)}")
    return int(raw)


def created(row: dict[str, Any]) -> Response:
    resp = jsonify(jsonable(row))
    resp.status_code = 201
    return resp


def view_link(row: dict[str, Any]) -> dict[str, Any]:
    """A view with its shareable link: the page's URL with the saved query."""
    query = row["query"]
    return {**row, "url": f"{request.host_url.rstrip('/')}/{'?' + query if query else ''}"}


@userdata_api.get("/me")
def get_me() -> Response:
    return jsonify(store().me(owner()))


@userdata_api.put("/me")
def put_me() -> Response:
    """The signed-in user's own address (digests and alert e-mails go there)."""
    return jsonify(store().set_email(owner(), body()))


@userdata_api.get("/views")
def list_views() -> Response:
    return jsonify(jsonable({"views": [view_link(v) for v in store().views(owner())]}))


@userdata_api.post("/views")
def save_view() -> Response:
    return created(view_link(store().save_view(owner(), body())))


@userdata_api.get("/views/<view_id>")
def get_view(view_id: str) -> Response:
    ident = row_id(view_id)
    found = store().view(owner(), ident)
    if found is None:
        return error(404, f"no saved view {ident}")
    return jsonify(jsonable(view_link(found)))


@userdata_api.delete("/views/<view_id>")
def delete_view(view_id: str) -> Response:
    ident = row_id(view_id)
    if not store().delete_view(owner(), ident):
        return error(404, f"no saved view {ident}")
    return Response(status=204)


@userdata_api.get("/targets")
def list_targets() -> Response:
    rows = store().targets(date_param("start", None), date_param("end", None))
    return jsonify(jsonable({"targets": rows}))


@userdata_api.post("/targets")
def set_target() -> Response:
    owner()  # a removed user's token must not write either
    return created(store().set_target(body()))


@userdata_api.get("/targets/<target_id>")
def get_target(target_id: str) -> Response:
    ident = row_id(target_id)
    found = next((t for t in store().targets() if t["id"] == ident), None)
    return jsonify(jsonable(found)) if found else error(404, f"no target {ident}")


@userdata_api.delete("/targets/<target_id>")
def delete_target(target_id: str) -> Response:
    ident = row_id(target_id)
    owner()
    if not store().delete_target(ident):
        return error(404, f"no target {ident}")
    return Response(status=204)


@userdata_api.get("/events")
def list_events() -> Response:
    rows = store().events(date_param("start", None), date_param("end", None))
    return jsonify(jsonable({"events": rows}))


@userdata_api.post("/events")
def add_event() -> Response:
    owner()
    return created(store().add_event(body()))


@userdata_api.get("/events/<event_id>")
def get_event(event_id: str) -> Response:
    ident = row_id(event_id)
    found = next((e for e in store().events() if e["id"] == ident), None)
    return jsonify(jsonable(found)) if found else error(404, f"no event {ident}")


@userdata_api.delete("/events/<event_id>")
def delete_event(event_id: str) -> Response:
    ident = row_id(event_id)
    owner()
    if not store().delete_event(ident):
        return error(404, f"no event {ident}")
    return Response(status=204)


@userdata_api.get("/subscriptions")
def list_subscriptions() -> Response:
    return jsonify(jsonable({"subscriptions": store().subscriptions(owner())}))


@userdata_api.post("/subscriptions")
def subscribe() -> Response:
    data = body()
    found = store().subscribe(owner(), data)
    if found is None:
        return error(404, f"no saved view {data.get('view_id')}")
    return created(found)


@userdata_api.get("/subscriptions/<subscription_id>")
def get_subscription(subscription_id: str) -> Response:
    ident = row_id(subscription_id)
    found = next((s for s in store().subscriptions(owner()) if s["id"] == ident), None)
    return jsonify(jsonable(found)) if found else error(404, f"no subscription {ident}")


@userdata_api.delete("/subscriptions/<subscription_id>")
def delete_subscription(subscription_id: str) -> Response:
    ident = row_id(subscription_id)
    if not store().unsubscribe(owner(), ident):
        return error(404, f"no subscription {ident}")
    return Response(status=204)


def alert_json(row: dict[str, Any]) -> dict[str, Any]:
    """An alert or a firing with its numbers whole: `jsonable` rounds decimals to the cent
    (money), but a threshold or value may be a rate of 0.0525."""
    def num(value: Any) -> Any:
        return value if value is None or isinstance(value, int) else float(value)

    return jsonable({**row, **{k: num(row[k]) for k in ("threshold", "last_value",
                                                        "last_change", "value", "change")
                               if k in row}})


def history_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith(("email_", "webhook_"))}
    out["channels"] = {c: {"status": row[f"{c}_status"], "error": row[f"{c}_error"]}
                       for c in ("email", "webhook") if row[f"{c}_status"]}
    return alert_json(out)


@userdata_api.get("/alerts")
def list_alerts() -> Response:
    return jsonify({"alerts": [alert_json(a) for a in store().alerts(owner())]})


@userdata_api.post("/alerts")
def add_alert() -> Response:
    data = body()
    found = store().add_alert(owner(), data)
    if found is None:
        return error(404, f"no saved view {data.get('view_id')}", "view_id")
    resp = jsonify(alert_json(found))
    resp.status_code = 201
    return resp


@userdata_api.get("/alerts/<alert_id>")
def get_alert(alert_id: str) -> Response:
    ident = row_id(alert_id)
    found = store().alert(owner(), ident)
    return jsonify(alert_json(found)) if found else error(404, f"no alert {ident}")


@userdata_api.get("/alerts/<alert_id>/history")
def alert_history(alert_id: str) -> Response:
    ident = row_id(alert_id)
    found = store().alert_history(owner(), ident)
    if found is None:
        return error(404, f"no alert {ident}")
    return jsonify({"alert_id": ident, "history": [history_json(h) for h in found]})


@userdata_api.delete("/alerts/<alert_id>")
def delete_alert(alert_id: str) -> Response:
    ident = row_id(alert_id)
    if not store().delete_alert(owner(), ident):
        return error(404, f"no alert {ident}")
    return Response(status=204)
