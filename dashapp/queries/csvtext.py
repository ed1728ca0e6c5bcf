"""SQL that writes a CSV cell's text the way the API's Python CSV writer does.

A whole-list export is written by PostgreSQL (`COPY ... TO STDOUT`, queries/stream.py):
turning a million rows into Python objects and back into text ran at ~8k rows/s. The
file must still be the one the Python writer made (`api.common.csv_cell`: the JSON value
of the cell, `jsonout.csv_value`), byte for byte, so each expression below mirrors one
Python rule:

* NULL is an empty field; so is an empty text (COPY would write a non-NULL empty text as
  `""`, Python writes nothing), hence `NULLIF(.., '')` on every text.
* Money is rounded half-up to the cent, then written as Python writes that float:
  `159.0`, `33.2`, `33.29` (no trailing zero beyond the first decimal). Exact for every
  amount under 10^13 (15 significant digits, what a double round-trips).
* A mean is a double written by its shortest round-trip digits, as Python's repr
  (`extra_float_digits = 1`, PostgreSQL's default since 12, set by the stream), plus
  `.0` on a whole number.
* Timestamps and dates are ISO 8601 like `datetime.isoformat()`: `T` between date and
  time, microseconds only when there are some (then six digits).
* Lists are joined with `|`.
* With a decimal comma (`?locale=pt_BR`) numbers with a fraction get `,`; whole numbers
  and dates are written the same in every locale.

Quoting is COPY's: a field holding the delimiter, a quote or a line break is quoted,
quotes doubled, as Python's csv module does. One difference: COPY also quotes a field
holding a bare carriage return, which Python 3.11's writer left unquoted (a line a
spreadsheet would split); no field of the lists can hold one from a load.
"""

from __future__ import annotations


def text_cell(expr: str) -> str:
    return f"NULLIF(({expr})::text, '')"


def int_cell(expr: str) -> str:
    return f"({expr})::text"


def _decimal(expr: str, mark: str) -> str:
    return expr if mark == "." else f"replace({expr}, '.', '{mark}')"


def money_cell(expr: str, mark: str = ".") -> str:
    """Two decimals, then one trailing zero dropped: `159.00` -> `159.0`, `33.20` ->
    `33.2`, the digits of Python's float repr of the rounded amount."""
    cents = f"round(({expr})::numeric, 2)::text"
    return _decimal(f"(CASE WHEN {cents} LIKE '%0' THEN left({cents}, -1) "
                    f"ELSE {cents} END)", mark)


def float_cell(expr: str, mark: str = ".") -> str:
    """A float8 as Python's repr writes it (for values written without an exponent)."""
    digits = f"(({expr})::float8)::text"
    return _decimal(f"(CASE WHEN {digits} ~ '[.e]|n' THEN {digits} "
                    f"ELSE {digits} || '.0' END)", mark)


def timestamp_cell(expr: str) -> str:
    """`datetime.isoformat()` of a timestamp without time zone."""
    return (f"(CASE WHEN date_trunc('second', {expr}) = {expr} "
            f"THEN to_char({expr}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
            f"ELSE to_char({expr}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') END)")


def date_cell(expr: str) -> str:
    return f"to_char({expr}, 'YYYY-MM-DD')"


def list_cell(expr: str, separator: str) -> str:
    return f"NULLIF(array_to_string({expr}, '{separator}'), '')"
