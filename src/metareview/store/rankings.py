"""Each reviewer's active-learning order, recomputed in the background after their votes.

Active learning orders a reviewer's records by a model of their own votes
(:func:`~metareview.records.active_learning.own_vote_order`). :class:`Rankings` recomputes a
reviewer's order on a background thread when asked (after each vote, at most one pending run
per reviewer and stage); nobody waits for it, and until a new order is ready the queue follows
the previous one (:func:`~metareview.store.reviewer_view.queue_page` skips what is no longer
to do).

With ``separate_process`` the model is trained in a child process that opens the project
itself, at a lower scheduling priority: a retrain then takes neither the server's
interpreter lock nor a core a request needs, so it cannot delay a vote. (The thread only waits
for the child's answer.) A project in memory cannot be opened twice, so it always trains on
the thread.

The model is the project's ``ranking_model`` setting (``records settings --ranking-model``;
``minilm`` for a project created where the extra is installed, see
:func:`~metareview.store.review.start_ranking`, otherwise ``svm``); one that reads sentence
embeddings (``minilm``) takes the project's cached
vectors (:mod:`metareview.store.embeddings`), computing those of new records first when
the extra is installed (otherwise the ranking fails with a message saying to run
``records embed`` or install the extra, and the queue keeps its previous order).

A ranking that fails leaves the queue in its previous order; :meth:`Rankings.failure` says
when it failed and why (one line, never a traceback), until a later ranking for that reviewer
and stage succeeds. The workspace shows it to that reviewer and, with everyone's, to the lead.

>>> import time
>>> from metareview.records.record import Record
>>> from metareview.store.review import vote
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("s.ris", [Record(title=t) for t in ["exercise trial",
...     "history", "exercise study", "survey"]], actor="lead")
>>> for record_id, decision in ((1, "include"), (2, "exclude")):
...     _ = vote(project, record_id, reviewer="ana", stage="ta", decision=decision)
>>> rankings = Rankings(project)
>>> rankings.order("ana", "ta") is None
True
>>> rankings.refresh("ana", "ta")
>>> while rankings.order("ana", "ta") is None:
...     time.sleep(0.01)
>>> list(rankings.order("ana", "ta"))
[3, 4]
>>> rankings.close()
"""

from __future__ import annotations

import logging
import threading
from array import array
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from metareview.store.accounts import SCREENING_ROLES, active_members
from metareview.store.project import Project
from metareview.store.project_process import start_project_process

logger = logging.getLogger(__name__)
_IN_MEMORY = ("sqlite://", "sqlite:///:memory:")


