"""Dual independent extraction in the project store (SQLite and PostgreSQL): studies, the form,
values, submission, blinding, comparison, consensus, history, and the append-only log."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from metareview.data.form import Cell, CustomField, RowKey
from metareview.errors import DataError, ExtractionError
from metareview.records.record import Record
from metareview.store import Project
from metareview.store.extraction import (
    add_field,
    add_included_studies,
    add_study,
    agree,
    agreed_values,
    cell_history,
    compare,
    enter,
    extraction_form,
    progress,
    set_extractors_required,
    submit,
    values_for,
)
from metareview.store.review import link_same_study, vote
from metareview.store.study_log import study_events_of, verify_study_log
from tests import stores

store_url = stores.store_url
ROW = RowKey(1, 2, "depressive symptoms", "post", "PHQ-9")
MEANS = {
    Cell("mean_arm1", row=ROW): 10.2,
    Cell("sd_arm1", row=ROW): 4.1,
    Cell("n_arm1", row=ROW): 40,
    Cell("mean_arm2", row=ROW): 12.5,
    Cell("sd_arm2", row=ROW): 4.4,
    Cell("n_arm2", row=ROW): 41,
    Cell("condition", arm=1): "peer support",
    Cell("condition", arm=2): "care as usual",
}


def _with_study(url: str) -> tuple[Project, int]:
    project = Project.open(url)
    return project, add_study(project, "Okafor, 2017", actor="lead", note="ISRCTN1234").number


def test_blinding_until_both_submit_then_compare_agree_and_history(store_url):
    project, study = _with_study(store_url)
    enter(project, study, MEANS, extractor="ana")
    enter(project, study, {**MEANS, Cell("mean_arm1", row=ROW): "10,8"}, extractor="ben")
    mean = Cell("mean_arm1", row=ROW)
    assert values_for(project, study, "ana")[mean] == 10.2
    assert values_for(project, study, "ben")[mean] == 10.8
    assert values_for(project, study, "lead") == {}
    # before both submitted: no comparison, no agreed values, only one's own history
    submit(project, study, extractor="ana")
    for refused in (compare, agreed_values):
        with pytest.raises(ExtractionError, match="1 of 2 extractors submitted"):
            refused(project, study)
    with pytest.raises(ExtractionError, match="not complete"):
        agree(project, study, mean, 10.2, actor="lead")
    assert [h.value for h in cell_history(project, study, mean, viewer="ana")] == [10.2]
    assert [h.value for h in cell_history(project, study, mean, viewer="lead")] == []
    assert progress(project, study).to_dict()["submitted"] == ["ana"]

    submit(project, study, extractor="ben")
    [difference] = compare(project, study).differences
    assert difference.values == {"ana": 10.2, "ben": 10.8} and not difference.agreed
    assert agreed_values(project, study).unresolved == (mean,)
    agree(project, study, mean, "10.2", actor="lead", agreed_by=["ana", "ben"], note="table 2")
    agreed = agreed_values(project, study)
    assert agreed.unresolved == () and agreed.values[mean] == 10.2
    history = cell_history(project, study, mean, viewer="cleo")
    assert [(h.actor, h.kind, h.value) for h in history] == [
        ("ana", "value", 10.2),
        ("ben", "value", 10.8),
        ("lead", "consensus", 10.2),
    ]
    assert history[-1].agreed_by == ("ana", "ben") and history[-1].note == "table 2"
    assert compare(project, study).differences[0].agreed_value == 10.2
    assert verify_study_log(project).intact


def test_values_refused_with_the_data_standards_messages_and_nothing_stored(store_url):
    project, study = _with_study(store_url)
    bad = {
        **MEANS,
        Cell("sd_arm1", row=ROW): "-2.1",
        Cell("n_arm2", row=ROW): 1,
        Cell("icc"): "1.5",
    }
    with pytest.raises(DataError) as caught:
        enter(project, study, bad, extractor="ana")
    messages = {p.column: p.message for p in caught.value.problems}
    assert messages == {
        "arm 1 vs 2, depressive symptoms, post, PHQ-9: sd_arm1": "got '-2.1', expected a number > 0",
        "arm 1 vs 2, depressive symptoms, post, PHQ-9: n_arm2": "got '1', expected a number >= 2",
        "study: icc": "got '1.5', expected an ICC between 0 and 1",
    }
    assert values_for(project, study, "ana") == {}
    # events above their total pass cell by cell, and are refused at submission
    events = RowKey(1, 2, "remission", "post")
    enter(
        project,
        study,
        {
            Cell("event_arm1", row=events): 30,
            Cell("totaln_arm1", row=events): 20,
            Cell("event_arm2", row=events): 5,
            Cell("totaln_arm2", row=events): 20,
        },
        extractor="ana",
    )
    with pytest.raises(
        DataError,
        match=r"arm 1 vs 2, remission, post, event_arm1'?: got '30', "
        r"expected at most totaln_arm1 \(20\)",
    ):
        submit(project, study, extractor="ana")
    with pytest.raises(ExtractionError, match="the form has no row-level field 'sd_am1'"):
        enter(project, study, {Cell("sd_am1", row=ROW): 1}, extractor="ana")


def test_who_may_extract_and_when(store_url):
    project, study = _with_study(store_url)
    enter(project, study, MEANS, extractor="ana")
    with pytest.raises(ExtractionError, match="number of extractors per study can no longer"):
        set_extractors_required(project, 1, actor="lead")
    enter(project, study, MEANS, extractor="ben")
    with pytest.raises(ExtractionError, match=r"has its 2 extractor\(s\) already: ana, ben"):
        enter(project, study, MEANS, extractor="cleo")
    with pytest.raises(ExtractionError, match="cleo has entered no value"):
        submit(project, study, extractor="cleo")
    submit(project, study, extractor="ana")
    with pytest.raises(ExtractionError, match=r"submitted study 1 \(Okafor, 2017\) already"):
        enter(project, study, MEANS, extractor="ana")
    with pytest.raises(ExtractionError, match="ana submitted study 1 already"):
        submit(project, study, extractor="ana")
    # equal values are not logged again; an emptied cell leaves the extractor's values
    before = len(study_events_of(project))
    assert enter(project, study, MEANS, extractor="ben") == ()
    enter(project, study, {Cell("condition", arm=2): ""}, extractor="ben")
    assert len(study_events_of(project)) == before + 1
    assert Cell("condition", arm=2) not in values_for(project, study, "ben")


def test_one_extractor_reviews_agree_without_consensus(store_url):
    project, study = _with_study(store_url)
    set_extractors_required(project, 1, actor="lead")
    enter(project, study, MEANS, extractor="ana")
    submit(project, study, extractor="ana")
    assert compare(project, study).differences == ()
    agreed = agreed_values(project, study)
    assert agreed.values == {
        cell: float(v) if not isinstance(v, str) else v for cell, v in MEANS.items()
    }


def test_review_specific_fields(store_url):
    project, study = _with_study(store_url)
    add_field(
        project,
        CustomField("format", "row", "choice", choices=("group", "one-to-one")),
        actor="lead",
    )
    add_field(project, CustomField("online", "study", "yes_no"), actor="lead")
    with pytest.raises(ExtractionError, match="has a field 'format' already"):
        add_field(project, CustomField("format", "study", "text"), actor="lead")
    assert [c.key for c in extraction_form(project).custom] == ["format", "online"]
    with pytest.raises(DataError, match="got 'pairs', expected one of group, one-to-one"):
        enter(project, study, {Cell("format", row=ROW): "pairs"}, extractor="ana")
    enter(
        project, study, {Cell("format", row=ROW): "Group", Cell("online"): "TRUE"}, extractor="ana"
    )
    assert values_for(project, study, "ana") == {
        Cell("format", row=ROW): "group",
        Cell("online"): "yes",
    }


def test_studies_from_screening(store_url):
    project = Project.open(store_url)
    records = [
        Record(title=t, authors=(a,), year=2019)
        for t, a in [
            ("Main", "Smith, J"),
            ("Protocol", "Smith, J"),
            ("Other", "Smith, K"),
            ("No", "X"),
        ]
    ]
    ids = project.add_import("s.ris", records, actor="lead").record_ids
    for stage in ("ta", "ft"):
        for who in ("ana", "ben"):
            for record_id in ids[:3]:
                vote(project, record_id, reviewer=who, stage=stage, decision="include")
        vote(project, ids[3], reviewer=who, stage="ta", decision="exclude")
    link_same_study(project, [ids[1]], of=ids[0], actor="lead")
    manual = add_study(project, "Register, 2021", actor="lead", note="NCT0001")
    added = add_included_studies(project, actor="lead")
    assert [(s.label, s.records, s.source) for s in added] == [
        ("Smith, 2019", (ids[0], ids[1]), "screening"),
        ("Smith, 2019b", (ids[2],), "screening"),
    ]
    assert manual.number == 1 and [s.number for s in added] == [2, 3]
    assert add_included_studies(project, actor="lead") == ()
    with pytest.raises(ExtractionError, match="has a study labelled 'Smith, 2019' already"):
        add_study(project, "Smith,  2019", actor="lead")


def test_the_study_log_is_append_only(store_url):
    project, study = _with_study(store_url)
    enter(project, study, MEANS, extractor="ana")
    statements = ["UPDATE study_events SET value = '1'", "DELETE FROM study_events"]
    if project.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE study_events")
    else:
        statements.append(
            "INSERT OR REPLACE INTO study_events (id, at, actor, kind, prev_hash, hash) "
            "VALUES (1, '2026-01-01', 'x', 'value', '', '')"
        )
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), project.engine.begin() as c:
            c.execute(text(sql))
    assert verify_study_log(project).intact


def test_a_rewritten_value_breaks_the_chain(tmp_path):
    project, study = _with_study(stores.sqlite_url(tmp_path))
    enter(project, study, MEANS, extractor="ana")
    with project.engine.begin() as c:
        c.execute(text("DROP TRIGGER study_events_no_update"))
        c.execute(text("UPDATE study_events SET value = '99' WHERE id = 3"))
    check = verify_study_log(project)
    assert check.broken_at == 3 and "content" in check.problem


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ana", "ben"]),
            st.sampled_from(["mean_arm1", "mean_arm2", "yi"]),
            st.one_of(st.none(), st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 3))),
        ),
        max_size=12,
    ),
    st.sampled_from(["ana", "ben", None]),
)
def test_a_user_never_gets_another_extractors_value_before_both_submit(entries, submitted):
    """Property: whatever the two enter (and whoever of them submitted), each one's values are
    exactly their own latest entries, and nobody else's; comparison stays refused."""
    project = Project.open("sqlite://")
    study = add_study(project, "A", actor="lead").number
    latest: dict[str, dict[Cell, float]] = {"ana": {}, "ben": {}}
    for who, field, value in entries:
        cell = Cell(field, row=ROW)
        enter(project, study, {cell: value}, extractor=who)
        if value is None:
            latest[who].pop(cell, None)
        else:
            latest[who][cell] = value
    if submitted and latest[submitted]:
        with pytest.raises(DataError):  # no complete data group: refused, still blinded
            submit(project, study, extractor=submitted)
    for who in ("ana", "ben"):
        assert values_for(project, study, who) == latest[who]
        other = "ben" if who == "ana" else "ana"
        for cell in latest[other]:
            seen = {(h.actor, h.value) for h in cell_history(project, study, cell, viewer=who)}
            assert all(actor == who for actor, _ in seen)
    assert values_for(project, study, "lead") == {}
    with pytest.raises(ExtractionError):
        compare(project, study)


