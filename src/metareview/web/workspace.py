"""The state one running workspace holds: its project, its templates, and the rankings.

Active learning orders each reviewer's records by a model of their own votes
(:func:`~metareview.records.active_learning.own_vote_order`). Retraining runs on a background
thread after each vote; a vote never waits for it, and until a new order is ready the next
record comes from the previous one.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.templating import Jinja2Templates

from metareview.store.project import Project
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


class Rankings:
    """Per reviewer and stage, the latest active-learning order (computed in the background)."""

    def __init__(self, project: Project, *, analysis_jobs: int = 1):
        self.project = project
        self.analysis_jobs = analysis_jobs  # worker processes of an analysis run
        self._orders: dict[tuple[str, str], tuple[int, ...]] = {}
        self._rankers: dict[str, tuple[tuple[int, ...], Any]] = {}
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranking")

    def order(self, reviewer: str, stage: str) -> tuple[int, ...]:
        """The latest order for this reviewer (empty until the first one is computed)."""
        with self._lock:
            return self._orders.get((reviewer, stage), ())

    def refresh(self, reviewer: str, stage: str) -> None:
        """Recompute the order in the background (at most one pending run per reviewer)."""
        key = (reviewer, stage)
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        self._executor.submit(self._compute, key)

    def _compute(self, key: tuple[str, str]) -> None:
        from metareview.records.active_learning import Ranker, own_vote_order, record_text
        from metareview.store.reviewer_view import reviewer_view

        reviewer, stage = key
        with self._lock:
            self._pending.discard(key)
        view = reviewer_view(self.project, reviewer, stage)
        pool, ranker = self._rankers.get(stage, ((), None))
        if pool != view.pool:
            stored = self.project.records(view.pool)
            texts = [record_text(stored[r].title, stored[r].abstract) for r in view.pool]
            ranker = Ranker(texts) if len(view.pool) > 1 and any(texts) else None
            pool = view.pool
            self._rankers[stage] = (pool, ranker)
        order = own_vote_order(ranker, pool, view.own_votes)
        with self._lock:
            self._orders[key] = order

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class Workspace:
    """Everything the routes share: the open project, the templates, the rankings."""

    def __init__(self, project: Project, *, analysis_jobs: int = 1):
        self.project = project
        self.analysis_jobs = analysis_jobs  # worker processes of an analysis run
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.filters["highlight"] = highlight
        self.templates.env.filters["doi_url"] = doi_url
        self.rankings = Rankings(project)
        self.drawing = threading.Lock()  # matplotlib's pyplot is not thread-safe
        # runs of the analysis (one at a time; the store refuses a second in any process)
        self.analysis = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")

    def close(self) -> None:
        self.rankings.close()
        self.analysis.shutdown(wait=True)  # a run ends before its project closes
        self.project.close()
