"""The page's languages: which one a request gets, and its catalog of translated texts.

Why translate at request time, with plain strings: Dash serialises the layout and every
callback's output to JSON, so a lazy string cannot cross; the layout is built per
language (`layout.build_layout`, cached per language) and each callback reads the
`lang` store, then writes finished strings. One `Lang` object per language and currency
is built once per process and shared: a filter change pays no catalog loading.

Which language: the URL's `lang=` (so a link carries it), else the `pulse_lang` cookie
(set when a URL names one), else `PULSE_LOCALE` when the operator set it, else the
browser's `Accept-Language`, else English. An unknown value falls through silently: a
mistyped link still shows the page.

The catalogs (`dashapp/page/translations/<locale>/LC_MESSAGES/messages.po`) are the
source in the repository; the compiled `.mo` files are built by `scripts/bootstrap`
(`pybabel compile`) and, when missing or older than their `.po`, here at first use
(docs/I18N.md).
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from gettext import NullTranslations
from pathlib import Path
from urllib.parse import parse_qs

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from ..config import COUNTRIES, LOCALES, country_code, normalise_locale
from .formatting import N_, NumberStyle

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
COOKIE = "pulse_lang"
#: plotly.js's locale per page locale (`assets/vendor/plotly-locale-*.js`); English is
#: plotly's own.
PLOTLY_LOCALES = {"en": "en", "pt_BR": "pt-BR", "fr": "fr", "fr_MA": "fr"}
#: A bare language in Accept-Language (`pt`, `fr`) picks this locale of it.
LANGUAGE_DEFAULT = {"en": "en", "pt": "pt_BR", "fr": "fr"}

#: The texts that name the map's areas, as another country's unit says them (the source
#: texts are Brazil's: states, grouped in regions). Morocco's map shows regions, which
#: `regions.MOROCCO` groups in areas; so "Region" becomes "Area" there, never "Region" twice.
UNIT_TEXTS: dict[str, dict[str, str]] = {
    "region": {
        N_("State"): N_("Region"), N_("States"): N_("Regions"),
        N_("All states"): N_("All regions"),
        N_("Sales by state"): N_("Sales by region"),
        N_("Click a state to filter; click it again to clear; shift-click: its orders"):
            N_("Click a region to filter; click it again to clear; shift-click: its orders"),
        N_("No categories or states to list."): N_("No categories or regions to list."),
        N_("No categories or states to rank."): N_("No categories or regions to rank."),
        N_("Region"): N_("Area"), N_("All regions"): N_("All areas"),
        N_("Sales, freight and payments per region"):
            N_("Sales, freight and payments per area"),
    },
}

#: Texts other branches add to the page, kept in the catalogs ahead of their merge.
UPCOMING = (N_("Repeat customers"),)


def normalise(code: str | None) -> str | None:
    """`pt-BR`, `pt_br`, `PT-br` -> `pt_BR`; None for anything not in LOCALES."""
    return normalise_locale(code)


def bcp47(code: str) -> str:
    """`pt_BR` -> `pt-BR`: the spelling a URL and an HTML `lang` attribute use."""
    return code.replace("_", "-")


def from_accept_language(header: str | None) -> str | None:
    """The best supported locale of an `Accept-Language` header (q-values honoured; a
    region we lack falls back to its language: `fr-CA` -> `fr`, `pt-PT` -> `pt_BR`)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, i, tag.strip()))
    for _, _, tag in sorted(ranked):
        found = normalise(tag) or LANGUAGE_DEFAULT.get(tag.split("-")[0].lower())
        if found:
            return found
    return None


def choose(url_lang: str | None, cookie: str | None, accept_language: str | None,
           default: str, default_set: bool) -> str:
    """The request's locale, by the order the module's docstring gives."""
    for candidate in (url_lang, cookie):
        found = normalise(candidate)
        if found:
            return found
    if default_set:
        return default
    return from_accept_language(accept_language) or default