def project_ranker(
    project: Project,
    pool: tuple[int, ...] | list[int],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """The active-learning model of the records ``pool`` (in that order) by the project's
    ranking model, with their cached sentence vectors if it reads them (those missing
    computed first, reporting ``progress(done, total)``:
    :func:`~metareview.store.embeddings.project_vectors`); ``None`` when there is nothing to
    rank (fewer than two records, or no text at all)."""
    from metareview.records.active_learning import Ranker, record_text
    from metareview.store.review import ranking_model

    stored = project.titles_and_abstracts(pool)
    texts = [record_text(*stored[r]) for r in pool]
    if len(pool) < 2 or not any(texts):
        return None
    model = ranking_model(project)
    vectors = None
    if model.embedding:
        from metareview.store.embeddings import project_vectors

        vectors = project_vectors(project, list(pool), progress=progress)
    return Ranker(texts, model, vectors=vectors)


class RankingCache:
    """The active-learning model of each stage's records (its TF-IDF matrix is built once per
    set of records and ranking model, the longest part of a first ranking)."""

    def __init__(self) -> None:
        self._rankers: dict[str, tuple[tuple[Any, ...], Any]] = {}

    def order(self, project: Project, reviewer: str, stage: str) -> array:
        """``reviewer``'s records still to screen at ``stage``, most relevant first by a model
        of their own votes (see :func:`~metareview.records.active_learning.own_vote_order`);
        records whose votes are complete are left out."""
        from metareview.records.active_learning import own_vote_order
        from metareview.store.review import screening_config
        from metareview.store.reviewer_view import own_votes

        pool = project.log().pool(stage)
        mine = own_votes(project, reviewer, stage)
        model = screening_config(project).ranking_model
        built, ranker = self._rankers.get(stage, ((), None))
        if built != (model, pool):
            ranker = project_ranker(project, pool)
            self._rankers[stage] = ((model, pool), ranker)
        order = own_vote_order(ranker, pool, mine)
        log = project.log()
        with log.lock:  # without the records already complete, which the queue would skip
            still_open = log.open_records(stage)
            return array("q", (r for r in order if r in still_open))


#: The longest reason a page shows (a database error can carry its whole statement).
MAX_REASON = 300


def failure_reason(err: BaseException) -> str:
    """Why a ranking failed, in one line of at most :data:`MAX_REASON` characters: the
    exception's message (its type's name when it has none).

    >>> failure_reason(ValueError("3 records have\\n no vector"))
    '3 records have no vector'
    >>> failure_reason(KeyError())
    'KeyError'
    >>> len(failure_reason(RuntimeError("SELECT " * 100)))
    300
    """
    reason = " ".join(str(err).split()) or type(err).__name__
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


@dataclass(frozen=True)
class RankingFailure:
    """The latest failed ranking of a reviewer's records at a stage: when (UTC) and why."""

    reviewer: str
    stage: str
    at: datetime
    reason: str


class Rankings:
    """Per reviewer and stage, the latest active-learning order (computed in the background,
    on a thread or, with ``separate_process``, in a child process), and the latest failure
    since the last order that succeeded."""

    def __init__(self, project: Project, *, separate_process: bool = False):
        self.project = project
        self._orders: dict[tuple[str, str], array] = {}
        self._pending: set[tuple[str, str]] = set()
        self._failures: dict[tuple[str, str], RankingFailure] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranking")
        self._cache = RankingCache()
        self._separate = separate_process and project.url not in _IN_MEMORY
        self._child: Any = None
        self._connection: Any = None
        self._closed = False

    def order(self, reviewer: str, stage: str) -> array | None:
        """The latest order for this reviewer (``None`` until the first one is computed)."""
        with self._lock:
            return self._orders.get((reviewer, stage))

    def failure(self, reviewer: str, stage: str) -> RankingFailure | None:
        """This reviewer's latest failed ranking at ``stage``, unless a later one succeeded
        (their queue then keeps its previous order).

        >>> import time
        >>> from metareview.records.record import Record
        >>> project = Project.open("sqlite://")
        >>> _ = project.add_import("s.ris", [Record(title="trial")], actor="lead")
        >>> rankings = Rankings(project)
        >>> rankings.refresh("ana", "xx")  # no such stage: this ranking fails
        >>> while rankings.failure("ana", "xx") is None:
        ...     time.sleep(0.01)
        >>> rankings.failure("ana", "xx").reason
        "'xx' is not a valid Stage"
        >>> rankings.failures() == [rankings.failure("ana", "xx")]
        True
        >>> rankings.close()
        """
        with self._lock:
            return self._failures.get((reviewer, stage))

    def failures(self, *, screening_only: bool = False) -> list[RankingFailure]:
        """Every reviewer's latest failed ranking (by reviewer, then stage) not followed by
        one that succeeded: for the lead only, as it names the reviewers (see
        :meth:`failure`). With ``screening_only``, only those of members who can screen now
        (:func:`~metareview.store.accounts.active_members` with a role in
        :data:`~metareview.store.accounts.SCREENING_ROLES`): a disabled account, one removed
        from the review, or one made a viewer no longer screens, so its failures are kept
        (should it screen again) but not listed. Accounts are read only if something failed.

        >>> import time
        >>> from metareview.records.record import Record
        >>> from metareview.store.accounts import add_account, set_disabled, set_role
        >>> project = Project.open("sqlite://")
        >>> _ = project.add_import("s.ris", [Record(title="trial")], actor="lead")
        >>> rankings = Rankings(project)
        >>> for name in ("ana", "ben", "cai"):
        ...     _ = add_account(project, name, "tiger lily 1947", role="reviewer")
        ...     rankings.refresh(name, "xx")  # no such stage: this ranking fails
        ...     while rankings.failure(name, "xx") is None:
        ...         time.sleep(0.01)
        >>> _ = set_disabled(project, "ben")
        >>> _ = set_role(project, "cai", "viewer")
        >>> [failed.reviewer for failed in rankings.failures()]
        ['ana', 'ben', 'cai']
        >>> [failed.reviewer for failed in rankings.failures(screening_only=True)]
        ['ana']
        >>> rankings.close()
        """
        with self._lock:
            listed = [self._failures[key] for key in sorted(self._failures)]
        if screening_only and listed:  # nothing failed (the usual case): no accounts read
            screeners = active_members(self.project, roles=SCREENING_ROLES)
            listed = [failed for failed in listed if failed.reviewer in screeners]
        return listed

    def refresh(self, reviewer: str, stage: str) -> None:
        """Recompute the order in the background (at most one pending run per reviewer)."""
        key = (reviewer, stage)
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        self._executor.submit(self._compute, key)

    def _compute(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._pending.discard(key)
        try:
            if self._separate:
                order = self._ask_child(key)
            else:
                order = self._cache.order(self.project, *key)
        except Exception as err:  # the queue keeps the previous order; the next vote tries again
            if self._closed:
                return
            logger.exception("active-learning ranking of %s at stage %s failed", *key)
            failed = RankingFailure(*key, at=datetime.now(UTC), reason=failure_reason(err))
            with self._lock:
                self._failures[key] = failed
            return
        with self._lock:
            self._orders[key] = order
            self._failures.pop(key, None)

    def _ask_child(self, key: tuple[str, str]) -> array:
        if self._child is None or not self._child.is_alive():
            self._child, self._connection = start_project_process(
                self.project.url, _order_answerer, name="ranking", niceness=10, daemon=True
            )
        try:
            self._connection.send(key)
            answer = self._connection.recv()
        except (EOFError, OSError) as err:
            if not self._closed:
                self._child = None  # it died: the next request starts another
            raise RuntimeError("the ranking process stopped; the next vote starts another") from err
        if isinstance(answer, str):
            raise RuntimeError(answer)
        return answer

    def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._child is not None:
            self._child.terminate()
            self._child.join(timeout=10)
            self._connection.close()


def _order_answerer(project: Project) -> Callable[[tuple[str, str]], array | str]:
    """In the child process: answer (reviewer, stage) with their order, or why it failed."""
    cache = RankingCache()

    def answer(key: tuple[str, str]) -> array | str:
        try:
            return cache.order(project, *key)
        except Exception as err:  # reported by the parent; the child keeps serving
            return failure_reason(err)

    return answer
