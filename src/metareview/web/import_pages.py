"""Importing search exports from the browser, through the CLI's parsers.

Every format ``records import`` reads is accepted (the format is detected from the content).
All files are read before any is stored; a file that cannot be read at all is reported and
nothing is imported. After the import the project is deduplicated as ``records dedup`` does.
The result page lists, per file, the records read and imported, those removed as duplicates or
waiting as possible duplicates, and every entry skipped or repaired with its line, so nothing is
dropped silently.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path, PurePath

from starlette.responses import Response

from metareview.errors import RecordsError
from metareview.records.duplicate_log import DuplicateState
from metareview.records.importers import ImportResult, read_records
from metareview.records.record import SourceKind
from metareview.store.review import deduplicate_project
from metareview.web.security import LEAD, Call, page, render

MAX_UPLOAD_MB = 50
KINDS = [kind.value for kind in SourceKind]


def _safe_name(filename: str) -> str:
    """The upload's own file name, without any folder (for the temporary copy and the log)."""
    name = PurePath(filename.replace("\\", "/")).name.strip() or "upload"
    return "".join(c for c in name if c.isprintable())[:200] or "upload"


def _read(files: list[tuple[str, bytes]], source: str | None) -> list[tuple[str, ImportResult]]:
    out = []
    with tempfile.TemporaryDirectory(prefix="metareview-import-") as folder:
        for number, (filename, data) in enumerate(files):
            name = _safe_name(filename)
            path = Path(folder) / str(number) / name
            path.parent.mkdir()
            path.write_bytes(data)
            result = read_records(path, source)
            records = tuple(replace(r, source_file=name) for r in result.records)
            out.append((name, replace(result, file=name, records=records)))
    return out


def _render(call: Call, status: int = 200, **values):
    return render(
        call,
        "import.html",
        status=status,
        kinds=KINDS,
        imports=call.workspace.project.imports(),
        **values,
    )


@page(LEAD)
def import_form(call: Call) -> Response:
    """The upload form and the imports so far."""
    return _render(call, results=[], error="")


@page(LEAD, max_upload_mb=MAX_UPLOAD_MB)
def import_files(call: Call) -> Response:
    """Read every uploaded file, then store them all (or none, if one cannot be read)."""
    kind = call.form.get("kind", "database")
    source = call.form.get("source", "").strip()[:200]
    if kind not in KINDS:
        return _render(call, 400, results=[], error=f"unknown kind of source {kind!r}")
    if not call.files:
        return _render(call, 400, results=[], error="choose one or more files to import")
    try:
        read = _read(call.files, source or None)
    except RecordsError as err:
        return _render(call, 400, results=[], error=f"nothing imported: {err}")
    project = call.workspace.project
    batches = [
        (
            result,
            project.add_import(
                name,
                result.records,
                actor=call.username,
                source_database=source,
                source_kind=kind,
                errors=[e.to_dict() for e in result.errors],
            ),
        )
        for name, result in read
    ]
    counts = deduplicate_project(project, actor=call.username)
    state = DuplicateState.from_events(project.events())
    waiting = {p.record_id for p in state.maybe} | {p.of for p in state.maybe}
    results = [
        (
            result,
            len(batch.record_ids),
            sum(1 for r in batch.record_ids if r in state.removed),
            sum(1 for r in batch.record_ids if r in waiting),
        )
        for result, batch in batches
    ]
    return _render(call, results=results, counts=counts, error="")
