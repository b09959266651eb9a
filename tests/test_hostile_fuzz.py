"""Fuzzers for the hostile-input probe's classes of input, on both stores: a BOM followed by
invalid bytes, NUL, overlong fields, expanding macros, formula cells, control characters.

Each example must end in records (stored whole, on SQLite and PostgreSQL alike), a located
problem, or a one-line ``RecordsError``; exports never carry formulas and the console never
prints control characters. Bounded: few examples, small inputs.
"""

from __future__ import annotations

import itertools
import re

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metareview.cli.console import printable
from metareview.data.spreadsheet import FORMULA_STARTS, neutralise, safe_frame
from metareview.errors import RecordsError
from metareview.records.importers import read_records
from metareview.records.importers.bibtex import MAX_VALUE_CHARS, parse_bibtex
from metareview.store import Project
from tests import stores

store_url = stores.store_url
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(["\x00", "\x1b", "\x9b", "\r", "\t", "\u202e", "=", "+", "-", "@"]),
    ),
    max_size=40,
)
FIELD = st.one_of(
    HOSTILE_TEXT,
    st.builds(lambda c, n: c * n, st.sampled_from("Vx9"), st.integers(90, 600)),  # overlong
    st.builds(lambda s, t: s + t, st.sampled_from(["=", "+", "-", "@"]), HOSTILE_TEXT),
)
RIS_TAGS = ["TI", "AU", "PY", "VL", "IS", "SP", "DO", "AN", "DB", "KW", "AB", "JO"]
_counter = itertools.count()


def _ris(entries: list[list[tuple[str, str]]]) -> str:
    out = []
    for fields in entries:
        out.append("TY  - JOUR")
        out += [f"{tag}  - {value}" for tag, value in fields]
        out.append("ER  - \n")
    return "\n".join(out)


def _hostile_bytes(text: str, bom: bool, bad: list[int]) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    for position in bad:  # bytes that are not UTF-8, anywhere after the BOM
        at = position % (len(data) + 1)
        data = data[:at] + bytes([0x80 + position % 0x80]) + data[at:]
    return (b"\xef\xbb\xbf" if bom else b"") + data


@FUZZ
@given(
    entries=st.lists(
        st.lists(st.tuples(st.sampled_from(RIS_TAGS), FIELD), min_size=1, max_size=6),
        min_size=1,
        max_size=4,
    ),
    bom=st.booleans(),
    bad=st.lists(st.integers(0, 10_000), max_size=3),
    suffix=st.sampled_from([".ris", ".txt", ".csv"]),
)
def test_hostile_exports_import_alike_on_both_stores(
    store_url, tmp_path, entries, bom, bad, suffix
):
    path = tmp_path / f"export{next(_counter)}{suffix}"
    if suffix == ".csv":
        frame = pd.DataFrame([{tag: value for tag, value in fields} for fields in entries])
        text = frame.rename(columns={"TI": "Title", "AU": "Authors", "PY": "Year"}).to_csv(
            index=False
        )
    else:
        text = _ris(entries)
    path.write_bytes(_hostile_bytes(text, bom, bad))
    try:
        result = read_records(path)
    except RecordsError as err:  # a clear, one-line refusal is an acceptable end
        assert "\n" not in str(err).strip()
        return
    for record in result.records:
        assert "\x00" not in record.title + record.abstract + record.volume
    with Project.open(store_url) as project:
        batch = project.add_import(result.file, result.records, actor="fuzz")
        assert list(project.records(batch.record_ids).values()) == list(result.records)
        assert project.verify_log().intact
    exported = safe_frame(result.to_frame())
    for cell in exported.to_numpy().ravel():
        assert neutralise(cell) == cell or not str(cell).startswith(FORMULA_STARTS)
    assert not CONTROL.search(printable(result.summary()))


MACRO_NAME = st.sampled_from(["a", "b", "c", "d", "e"])


@settings(max_examples=40, deadline=None)
@given(
    definitions=st.lists(
        st.tuples(MACRO_NAME, st.lists(st.one_of(MACRO_NAME, st.just('"xy"')), min_size=1,
                                       max_size=6)),
        max_size=40,
    )
)  # fmt: skip
def test_expanding_macros_stay_bounded(definitions):
    lines = ['@string{a = "ab"}']
    lines += [f"@string{{{name} = {' # '.join(parts)}}}" for name, parts in definitions]
    lines += ["@article{k, title = a # b # c # d # e, year = 2020}"]
    text = "\n".join(lines)
    records, problems = parse_bibtex(text, "macros.bib")
    for record in records:
        assert len(record.title) <= MAX_VALUE_CHARS
    assert all(p.line is not None and 1 <= p.line <= len(lines) for p in problems)


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.one_of(FIELD, st.floats(allow_nan=False), st.integers()), max_size=8))
def test_formula_cells_never_survive_and_numbers_stay(cells):
    frame = safe_frame(
        pd.DataFrame({"value": pd.Series(cells, dtype=object), "n": range(len(cells))})
    )
    for before, after in zip(cells, frame["value"], strict=True):
        if isinstance(before, str):
            assert after == before or after == "'" + before
            assert neutralise(after) == after  # nothing left a spreadsheet would run
        else:
            assert after == before
    assert frame["n"].tolist() == list(range(len(cells)))


@settings(max_examples=60, deadline=None)
@given(text=HOSTILE_TEXT)
def test_control_characters_never_reach_the_console(text):
    shown = printable(text)
    assert not CONTROL.search(shown.replace("\n", "").replace("\t", ""))
    assert printable(shown) == shown
