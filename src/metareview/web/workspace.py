"""The state one running workspace holds: its project, its templates, and the rankings.

Active learning orders each reviewer's records by a model of their own votes, recomputed in
the background after each vote (:class:`~metareview.store.rankings.Rankings`); a vote never
waits for it, and until a new order is ready the next record comes from the previous one.
``metareview serve`` trains in a separate process, so a retrain never holds the server's
interpreter lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import quote

from starlette.templating import Jinja2Templates

from metareview.store.project import Project
from metareview.store.rankings import Rankings
from metareview.web.analysis_process import AnalysisRunner
from metareview.web.highlight import highlight

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
DOI_RESOLVER = "https://doi.org/"


def doi_url(doi: str) -> str:
    """The link to a DOI at its resolver, the DOI percent-encoded (a link, not a loaded file).

    >>> doi_url("10.1000/a<b>")
    'https://doi.org/10.1000/a%3Cb%3E'
    """
    return DOI_RESOLVER + quote(doi, safe="/")


class Workspace:
    """Everything the routes share: the open project, the templates, the rankings (trained
    in a child process with ``ranking_process``), and the runs of the analysis (executed in a
    child process unless ``analysis_process`` is false)."""

    def __init__(
        self,
        project: Project,
        *,
        analysis_jobs: int = 1,
        ranking_process: bool = False,
        analysis_process: bool = True,
    ):
        self.project = project
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.filters["highlight"] = highlight
        self.templates.env.filters["doi_url"] = doi_url
        self.rankings = Rankings(project, separate_process=ranking_process)
        self.drawing = threading.Lock()  # matplotlib's pyplot is not thread-safe
        # runs of the analysis (one at a time; the store refuses a second in any process)
        self.analysis = AnalysisRunner(
            project, jobs=analysis_jobs, separate_process=analysis_process
        )

    def close(self) -> None:
        self.rankings.close()
        self.analysis.close()  # a run ends before its project closes
        self.project.close()
