"""A throwaway demo project for ``metareview serve --demo``: 200 records of a SYNERGY review
(CC0; see ``demo_data/README.txt``), a lead and two reviewers, ready to screen.

>>> import tempfile
>>> from pathlib import Path
>>> project, logins = make_demo(Path(tempfile.mkdtemp()) / "demo.mrproj")
>>> len(project.record_ids()), [name for name, _, _ in logins]
(200, ['demo-lead', 'demo-ana', 'demo-ben'])
>>> project.close()
"""

from __future__ import annotations

import secrets
from pathlib import Path

from metareview.store.accounts import add_account
from metareview.store.project import Project
from metareview.store.review import configure, deduplicate_project

DEMO_DATA = Path(__file__).parent / "demo_data" / "oud_2018_subset.csv"
#: (account, role) of the demo team; the lead is also the server admin.
DEMO_TEAM = (("demo-lead", "lead"), ("demo-ana", "reviewer"), ("demo-ben", "reviewer"))


def make_demo(location: str | Path) -> tuple[Project, list[tuple[str, str, str]]]:
    """A new project at ``location`` holding the demo records (deduplicated), highlighted
    terms, and the demo team with fresh random passwords: (project, [(name, role, password)])."""
    from metareview.records.importers import read_records

    project = Project.open(location)
    read = read_records(DEMO_DATA, "OpenAlex")
    project.add_import(DEMO_DATA.name, read.records, actor="demo-lead", source_database="OpenAlex",
                       errors=[e.to_dict() for e in read.errors])  # fmt: skip
    deduplicate_project(project, actor="demo-lead")
    configure(
        project,
        actor="demo-lead",
        highlight_include=["borderline personality disorder", "psychotherapy", "randomized"],
        highlight_exclude=["adolescents", "review"],
    )
    logins = []
    for name, role in DEMO_TEAM:
        password = secrets.token_urlsafe(9)
        add_account(project, name, password, role=role, is_admin=role == "lead")
        logins.append((name, role, password))
    return project, logins