def _catalog(locale: str) -> NullTranslations:
    """The compiled catalog of `locale` (fr_MA reads fr's), compiling the `.po` when its
    `.mo` is missing or older; English (the source) is the identity."""
    for name in (locale, locale.split("_")[0]):
        folder = TRANSLATIONS / name / "LC_MESSAGES"
        po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
        if not po.exists():
            continue
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            compiled = compile_po(po)
            try:
                _write_atomically(mo, compiled)
            except OSError:  # a read-only install: the compiled bytes serve this process
                log.info("could not write %s; using the catalog compiled in memory", mo)
            return Translations(io.BytesIO(compiled), domain=DOMAIN)
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    return NullTranslations()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: another process (a gunicorn worker,
    a parallel test) checking the `.mo` meanwhile sees the old file or the whole new
    one, never a half-written one that is already newer than its `.po`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def compile_po(po: Path) -> bytes:
    """A `.po` file as `.mo` bytes (what `pybabel compile` writes), fuzzy entries left out."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all(locales: Iterable[str] = LOCALES) -> list[Path]:
    """Compile every catalog (`scripts/bootstrap`, and tests): the `.mo` files written."""
    written = []
    for locale in locales:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            _write_atomically(po.with_suffix(".mo"), compile_po(po))
            written.append(po.with_suffix(".mo"))
    return written


@dataclass(frozen=True)
class Lang(NumberStyle):
    """One reader's language: how numbers are written (`NumberStyle`) and the texts."""

    translations: NullTranslations = field(default_factory=NullTranslations, compare=False,
                                           hash=False, repr=False)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def place(self, message: str) -> str:
        """`message`, a text naming states or regions, translated in the words of the
        country's map (`place_text`)."""
        return self.gettext(place_text(message))

    @property
    def code(self) -> str:
        return self.locale

    @property
    def plotly(self) -> str:
        """plotly.js's locale name (`config={"locale": ...}`)."""
        return PLOTLY_LOCALES.get(self.locale, "en")

    @property
    def week_start(self) -> int:
        """The first day of the week in the date pickers' numbering (0 = Sunday), from
        CLDR (Babel's is 0 = Monday): Sunday in Brazil, Monday in France and Morocco."""
        return (self.cldr.first_week_day + 1) % 7

    @cached_property
    def name(self) -> str:
        """What the language menu calls it, in that language: `Português (Brasil)`."""
        text = self.cldr.get_display_name(self.cldr) or self.locale
        return text[:1].upper() + text[1:]


def lang_of(store: dict | None) -> Lang:
    """The `Lang` of the page's `lang` store ({"locale", "currency"}), which every callback
    reads as a State: the language the page was built in."""
    store = store or {}
    return lang_for(str(store.get("locale") or "en"), str(store.get("currency") or "BRL"))


def lang_for(locale: str, currency: str) -> Lang:
    """The shared `Lang` of a locale (normalised; unknown ones: English) and currency."""
    return _shared(normalise(locale) or "en", currency)


@lru_cache(maxsize=32)
def _shared(code: str, currency: str) -> Lang:
    return Lang(locale=code, currency=currency, translations=_catalog(code))


def subscriber_lang(query: str | None, default: str, currency: str) -> Lang:
    """The language of a digest and of its unsubscribe page: the saved view's own (its
    query's `lang=`, the language the person saved it in), else `default`
    (`PULSE_LOCALE`, or the country's). No browser is asking, so no Accept-Language."""
    named = (parse_qs((query or "").lstrip("?")).get("lang") or [None])[0]
    return lang_for(normalise(named) or default, currency)


def place_text(message: str) -> str:
    """The English source of `message` for this install's country (`PULSE_COUNTRY`, read
    at each call like `regions.region_map`): "State" stays "State" in Brazil and is
    "Region" in Morocco (`UNIT_TEXTS`)."""
    unit = COUNTRIES[country_code(os.environ)].unit
    return UNIT_TEXTS.get(unit, {}).get(message, message)
