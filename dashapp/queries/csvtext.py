"""SQL that writes a CSV cell's text the way the API's Python CSV writer does.

A whole-list export is written by PostgreSQL (`COPY ... TO STDOUT`, queries/stream.py):
turning a million rows into Python objects and back into text ran at ~8k rows/s. The
file must still be the one the Python writer made (`api.common.csv_cell`: the JSON value
of the cell, `jsonout.csv_value`), byte for byte, so each kind of cell mirrors one
Python rule:

* NULL is an empty field; so is an empty text (COPY would write a non-NULL empty text as
  `""`, Python writes nothing), hence `NULLIF(.., '')` on texts and lists.
* `money` is rounded half-up to the cent, then written as Python writes that float:
  `159.0`, `33.2`, `33.29` (no trailing zero beyond the first decimal). Exact for every
  amount under 10^13 (15 significant digits, what a double round-trips).
* `float` (a mean) is a double written by its shortest round-trip digits, as Python's
  repr (`extra_float_digits = 1`, set by the stream), plus `.0` on a whole number.
* `timestamp` and `date` are ISO 8601 like `isoformat()` (the stream sets DateStyle
  ISO): `T` between date and time, microseconds only when there are some (six digits).
* `list` is joined with `|`.
* With a decimal comma (`?locale=pt_BR`) numbers with a fraction get `,`; whole numbers
  and dates are the same in every locale.

Each value is turned into text once, in an inner query kept apart by `OFFSET 0` (else
the planner would paste the expression into every place the outer one uses it), and
the outer query trims that text: at 1M rows, computing it twice cost seconds.

Quoting is COPY's: a field holding the delimiter, a quote or a line break is quoted,
quotes doubled, as Python's csv module does. One difference: COPY also quotes a field
holding a bare carriage return, which Python 3.11's writer left unquoted (a line a
spreadsheet would split); no field of the lists holds one from a load.
"""

from __future__ import annotations

#: kind -> the inner query's text of a value `{v}`.
_INNER = {
    "text": "NULLIF(({v})::text, '')",
    "int": "({v})::text",
    "money": "round(({v})::numeric, 2)::text",
    "float": "(({v})::float8)::text",
    "timestamp": "({v})::timestamp::text",
    "date": "({v})::date::text",
    "list": "NULLIF(array_to_string({v}, '|'), '')",
}
#: kind -> the outer query's cell from that text `{t}`; `{mark}` the decimal mark.
_OUTER = {
    "money": "CASE WHEN {t} LIKE '%0' THEN left({t}, -1) ELSE {t} END",
    "float": "CASE WHEN strpos({t}, '.') > 0 OR strpos({t}, 'e') > 0 THEN {t} "
             "ELSE {t} || '.0' END",
    # the ISO text has one space, between date and time; `replace` is the cheapest way
    # to a `T` (`overlay` took ~2 s more per million rows of three timestamps)
    "timestamp": "CASE WHEN length({t}) = 19 THEN replace({t}, ' ', 'T') "
                 "ELSE rpad(replace({t}, ' ', 'T'), 26, '0') END",
}
KINDS = tuple(_INNER)


def cells_sql(columns: list[tuple[str, str, str]], source: str, mark: str = ".") -> str:
    """SELECT of the CSV cells `columns` ((name, kind, SQL of the value over `r`)) from
    the rows of `source` in their order, numbers with the decimal `mark`."""
    inner, outer = [], []
    for name, kind, value in columns:
        inner.append(f"{_INNER[kind].format(v=value)} AS {name}")
        cell = _OUTER.get(kind, "{t}").format(t=name)
        if mark != "." and kind in ("money", "float"):
            cell = f"replace({cell}, '.', '{mark}')"
        outer.append(f"{cell} AS {name}" if cell != name else name)
    return (f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} "
            f"FROM ({source}) r OFFSET 0) t")
