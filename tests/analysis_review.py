"""A small review ready for analysis, for the workspace's analysis tests: three studies
extracted by two reviewers (rita, ravi) with one mean differing, and its consensus."""

from __future__ import annotations

from metareview.data.form import Cell, RowKey
from metareview.store.extraction import add_study, agree, enter, submit
from metareview.store.project import Project

ROW = RowKey(1, 2, "depression", "post")
#: label → (mean, SD, n) of the intervention arm, then of the control arm
STUDIES = {
    "Lee, 2020": (5.1, 2.0, 40, 6.3, 2.1, 41),
    "Ng, 2021": (4.8, 1.9, 35, 5.5, 2.2, 36),
    "Ode, 2019": (5.0, 2.5, 50, 5.9, 2.4, 48),
}
DIFFERING = Cell("mean_arm1", row=ROW)  # of study 1: ravi types 5.8, the consensus is 5.1
FIELDS = ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")


def cells_of(values: tuple) -> dict[Cell, object]:
    """A study's cells as an extractor enters them."""
    cells: dict[Cell, object] = {
        Cell("condition", arm=1): "exercise",
        Cell("condition", arm=2): "usual care",
    }
    cells |= {Cell(name, row=ROW): value for name, value in zip(FIELDS, values, strict=True)}
    return cells


def extract(project: Project) -> None:
    """Both extractors enter and submit the three studies; the lead records the consensus on
    the one mean they typed differently."""
    for label, values in STUDIES.items():
        study = add_study(project, label, actor="lena")
        for who in ("rita", "ravi"):
            cells = cells_of(values)
            if who == "ravi" and study.number == 1:
                cells[DIFFERING] = 5.8
            enter(project, study.number, cells, extractor=who)
            submit(project, study.number, extractor=who)
    agree(project, 1, DIFFERING, 5.1, actor="lena", agreed_by=["rita", "ravi"])
