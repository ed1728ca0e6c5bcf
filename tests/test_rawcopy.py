"""The quick way in (`loaders.rawcopy`) against the careful reader, on a real PostgreSQL.

The quick path may only take a file the careful reader takes, and must then give the
same rows; any other file goes to the careful reader, which names its problems. Each
test stages the same bytes both ways and compares."""

from __future__ import annotations

import csv
import io

import datasets as ds
import psycopg2
import pytest
from dbutil import checksum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from loaders import ingest, rawcopy
from loaders.csvread import CopyBuffer, ProblemList, read_rows
from loaders.formats import BY_FILE, BY_TABLE, FILES, FileSpec


def _stage(cur, spec: FileSpec, name: str) -> None:
    cur.execute(f"CREATE TEMP TABLE {name} (LIKE {spec.table} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS) ON COMMIT DROP")


def _rows(cur, name: str, spec: FileSpec) -> list[tuple]:
    cols = ", ".join(c.name for c in spec.columns)
    cur.execute(f"SELECT {cols} FROM {name} ORDER BY {cols}")
    return cur.fetchall()


def both_ways(engine: Engine, spec: FileSpec, data: bytes):
    """(the quick path's rows or None when it stepped aside, the careful reader's rows,
    its problems)."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            _stage(cur, spec, "quick")
            _stage(cur, spec, "careful")
            cur.execute("SAVEPOINT s")
            try:
                rawcopy.stage_file(cur, spec, io.BytesIO(data), "quick", lambda *_: None)
                quick = _rows(cur, "quick", spec)
            except (rawcopy.NotClean, psycopg2.DataError, psycopg2.IntegrityError):
                cur.execute("ROLLBACK TO SAVEPOINT s")
                quick = None
            problems = ProblemList(limit=1000)
            cols = ", ".join(c.name for c in spec.columns)
            buffer = CopyBuffer(read_rows(spec, io.BytesIO(data), problems), with_line=False)
            text = "".join(iter(buffer.chunk, ""))
            cur.copy_expert(f"COPY careful ({cols}) FROM STDIN WITH (FORMAT csv)",
                            io.StringIO(text))
            careful = _rows(cur, "careful", spec)
        raw.rollback()
    finally:
        raw.close()
    return quick, careful, problems


def _csv(spec: FileSpec, records: list[list[str]], quoting=csv.QUOTE_MINIMAL,
         newline: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator=newline)
    writer.writerow([c.header for c in spec.columns])
    writer.writerows(records)
    return out.getvalue().encode("utf-8")


REVIEWS = BY_TABLE["order_reviews"]
ITEMS = BY_TABLE["order_items"]
CUSTOMERS = BY_TABLE["customers"]


def _review(message: str, score: str = "5", when: str = "2018-01-02 10:00:00") -> list[str]:
    return ["r1", "o1", score, "", message, when, when]


def test_clean_tricky_text_goes_the_quick_way_with_the_same_values(engine):
    messages = ['Chegou "ótimo",\nrecomendo', "a\r\nb", "old Mac\rline", "\r", "", " ",
                'x""y', "\\.", "vírgula, sim", "emoji 🙂", "\t tab"]
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL):
        for newline in ("\n", "\r\n"):
            # a writer ending lines in LF alone leaves a lone CR unquoted: a broken file
            kept = [m for m in messages
                    if "\r" not in m.replace("\r\n", "") or quoting == csv.QUOTE_ALL
                    or newline == "\r\n"]
            records = [_review(m) for m in kept]
            for i, r in enumerate(records):
                r[0] = f"r{i}"
            quick, careful, problems = both_ways(engine, REVIEWS,
                                                 _csv(REVIEWS, records, quoting, newline))
            assert not problems
            assert quick is not None, (quoting, newline)
            assert quick == careful
            assert len(quick) == len(kept)
            assert {r[4] for r in quick} == {m or None for m in kept}


def test_values_are_converted_as_the_careful_reader_does(engine):
    items = [["o1", "1", "p1", "s1", "2018-01-02T10:00", " 12.5 ", "0"],
             ["o1", "2.0", "p1", "s1", "2018-01-02", ".5", "3.", ],
             ["o2", "-0", "p1", "s1", "2018-01-02 10:00:00.25", "12", "007"]]
    quick, careful, problems = both_ways(engine, ITEMS, _csv(ITEMS, items))
    assert not problems and quick is not None and quick == careful
    customers = [["c1", "u1", "1151", "São Paulo", "SP"], ["c2", "u2", " 69 ", "", "AM"]]
    quick, careful, problems = both_ways(engine, CUSTOMERS, _csv(CUSTOMERS, customers))
    assert not problems and quick == careful
    assert [r[2] for r in quick] == ["01151", "00069"]


@pytest.mark.parametrize("bad", [
    'r1,o1,5,,a "quoted" word,2018-01-02 10:00:00,2018-01-02 10:00:00\n',  # quote mid-field
    'r1,o1,5,,"closed"then,2018-01-02 10:00:00,2018-01-02 10:00:00\n',  # text after the quote
    'r1,o1,5,,"never closed,2018-01-02 10:00:00,2018-01-02 10:00:00\n',
    "r1,o1,6,,,2018-01-02 10:00:00,2018-01-02 10:00:00\n",  # out of range
    "r1,o1,5,,,2018-02-30 10:00:00,2018-01-02 10:00:00\n",  # no such day
    "r1,o1,5,,,2018-01-02 24:00:00,2018-01-02 10:00:00\n",
    "r1,o1,5,,,1850-01-02 10:00:00,2018-01-02 10:00:00\n",
    "r1,o1,5,,,2018-01-02 10:00:00\n",  # a field short
    "r1,o1,,,,2018-01-02 10:00:00,2018-01-02 10:00:00\n",  # required score missing
    "r1,o1,٣,,,2018-01-02 10:00:00,2018-01-02 10:00:00\n",  # a digit, but not ASCII
    "r1,o1,5,,,infinity,2018-01-02 10:00:00\n",
])
def test_what_the_quick_path_cannot_vouch_for_goes_to_the_careful_reader(engine, bad):
    head = ",".join(c.header for c in REVIEWS.columns) + "\n"
    data = (head + "r0,o0,4,,,2018-01-01 09:00:00,2018-01-01 09:00:00\n" + bad).encode()
    quick, careful, problems = both_ways(engine, REVIEWS, data)
    assert quick is None
    # a quote inside a field and a non-ASCII digit are the careful reader's to take
    taken = '"quoted"' in bad or "٣" in bad
    assert bool(problems) != taken, bad
    assert len(careful) == (2 if taken else 1)


@pytest.mark.parametrize(("price", "taken"), [
    ("NaN", False), ("Infinity", False), ("1e3", False), ("-1", False), ("-0", False),
    ("12.345", False), ("1,5", False), ("1234567890123", False), ("R$ 5", False),
    ("5.", True), (".5", True), ("007.10", True), ("999999999999.99", True), ("0", True),
])
def test_amounts_are_taken_exactly_as_the_careful_reader_takes_them(engine, price, taken):
    items = [["o1", "1", "p1", "s1", "2018-01-02 10:00:00", price, "1.00"]]
    quick, careful, problems = both_ways(engine, ITEMS, _csv(ITEMS, items))
    assert bool(problems) != taken, price
    assert quick == (careful if taken else None), price


@pytest.mark.parametrize(("number", "taken"), [
    ("3.0", True), ("007", True), ("-0", True), ("-2147483647", True), ("12", True),
    ("+5", False), ("2147483648", False), ("1e2", False), ("1.5", False), ("x", False),
    ("99999999999999999999", False),
])
def test_whole_numbers_are_taken_exactly_as_the_careful_reader_takes_them(engine, number,
                                                                          taken):
    items = [["o1", number, "p1", "s1", "2018-01-02 10:00:00", "1.00", "1.00"]]
    quick, careful, problems = both_ways(engine, ITEMS, _csv(ITEMS, items))
    assert bool(problems) != taken, number
    assert quick == (careful if taken else None), number


def test_a_lone_end_mark_line_is_never_taken_for_the_end(engine):
    head = ",".join(c.header for c in REVIEWS.columns) + "\n"
    data = (head + 'r0,o0,4,,"a\n\\.\nb",2018-01-01 09:00:00,2018-01-01 09:00:00\n'
            "r1,o1,4,,,2018-01-01 09:00:00,2018-01-01 09:00:00\n").encode()
    quick, careful, problems = both_ways(engine, REVIEWS, data)
    assert quick is None and not problems and len(careful) == 2


_TEXT = st.lists(st.sampled_from(list('ab ,"\n\r\\.é\t') + ["\\.", "\n\\.\n", '""']),
                 max_size=8).map("".join)
_GOOD_SCORE = st.sampled_from(["1", "5", " 3 ", "3.0", "4\t"])
_BAD_SCORE = st.sampled_from(["0", "6", "", "x", "1e0", "-1", "2.5"])
_SCORE = st.one_of(_GOOD_SCORE, _GOOD_SCORE, _GOOD_SCORE, _BAD_SCORE)  # mostly good
_GOOD_WHEN = st.sampled_from(["2018-01-02 10:00:00", "2018-01-02", "", " 2018-01-02T10:00 ",
                              "2016-02-29 23:59:59.5"])
_BAD_WHEN = st.sampled_from(["2018-1-2", "2018-02-29", "2018-01-02 10:00:60", "now"])
_WHEN = st.one_of(_GOOD_WHEN, _GOOD_WHEN, _GOOD_WHEN, _BAD_WHEN)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_TEXT, _TEXT, _SCORE, _WHEN), min_size=1, max_size=6),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
       newline=st.sampled_from(["\n", "\r\n"]),
       cut=st.integers(min_value=0, max_value=400),
       junk=st.sampled_from(["", "", "", '"', ",", "\n"]))
def test_the_quick_path_never_takes_more_nor_gives_other_values(engine, rows, quoting,
                                                                 newline, cut, junk):
    records = [[f"r{i}", "o1", score, title, message, when, "2018-01-03 00:00:00"]
               for i, (title, message, score, when) in enumerate(rows)]
    data = _csv(REVIEWS, records, quoting, newline)
    head = data.index(b"\n") + 1
    at = head + cut % max(len(data) - head, 1)
    data = data[:at] + junk.encode() + data[at:]  # sometimes a stray quote, comma or line end
    quick, careful, problems = both_ways(engine, REVIEWS, data)
    if quick is not None:
        assert not problems and quick == careful


def test_real_olist_files_go_the_quick_way_with_the_same_values(engine, olist_sample):
    for path in sorted(olist_sample.glob("*.csv")):
        spec = BY_FILE[path.name]
        quick, careful, problems = both_ways(engine, spec, path.read_bytes())
        assert not problems, path.name
        assert quick is not None, path.name
        assert quick == careful and len(quick) > 0, path.name


def test_a_load_takes_clean_files_quickly_and_the_tables_are_the_same(engine, db_url,
                                                                      tmp_path, monkeypatch,
                                                                      pg_admin_url,
                                                                      template_db):
    from conftest import fresh_database
    from sqlalchemy import create_engine

    folder = ds.write(ds.tiny(), tmp_path / "tiny")
    report = ingest.load(engine, folder)
    assert {f.file: f.path for f in report.files} == {f.file: "copy" for f in report.files}
    with fresh_database(pg_admin_url, template_db) as url:
        other = create_engine(url)
        monkeypatch.setattr(rawcopy, "stage_file", _refuse)
        careful = ingest.load(other, folder)
        assert {f.path for f in careful.files} == {"checked"}
        assert [f.rows_read for f in careful.files] == [f.rows_read for f in report.files]
        raw_tables = {spec.table for spec in FILES}
        assert {t: v for t, v in checksum(other).items() if t in raw_tables} == \
            {t: v for t, v in checksum(engine).items() if t in raw_tables}
        other.dispose()


def _refuse(*_args, **_kwargs):
    raise rawcopy.NotClean("switched off")


def test_a_load_says_which_file_it_reads_again_and_why(engine, tmp_path):
    """A quote inside a field: the careful reader takes it; the load says so and goes on."""
    from loaders.progress import Progress

    folder = ds.write(ds.tiny(), tmp_path / "tiny")
    reviews = folder / ds.F_REVIEWS
    head, first, rest = reviews.read_text(encoding="utf-8").split("\n", 2)
    cells = first.split(",")
    cells[3] = 'a "b" c'  # the title, unquoted
    reviews.write_text("\n".join([head, ",".join(cells), rest]), encoding="utf-8")
    out = io.StringIO()
    report = ingest.load(engine, folder, progress=Progress(stream=out))
    paths = {f.file: f.path for f in report.files}
    assert paths.pop(ds.F_REVIEWS) == "checked" and set(paths.values()) == {"copy"}
    assert (f"{ds.F_REVIEWS}: read again line by line (a quote outside a well-formed "
            "quoted field)") in out.getvalue()
    assert "olist_orders_dataset.csv: 5 lines in; checking and converting them" \
        in out.getvalue()
    with engine.connect() as conn:
        titles = conn.execute(text("SELECT review_comment_title FROM order_reviews")).scalars()
        assert 'a "b" c' in set(titles)