def test_racing_people_become_at_most_two_extractors_and_one_consensus_holds(store_url):
    """Six threads start extracting one study at once: the check (room for another extractor)
    and the append run under the write lock, so exactly two are accepted."""
    from concurrent.futures import ThreadPoolExecutor

    project, study = _with_study(store_url)

    def start(who: str) -> str:
        try:
            enter(project, study, {Cell("country"): f"UK {who}"}, extractor=who)
            return "accepted"
        except ExtractionError:
            return "refused"

    names = [f"reviewer{i}" for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(start, names))
    assert sorted(outcomes) == ["accepted"] * 2 + ["refused"] * 4
    assert len(progress(project, study).extractors) == 2
    assert verify_study_log(project).intact


def test_export_names_what_it_leaves_out_and_is_formula_safe(store_url, tmp_path):
    from metareview.data.table import load_table
    from metareview.store.extraction_export import write_agreed

    project = Project.open(store_url)
    set_extractors_required(project, 1, actor="lead")
    add_field(project, CustomField("note", "study", "text"), actor="lead")
    done = add_study(project, '=HYPERLINK("http://x","Lee")', actor="lead").number
    enter(project, done, {**MEANS, Cell("note"): "@SUM(A1)"}, extractor="ana")
    submit(project, done, extractor="ana")
    pending = add_study(project, "Ng, 2021", actor="lead").number
    enter(project, pending, MEANS, extractor="ana")
    with pytest.raises(ExtractionError, match=r"1 study not in the agreed table: Ng, 2021 \(not "):
        write_agreed(project, tmp_path / "agreed.csv")
    assert not (tmp_path / "agreed.csv").exists()
    with pytest.raises(ExtractionError, match="export format must be one of csv, xlsx"):
        write_agreed(project, tmp_path / "agreed.ods", partial=True)
    for name in ("agreed.csv", "agreed.xlsx"):
        table = write_agreed(project, tmp_path / name, partial=True)
        assert table.left_out == {"Ng, 2021": "not complete: 0 of 1 extractors submitted it"}
        read = load_table(tmp_path / name).frame
        assert read["study"].tolist() == ['\'=HYPERLINK("http://x","Lee")']
        assert read["note"].tolist() == ["'@SUM(A1)"]
        assert read["mean_arm1"].tolist() == [10.2] and read["n_arm1"].tolist() == [40.0]
        assert read["condition_arm2"].tolist() == ["care as usual"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.floats(-1e6, 1e6, allow_nan=False),
            st.floats(1e-6, 1e6),
            st.integers(2, 10_000),
            st.text(st.sampled_from("ab =+-@'\",;0é"), max_size=8),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_exported_numbers_and_text_read_back_exactly(rows):
    """Property: whatever valid values are agreed, the exported CSV reads back (load_table) with
    the same numbers bit for bit, and text the same unless a spreadsheet would run it."""
    import tempfile
    from pathlib import Path

    from metareview.data.spreadsheet import neutralise
    from metareview.data.table import load_table
    from metareview.store.extraction_export import write_agreed

    project = Project.open("sqlite://")
    set_extractors_required(project, 1, actor="lead")
    study = add_study(project, "A", actor="lead").number
    cells = {}
    for i, (mean, sd, n, rating) in enumerate(rows):
        key = RowKey(1, 2, f"outcome {i}", "post")
        cells |= {Cell("mean_arm1", row=key): mean, Cell("mean_arm2", row=key): -mean,
                  Cell("sd_arm1", row=key): sd, Cell("sd_arm2", row=key): sd,
                  Cell("n_arm1", row=key): n, Cell("n_arm2", row=key): n,
                  Cell("rating", row=key): rating}  # fmt: skip
    enter(project, study, cells, extractor="ana")
    submit(project, study, extractor="ana")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agreed.csv"
        write_agreed(project, path)
        frame = load_table(path).frame
    assert frame["mean_arm1"].tolist() == [mean for mean, *_ in rows]
    assert frame["sd_arm2"].tolist() == [sd for _, sd, *_ in rows]
    assert frame["n_arm1"].tolist() == [float(n) for _, _, n, _ in rows]
    typed = [r.strip() or None for *_, r in rows]
    if "rating" in frame:
        shown = [None if t is None else neutralise(t) for t in typed]
        assert [v if isinstance(v, str) else None for v in frame["rating"].tolist()] == shown
