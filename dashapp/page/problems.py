"""What the page says when the data cannot be read: one mapping for every panel.

A dead database and an empty one are different problems with different remedies
(wait, or load data), so they get different words; anything else is a bug, logged
on the server and shown as a short apology, never a traceback. The words are the
reader's language (`Lang`); a database's own error text stays as the driver wrote it.
"""

from __future__ import annotations

from ..service import DatabaseUnavailable, NoData
from .formatting import N_
from .i18n import Lang

NO_DATA = N_("No data is loaded yet: run `pulse load PATH` or `pulse demo --load`.")


def view_error(exc: Exception) -> dict[str, str]:
    """The view store's `error`: {"kind": "db" | "nodata" | "internal", "message"}; the
    page words "nodata" and "internal" in the reader's language (`error_message`)."""
    if isinstance(exc, DatabaseUnavailable):
        return {"kind": "db", "message": str(exc)}
    if isinstance(exc, NoData):
        return {"kind": "nodata", "message": str(exc)}
    return {"kind": "internal",
            "message": "This view could not be computed (the error is logged on the server)."}


def error_message(error: dict[str, str], lang: Lang) -> str:
    """A view error's line for the page, in the reader's language."""
    _ = lang.gettext
    if error.get("kind") == "nodata":
        return _(NO_DATA)
    if error.get("kind") == "internal":
        return _("This view could not be computed (the error is logged on the server).")
    return error.get("message", "")


def panel_name(what: str, lang: Lang) -> str:
    """A panel as a sentence names it; in context "panel", so a translation carries its
    own article and gender (`a previsão`, `l’impact`), which the sentences leave out."""
    names = {
        "forecast": lang.pgettext("panel", "the forecast"),
        "impact": lang.pgettext("panel", "the impact"),
        "shortages": lang.pgettext("panel", "the shortages"),
        "sellers": lang.pgettext("panel", "the sellers"),
        "order list": lang.pgettext("panel", "the order list"),
        "order": lang.pgettext("panel", "the order"),
        "customer figures": lang.pgettext("panel", "the customer figures"),
    }
    return names.get(what, what)


def panel_message(exc: Exception, what: str, lang: Lang) -> str:
    """One line for a panel (`what`: "forecast", "impact", ...) that could not be drawn."""
    _ = lang.gettext
    name = panel_name(what, lang)
    if isinstance(exc, DatabaseUnavailable):
        return _("The database is unreachable; %(what)s will show again when it is "
                 "back.") % {"what": name}
    if isinstance(exc, NoData):
        return _("No data is loaded yet; %(what)s will show once data is loaded.") % {
            "what": name}
    return _("%(what)s could not be computed for this view.") % {
        "what": name[:1].upper() + name[1:]}
