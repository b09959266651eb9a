"""Helpers for the workspace's HTTP tests: a project with a team, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from starlette.testclient import TestClient

from metareview.records.record import Record
from metareview.store.accounts import add_account
from metareview.store.project import Project
from metareview.web import create_app

PASSWORD = "a long enough passphrase"
#: account -> role in the review (None: an account with no access; "admin": admin, no role)
TEAM = {
    "lena": "lead",
    "rita": "reviewer",
    "ravi": "reviewer",
    "tess": "reviewer",
    "vic": "viewer",
    "otto": None,
    "adam": "admin",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_project(url: str, n_records: int = 6) -> Project:
    """A project with ``n_records`` records and the accounts of :data:`TEAM`."""
    project = Project.open(url)
    records = [
        Record(
            title=f"Exercise for depression, trial {i}",
            abstract=f"A randomised trial number {i} of exercise.",
            authors=("Doe, Jane", "Roe, Rick"),
            journal="Journal of Trials",
            year=2000 + i,
            doi=f"10.1000/trial.{i}",
            keywords=("exercise", "depression"),
        )
        for i in range(n_records)
    ]
    project.add_import("search.ris", records, actor="lena", source_database="PubMed")
    for name, role in TEAM.items():
        add_account(
            project,
            name,
            PASSWORD,
            role=None if role in (None, "admin") else role,
            is_admin=role == "admin" or name == "lena",
        )
    return project


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class Browser:
    """One person's HTTP client: their own cookies and CSRF token."""

    def __init__(self, client: TestClient, name: str | None = None):
        self.client = client
        self.name = name
        self.csrf = ""

    def sign_in(self, name: str, password: str = PASSWORD):
        page = self.client.get("/login")
        response = self.client.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        if response.status_code == 303:
            self.name = name
            home = {None: None, "admin": "/members"}.get(TEAM.get(name), "/dashboard")
            self.csrf = csrf_of(self.client.get(home).text) if home else ""
        return response

    def get(self, url: str, **kwargs):
        return self.client.get(url, follow_redirects=False, **kwargs)

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.csrf
        return self.client.post(url, data=data, follow_redirects=False, **kwargs)


@contextmanager
def workspace(project: Project) -> Iterator[Callable[[str | None], Browser]]:
    """The app on ``project``, and a factory of browsers, signed in as the name given
    (``None``: anonymous)."""
    app = create_app(project)
    with TestClient(app):  # runs the app's lifespan (the project is closed at its end)

        def browser(name: str | None = None) -> Browser:
            b = Browser(TestClient(app))
            if name is not None:
                response = b.sign_in(name)
                assert response.status_code == 303, response.text
            return b

        yield browser
