"""`/api/v1/views`, `/targets`, `/events`: what people save, the API's only writes.

A saved view belongs to the user the request is signed in as (the session, or the
owner of the Bearer token); another user's id is a 404. Targets and events describe
the shop, so every signed-in user shares them. With sign-in off (a private install) the
views are the install's own. Bodies are JSON objects; a wrong field is a 400 naming it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from ..filters import FilterError
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


def created(row: dict[str, Any]) -> Response:
    resp = jsonify(jsonable(row))
    resp.status_code = 201
    return resp


def view_link(row: dict[str, Any]) -> dict[str, Any]:
    """A view with its shareable link: the page's URL with the saved query."""
    query = row["query"]
    return {**row, "url": f"{request.host_url.rstrip('/')}/{'?' + query if query else ''}"}


@userdata_api.get("/views")
def list_views() -> Response:
    return jsonify(jsonable({"views": [view_link(v) for v in store().views(owner())]}))


@userdata_api.post("/views")
def save_view() -> Response:
    return created(view_link(store().save_view(owner(), body())))


@userdata_api.get("/views/<int:view_id>")
def get_view(view_id: int) -> Response:
    found = store().view(owner(), view_id)
    if found is None:
        return error(404, f"no saved view {view_id}")
    return jsonify(jsonable(view_link(found)))


@userdata_api.delete("/views/<int:view_id>")
def delete_view(view_id: int) -> Response:
    if not store().delete_view(owner(), view_id):
        return error(404, f"no saved view {view_id}")
    return Response(status=204)


@userdata_api.get("/targets")
def list_targets() -> Response:
    rows = store().targets(date_param("start", None), date_param("end", None))
    return jsonify(jsonable({"targets": rows}))


@userdata_api.post("/targets")
def set_target() -> Response:
    owner()  # a removed user's token must not write either
    return created(store().set_target(body()))


@userdata_api.get("/targets/<int:target_id>")
def get_target(target_id: int) -> Response:
    found = next((t for t in store().targets() if t["id"] == target_id), None)
    return jsonify(jsonable(found)) if found else error(404, f"no target {target_id}")


@userdata_api.delete("/targets/<int:target_id>")
def delete_target(target_id: int) -> Response:
    owner()
    if not store().delete_target(target_id):
        return error(404, f"no target {target_id}")
    return Response(status=204)


@userdata_api.get("/events")
def list_events() -> Response:
    rows = store().events(date_param("start", None), date_param("end", None))
    return jsonify(jsonable({"events": rows}))


@userdata_api.post("/events")
def add_event() -> Response:
    owner()
    return created(store().add_event(body()))


@userdata_api.get("/events/<int:event_id>")
def get_event(event_id: int) -> Response:
    found = next((e for e in store().events() if e["id"] == event_id), None)
    return jsonify(jsonable(found)) if found else error(404, f"no event {event_id}")


@userdata_api.delete("/events/<int:event_id>")
def delete_event(event_id: int) -> Response:
    owner()
    if not store().delete_event(event_id):
        return error(404, f"no event {event_id}")
    return Response(status=204)
