"""The digests' one-click unsubscribe page (`/unsubscribe/<signed token>`), in the
subscriber's language.

Why on the page's side and not the API's: it is a page a person reads, so it speaks the
language of the view the digest comes from (`i18n.subscriber_lang`: the view's `lang=`,
else `PULSE_LOCALE`), with the page's catalogs; the API stays locale-neutral. Public: the
signed token is the permission (`dashapp.userdata.unsubscribe_token`), so a mail client
can follow it without signing in.
"""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, current_app, request

from ..service import DatabaseUnavailable
from ..userdata import UserData, subscription_of
from .i18n import Lang, bcp47, lang_for, subscriber_lang

unsubscribe_page = Blueprint("pulse_unsubscribe", __name__)


def unsubscribe_html(lang: Lang, state: str) -> str:
    """The whole page for `state`: "ask" (a GET: one button), "done" (after the POST) or
    "invalid" (a forged or garbled token)."""
    _ = lang.gettext
    message = {"ask": _("Stop e-mailing this digest?"), "done": _("You are unsubscribed."),
               "invalid": _("This link is not valid.")}[state]
    stop = escape(_("Unsubscribe"))
    form = ('<form method="post"><button class="btn btn-primary" type="submit">'
            f"{stop}</button></form>" if state == "ask" else "")
    return (f'<!doctype html><html lang="{bcp47(lang.code)}"><head><meta charset="utf-8">'
            f"<title>{stop} · Pulse</title>"
            '<link rel="stylesheet" href="/assets/vendor/bootstrap.min.css">'
            '</head><body class="container py-5"><h1 class="h4">Pulse</h1>'
            f"<p>{escape(message)}</p>{form}</body></html>\n")


@unsubscribe_page.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response:
    """GET asks (a link scanner must not unsubscribe anyone); POST, the button or a mail
    client's one-click (RFC 8058, `List-Unsubscribe-Post`), does it."""
    settings = current_app.config.get("PULSE_SETTINGS")
    default = getattr(settings, "locale", "en")
    currency = getattr(settings, "currency", "BRL")
    secret = current_app.config.get("SECRET_KEY") or getattr(settings, "secret_key", None)
    found = subscription_of(secret, token) if secret else None
    if found is None:
        return Response(unsubscribe_html(lang_for(default, currency), "invalid"),
                        status=404, mimetype="text/html")
    store: UserData = current_app.extensions["pulse_userdata"]
    try:
        query = store.subscription_query(found)
    except DatabaseUnavailable:  # the words are not worth a failed unsubscribe
        query = None
    lang = subscriber_lang(query, default, currency)
    if request.method == "GET":
        return Response(unsubscribe_html(lang, "ask"), mimetype="text/html")
    store.unsubscribe_link(found)
    return Response(unsubscribe_html(lang, "done"), mimetype="text/html")
