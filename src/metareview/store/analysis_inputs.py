"""What a run of the analysis reads from the project: the agreed extraction table, the
agreed risk-of-bias judgements and the PRISMA 2020 counts, as the CSV text a run keeps (and
hashes).

The extraction table is :func:`~metareview.store.extraction_export.agreed_table` written as
:func:`~metareview.store.extraction_export.write_agreed` writes a CSV, byte for byte, so a run
in the workspace reads exactly what ``metareview run`` reads from the exported file. A run is
refused while a study is left out of that table (the error names each study and why), so no
study drops out of an analysis unnoticed.

>>> from metareview.data.form import Cell, RowKey
>>> from metareview.store.extraction import add_study, enter, set_extractors_required, submit
>>> project = Project.open("sqlite://")
>>> set_extractors_required(project, 1, actor="lead")
>>> study = add_study(project, "Lee, 2020", actor="lead")
>>> row = RowKey(1, 2, "hope", "post")
>>> _ = enter(project, 1, {Cell("yi", row=row): 0.3, Cell("vi", row=row): 0.04}, extractor="ana")
>>> _ = submit(project, 1, extractor="ana")
>>> extraction_csv(project).splitlines()[1]
'"Lee, 2020",hope,post,0.3,0.04'
"""

from __future__ import annotations

import json

import pandas as pd

from metareview.data.spreadsheet import safe_frame
from metareview.errors import DataError, ExtractionError
from metareview.rob.items import OVERRIDE_FIELDS
from metareview.rob.prisma import PrismaCounts
from metareview.store.extraction_export import agreed_table
from metareview.store.prisma import project_flow
from metareview.store.project import Project
from metareview.store.rob_assessment import rob_export
from metareview.store.study_log import StudyEventKind, read_study_events


def extraction_csv(project: Project) -> str:
    """The agreed extraction table as CSV text (refused while a study is left out of it)."""
    table = agreed_table(project)
    if table.left_out:
        raise ExtractionError(
            "the analysis needs every study in the agreed table; not there yet: "
            + "; ".join(f"{study} ({why})" for study, why in table.left_out.items())
        )
    if table.frame.empty:
        raise ExtractionError("no study has agreed extraction data yet")
    return safe_frame(table.frame).to_csv(index=False)


def assessed_results(project: Project) -> tuple[str, ...]:
    """The results (outcomes) any study has a risk-of-bias assessment of, sorted."""
    with project.engine.connect() as connection:
        rows = read_study_events(connection, kinds=[StudyEventKind.ROB_VALUE])
    return tuple(sorted({json.loads(e.cell)[1] for e in rows if e.cell}))


def rob_csv(project: Project) -> str:
    """The agreed risk-of-bias judgements of every assessed result as one robvis-style CSV
    (``Result``, ``Study``, the domains, ``Overall``); empty text when none is agreed."""
    frames = []
    for result in assessed_results(project):
        table = rob_export(project, result).table
        if table is not None:
            frame = table.to_frame().drop(columns="Weight", errors="ignore")
            frames.append(frame.assign(Result=result)[["Result", *frame.columns]])
    if not frames:
        return ""
    return safe_frame(pd.concat(frames, ignore_index=True)).to_csv(index=False)


def prisma_csv(project: Project) -> str:
    """The project's PRISMA 2020 counts, as the dashboard shows them, as the PRISMA2020 CSV a
    run draws its flow diagram from (:meth:`~metareview.rob.prisma.PrismaCounts.to_csv`);
    empty text when the project has no records or its counts do not add up (while screening
    is under way), and the run then draws no diagram.

    >>> from metareview.records.record import Record
    >>> project = Project.open("sqlite://")
    >>> prisma_csv(project)
    ''
    >>> _ = project.add_import("a.ris", [Record(title="A")], actor="ana", source_database="PubMed")
    >>> prisma_csv(project)  # one record, not screened yet
    ''
    """
    flow = project_flow(project)
    if not (flow.identified or flow.identified_registers or flow.identified_other):
        return ""
    counts = PrismaCounts(source=project.url).with_counts(**flow.prisma_fields())
    try:
        counts.check()
    except DataError:
        return ""
    return counts.to_csv()


def rob_overrides(project: Project) -> list[dict[str, str]]:
    """Every agreed RoB 2 judgement that overrides the algorithm's proposal (``study``,
    ``result``, ``domain``, ``proposed``, ``judgement``, ``justification``), as a run adds
    them to its plan (``[[rob.override]]``) for the report to flag."""
    found = []
    for result in assessed_results(project):
        details = rob_export(project, result).details
        if "overridden" not in details:
            continue
        for row in details[details["overridden"].fillna(False).astype(bool)].to_dict("records"):
            found.append({key: str(row[key]) for key in OVERRIDE_FIELDS})
    return found
