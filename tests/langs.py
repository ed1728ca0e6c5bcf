"""The languages tests format with: English and BRL (the defaults, what the page shows
without `lang=`), and the page's other locales, built as the page builds them."""

from dashapp.page.i18n import lang_for

EN = lang_for("en", "BRL")
PT = lang_for("pt_BR", "BRL")
FR = lang_for("fr", "BRL")
FR_MA = lang_for("fr_MA", "MAD")
