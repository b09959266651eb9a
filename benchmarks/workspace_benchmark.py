"""Concurrent reviewers against a local workspace: latency of a vote and of the next record.

``PYTHONPATH=src python benchmarks/workspace_benchmark.py [--reviewers 5] [--votes 2000]
[--backend sqlite|postgresql] [--extra-records 0] [--extra-voters others|reviewers]``

Makes a project with ``votes`` records (plus ``extra-records`` more, already excluded by two
other reviewers, to measure a bigger project: their 2 × extra votes are appended in bulk; with
``--extra-voters reviewers`` the first two benchmark reviewers cast them, so that they come
to the benchmark with tens of thousands of votes of their own), one
account per reviewer, and every new record needing every reviewer's vote; starts ``metareview
serve`` on 127.0.0.1 and a free port; each reviewer (a thread with its own HTTP client) signs
in, fetches one page to warm up (the server's first read of the log; not timed), then
repeatedly fetches the next record (``GET /screen`` as htmx does) and votes on it (``POST
/screen/vote``) until their queue is empty. Prints p50/p95 of both, in milliseconds, at the
server (the ``Server-Timing`` header of ``serve --server-timing``: from the request's arrival
in the application to its response; the issue's target) and at the client (adding HTTP and
the client's own wait for a core), with the server's ratio to the issue's 100 ms target; the
median processor time of a request's own work (``cpu`` in the header: unlike the latencies,
it does not grow with the machine's load), and the server's processor time in all (its
process and the ranking child, over the whole run) per vote. Finally it checks the log: every
reviewer voted on every record exactly once (no vote lost or duplicated).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil

from metareview.records.events import EventKind, NewEvent
from metareview.records.record import Record
from metareview.store.accounts import add_account
from metareview.store.project import Project
from metareview.store.review import configure, stage_state
from metareview.web.timing import server_timing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.web_server import free_port, wait_until_serving

PASSWORD = "benchmark passphrase"
PG = os.environ.get("METAREVIEW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _project(
    url: str, reviewers: int, votes: int, extra: int, extra_voters: tuple[str, str] = ("x1", "x2")
) -> Project:
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
        for who in extra_voters
    ]
    for start in range(0, len(screened), 10_000):
        project.append(screened[start : start + 10_000])
    configure(project, actor="lead", reviewers_required=reviewers, only_unvoted=True)
    return project


def _reviewer(base: str, name: str, out: dict, errors: list) -> None:
    timings: dict[str, list[dict[str, float]]] = {"vote": [], "next record": []}
    with httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        headers = {"HX-Request": "true"}
        client.get("/screen?stage=ta", headers=headers)  # warm-up: not timed
        while True:
            start = time.perf_counter()
            card = client.get("/screen?stage=ta", headers=headers)
            timings["next record"].append(_timing(card, start))
            found = re.search(r'name="record_id" value="(\d+)"', card.text)
            if not found:
                break
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', card.text).group(1)
            data = {"record_id": found.group(1), "stage": "ta", "decision": "exclude",
                    "csrf_token": csrf}  # fmt: skip
            start = time.perf_counter()
            response = client.post("/screen/vote", data=data, headers=headers)
            timings["vote"].append(_timing(response, start))
            if response.status_code != 200:
                errors.append(f"{name}: {response.status_code} {response.text[:200]}")
    out[name] = timings


def _timing(response: httpx.Response, start: float) -> dict[str, float]:
    """The request's time at the client and the server's Server-Timing (ms)."""
    client = 1000 * (time.perf_counter() - start)
    return {"client": client, **server_timing(response.headers.get("server-timing", ""))}


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def _cpu_seconds(server: psutil.Process) -> float:
    """Processor time of the server and its children (the ranking process) so far."""
    total = 0.0
    for process in [server, *server.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument("--extra-records", type=int, default=0)
    parser.add_argument("--extra-voters", choices=["others", "reviewers"], default="others")
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
    voters = ("x1", "x2") if args.extra_voters == "others" else ("r0", "r1")
    project = _project(url, args.reviewers, args.votes, args.extra_records, voters)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "metareview", "serve", url, "--port", str(port), "--server-timing"],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, seconds=60)
        out: dict = {}
        errors: list[str] = []
        threads = [
            threading.Thread(target=_reviewer, args=(base, f"r{k}", out, errors))
            for k in range(args.reviewers)
        ]
        watched = psutil.Process(server.pid)
        start, cpu_start = time.perf_counter(), _cpu_seconds(watched)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, server_cpu = time.perf_counter() - start, _cpu_seconds(watched) - cpu_start
        load = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=60)
    state = stage_state(project, "ta")
    reviewers = [f"r{k}" for k in range(args.reviewers)]
    timed = range(1, args.votes + 1)  # the records the benchmark votes on
    own = {who: sum(1 for r in timed if who in state.votes.get(r, {})) for who in reviewers}
    complete = all(set(reviewers) <= set(state.votes.get(r, {})) for r in timed)
    mine = [
        (e.actor, e.record_id)
        for e in project.events(EventKind.DECISION)
        if e.actor in own and e.record_id in timed
    ]
    duplicated = len(mine) - len(set(mine))
    cast = {who: len(out[who]["vote"]) for who in reviewers}
    print(f"{args.backend}: {args.reviewers} reviewers x {args.votes} votes "
          f"({args.votes + args.extra_records} records), {wall:.1f} s wall, load average "
          f"{load[0]:.1f} / {load[1]:.1f} (1 / 5 min) at the end")  # fmt: skip
    for name in ("vote", "next record"):
        timings = [t for per_reviewer in out.values() for t in per_reviewer[name]]
        at = {where: [t[where] for t in timings] for where in ("app", "client", "cpu")}
        p95 = _p(at["app"], 95)
        print(f"{name:<11} at the server p50 {_p(at['app'], 50):6.1f} ms  p95 {p95:6.1f} ms "
              f"(p95 / 100 ms target = {p95 / 100:.2f});  at the client p50 "
              f"{_p(at['client'], 50):6.1f} ms  p95 {_p(at['client'], 95):6.1f} ms;  "
              f"CPU median {statistics.median(at['cpu']):5.2f} ms;  n={len(timings)}")  # fmt: skip
    print(
        f"server CPU in all (with the ranking process): {server_cpu:.1f} s, "
        f"{1000 * server_cpu / max(1, sum(cast.values())):.1f} ms per vote and next record"
    )
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
