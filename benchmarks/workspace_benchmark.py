"""Concurrent reviewers against a local workspace: latency of a vote and of the next record.

``PYTHONPATH=src python benchmarks/workspace_benchmark.py [--reviewers 5] [--votes 2000]
[--backend sqlite|postgresql] [--extra-records 0]``

Makes a project with ``votes`` records (plus ``extra-records`` more, already excluded by two
other reviewers, to measure a bigger project: their 2 × extra votes are appended in bulk), one
account per reviewer, and every new record needing every reviewer's vote; starts ``metareview
serve`` on 127.0.0.1 and a free port; each reviewer (a thread with its own HTTP client) signs
in, fetches one page to warm up (the server's first read of the log; not timed), then
repeatedly fetches the next record (``GET /screen`` as htmx does) and votes on it (``POST
/screen/vote``) until their queue is empty. Prints p50/p95 of both, in milliseconds, measured
at the client, their ratio to the issue's 100 ms target, and checks the log: every reviewer
voted on every record exactly once (no vote lost or duplicated).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from metareview.records.events import EventKind, NewEvent
from metareview.records.record import Record
from metareview.store.accounts import add_account
from metareview.store.project import Project
from metareview.store.review import configure, stage_state

PASSWORD = "benchmark passphrase"
PG = os.environ.get("METAREVIEW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _project(url: str, reviewers: int, votes: int, extra: int) -> Project:
    project = Project.open(url)
    words = [
        "exercise",
        "depression",
        "trial",
        "anxiety",
        "sleep",
        "yoga",
        "cohort",
        "survey",
        "protocol",
        "review",
    ]
    records = [
        Record(title=f"{words[i % 10]} {words[(i * 7) % 10]} study {i}",
               abstract=" ".join(words[(i + k) % 10] for k in range(40)), year=2000 + i % 25)
        for i in range(votes + extra)
    ]  # fmt: skip
    ids = project.add_import("bench.ris", records, actor="lead").record_ids
    for k in range(reviewers):
        add_account(project, f"r{k}", PASSWORD, role="reviewer")
    screened = [  # the bigger project: records already screened by two others
        NewEvent(EventKind.DECISION, who, "ta", record_id, "exclude")
        for record_id in ids[votes:]
        for who in ("x1", "x2")
    ]
    for start in range(0, len(screened), 10_000):
        project.append(screened[start : start + 10_000])
    configure(project, actor="lead", reviewers_required=reviewers, only_unvoted=True)
    return project


def _reviewer(base: str, name: str, out: dict, errors: list) -> None:
    vote_ms, next_ms = [], []
    with httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        headers = {"HX-Request": "true"}
        client.get("/screen?stage=ta", headers=headers)  # warm-up: not timed
        while True:
            start = time.perf_counter()
            card = client.get("/screen?stage=ta", headers=headers)
            next_ms.append(1000 * (time.perf_counter() - start))
            found = re.search(r'name="record_id" value="(\d+)"', card.text)
            if not found:
                break
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', card.text).group(1)
            data = {"record_id": found.group(1), "stage": "ta", "decision": "exclude",
                    "csrf_token": csrf}  # fmt: skip
            start = time.perf_counter()
            response = client.post("/screen/vote", data=data, headers=headers)
            vote_ms.append(1000 * (time.perf_counter() - start))
            if response.status_code != 200:
                errors.append(f"{name}: {response.status_code} {response.text[:200]}")
    out[name] = (vote_ms, next_ms)


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument("--extra-records", type=int, default=0)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="workspace-bench-"))
    if args.backend == "sqlite":
        url = str(folder / "bench.mrproj")
    else:
        import psycopg

        schema = f"mr_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG, autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        url = PG.replace("postgresql://", "postgresql+psycopg://") + (
            f"?options=-csearch_path%3D{schema}"
        )
    project = _project(url, args.reviewers, args.votes, args.extra_records)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "metareview", "serve", url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        out: dict = {}
        errors: list[str] = []
        threads = [
            threading.Thread(target=_reviewer, args=(base, f"r{k}", out, errors))
            for k in range(args.reviewers)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=60)
    votes = [v for vote_ms, _ in out.values() for v in vote_ms]
    nexts = [n for _, next_ms in out.values() for n in next_ms]
    state = stage_state(project, "ta")
    reviewers = [f"r{k}" for k in range(args.reviewers)]
    own = {who: sum(1 for v in state.votes.values() if who in v) for who in reviewers}
    complete = all(set(reviewers) <= set(state.votes.get(r, {})) for r in range(1, args.votes + 1))
    mine = [(e.actor, e.record_id) for e in project.events(EventKind.DECISION) if e.actor in own]
    duplicated = len(mine) - len(set(mine))
    cast = {who: len(out[who][0]) for who in reviewers}
    print(f"{args.backend}: {args.reviewers} reviewers x {args.votes} votes "
          f"({args.votes + args.extra_records} records), {wall:.1f} s wall")  # fmt: skip
    for name, values in (("vote", votes), ("next record", nexts)):
        p50, p95 = _p(values, 50), _p(values, 95)
        print(f"{name:<11} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   n={len(values)}   "
              f"p95 / 100 ms target = {p95 / 100:.2f}")  # fmt: skip
    print(f"votes cast per reviewer: {cast}; standing in the log: {own}; "
          f"every record voted by all: {complete}; duplicated vote events: {duplicated}")  # fmt: skip
    print(f"refused votes: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    ok = complete and all(n == args.votes for n in [*own.values(), *cast.values()])
    ok = ok and not errors and duplicated == 0
    project.close()
    if args.backend == "postgresql":
        with psycopg.connect(PG, autocommit=True) as c:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
