"""`metareview records export-extraction`, `export-rob` and `verify` on a project with
extraction and risk-of-bias work."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import text

from metareview.data.form import Cell, RowKey
from metareview.store import Project
from metareview.store.extraction import add_study, enter, set_extractors_required, submit
from metareview.store.rob_assessment import answer, set_assessors_required, submit_rob
from tests import stores
from tests.test_records_cli import run

ROW = RowKey(1, 2, "hope", "post")
LOW = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y",
       "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N"}  # fmt: skip


def test_export_extraction_and_rob_then_verify(tmp_path):
    url = stores.sqlite_url(tmp_path)
    project = Project.open(url)
    set_extractors_required(project, 1, actor="lead")
    set_assessors_required(project, 1, actor="lead")
    for label in ("Lee, 2020", "Ng, 2021"):
        number = add_study(project, label, actor="lead").number
        cells = {Cell("yi", row=ROW): 0.3, Cell("sei", row=ROW): 0.1}
        enter(project, number, cells, extractor="ana")
        answer(project, number, "hope", LOW, assessor="ana",
               overrides={"D5": ("Some concerns", "protocol registered late")})  # fmt: skip
    submit(project, 1, extractor="ana")
    submit_rob(project, 1, "hope", assessor="ana")
    project.close()

    out = tmp_path / "agreed.csv"
    refused = run("export-extraction", url, "-o", str(out), check=False)
    assert refused.returncode == 2 and "Ng, 2021 (not complete" in refused.stderr
    done = run("export-extraction", url, "-o", str(out), "--partial")
    assert "wrote 1 rows of 1 studies" in done.stdout and "left out: Ng, 2021" in done.stdout
    assert pd.read_csv(out)["study"].tolist() == ["Lee, 2020"]

    rob = tmp_path / "rob.csv"
    assert run("export-rob", url, "hope", "-o", str(rob), check=False).returncode == 2
    run("export-rob", url, "hope", "-o", str(rob), "--partial")
    assert pd.read_csv(rob).columns.tolist() == ["Study", "D1", "D2", "D3", "D4", "D5",
                                                 "Overall", "Weight"]  # fmt: skip
    details = pd.read_csv(tmp_path / "rob-details.csv")
    assert details.loc[details["overridden"], "justification"].tolist() == [
        "protocol registered late"
    ]

    report = json.loads(run("verify", url, "--json").stdout)
    assert report["intact"] and report["study_log"]["intact"]
    with Project.open(url) as opened, opened.engine.begin() as c:
        c.execute(text("DROP TRIGGER study_events_no_update"))
        c.execute(text("UPDATE study_events SET actor = 'zoe' WHERE id = 5"))
    broken = run("verify", url, check=False)
    assert broken.returncode == 1 and "study log: broken at event 5" in broken.stdout
