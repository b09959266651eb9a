"""The runs of the analysis, read in the workspace: a run's page, its files (the report served
with a policy of its own), two runs compared, and a study's extraction cells with who entered
and who agreed each value (where a forest plot's study label leads).

The report is the self-contained HTML ``metareview run`` writes: inline styles and SVG, no
script. It is served with :data:`REPORT_POLICY`, which lets its styles and images show and
runs no script at all, like the full-text PDF view.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import Response

from metareview.errors import ExtractionError
from metareview.plan.run_compare import compare_runs
from metareview.store.analysis_runs import (
    recorded_prisma,
    run,
    run_file,
    run_inputs,
    run_paths,
    run_prisma,
    runs,
)
from metareview.store.extraction import agreed_values, cell_history, studies
from metareview.web.security import MEMBERS, Call, page, render

#: The served report's own policy: inline styles and images (SVG, data: URLs) show; no script,
#: no form, no connection; framed by the workspace only.
REPORT_POLICY = "; ".join(
    ["default-src 'none'", "style-src 'unsafe-inline'", "img-src 'self' data:",
     "script-src 'none'", "form-action 'none'", "frame-ancestors 'self'", "base-uri 'none'"]
)  # fmt: skip
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".toml": "text/plain; charset=utf-8",
}
INLINE = (".html", ".json", ".svg", ".png", ".pdf", ".toml")


def _number(value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise HTTPException(404)
    return int(value)


def _run_of(call: Call, name: str = "run_id"):
    found = run(call.workspace.project, _number(call.request.path_params[name]))
    if found is None:
        raise HTTPException(404)
    return found


@page(MEMBERS)
def progress(call: Call) -> Response:
    """A run's progress (the fragment the page polls while the run runs)."""
    return render(call, "_run_progress.html", run=_run_of(call))


@page(MEMBERS)
def run_page(call: Call) -> Response:
    """A run: who ran it and when, its inputs' hashes (the PRISMA counts' as
    :func:`~metareview.store.analysis_runs.run_prisma` knows them), its report and files."""
    found = _run_of(call)
    project = call.workspace.project
    others = [r for r in runs(project) if r.id != found.id and r.status == "done"]
    return render(
        call,
        "run.html",
        run=found,
        prisma=run_prisma(project, found.id),
        paths=run_paths(project, found.id),
        others=others,
    )


@page(MEMBERS)
def served_file(call: Call) -> Response:
    """One file of a run; the report with :data:`REPORT_POLICY`, tables as downloads."""
    found = _run_of(call)
    path = call.request.path_params["path"]
    data = run_file(call.workspace.project, found.id, path)
    if data is None:
        raise HTTPException(404)
    suffix = PurePosixPath(path).suffix.lower()
    name = PurePosixPath(path).name.replace('"', "")
    disposition = "inline" if suffix in INLINE else "attachment"
    return Response(
        data,
        media_type=MEDIA.get(suffix, "application/octet-stream"),
        headers={
            "content-security-policy": REPORT_POLICY,
            "content-disposition": f'{disposition}; filename="run-{found.id}-{name}"',
            "x-content-type-options": "nosniff",
        },
    )


@page(MEMBERS)
def compare(call: Call) -> Response:
    """Two runs compared: the numbers that changed, the inputs that changed them, and the
    boxes of the PRISMA flow diagram whose counts changed."""
    project = call.workspace.project
    pair = []
    for name in ("before", "after"):
        found = run(project, _number(call.query(name)))
        if found is None or found.status != "done":
            raise HTTPException(404)
        results = json.loads(run_file(project, found.id, "results.json") or b"{}")
        inputs = run_inputs(project, found.id)
        assert inputs is not None
        prisma = recorded_prisma(project, found.id)
        pair.append(
            (found, results, (inputs.plan_text, inputs.extraction_csv, inputs.rob_csv, prisma))
        )
    (before, results_a, inputs_a), (after, results_b, inputs_b) = pair
    comparison = compare_runs(results_a, results_b, inputs_a, inputs_b)
    return render(call, "compare.html", before=before, after=after, comparison=comparison)


@page(MEMBERS)
def study_cells(call: Call) -> Response:
    """A study's agreed extraction cells, each with who entered what and who agreed it."""
    project = call.workspace.project
    number = _number(call.request.path_params["number"])
    study = next((s for s in studies(project) if s.number == number), None)
    if study is None:
        raise HTTPException(404)
    try:
        agreed = agreed_values(project, number)
    except ExtractionError as err:  # not complete: nobody sees another's values yet
        return render(call, "study_cells.html", 409, study=study, cells=[], message=str(err))
    cells = [
        (cell, value, cell_history(project, number, cell, viewer=call.username))
        for cell, value in sorted(
            agreed.values.items(), key=lambda item: (item[0].level, item[0].code)
        )
    ]
    return render(call, "study_cells.html", study=study, cells=cells, message="")
