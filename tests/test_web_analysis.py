"""The analysis in the workspace over HTTP: the plan (form and TOML editor, messages at the
field, nothing typed lost), runs (lead only, one at a time even across processes, kept with
their inputs' hashes and files; a run's page, and the list of runs, say whether it recorded
the PRISMA counts it drew, a run made before migration 0009 showing them not recorded, its
page with its kept file's hash), the served report's policy, the comparison of two runs (their
PRISMA counts box by box), the link from a study to its extraction cells, and the served
``results.json`` equal to ``metareview run`` on the exported table."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time

import pytest

from metareview.cli import main
from metareview.rob.prisma import PrismaCounts
from metareview.store.analysis_runs import fail_run, finish_run, run, runs, start_run
from metareview.store.extraction import agree
from metareview.store.extraction_export import write_agreed
from metareview.web.run_pages import REPORT_POLICY
from tests import stores
from tests.analysis_review import DIFFERING, extract
from tests.result_leaves import leaves
from tests.web_client import make_project, workspace

store_url = stores.store_url  # the fixture, once per backend


@pytest.fixture
def project(store_url):
    with make_project(store_url) as opened:
        extract(opened)
        yield opened


def _form(page_text: str, **changes) -> dict:
    """The plan form's fields as the page shows them (the common settings), with changes."""
    values = {
        "title": "Exercise for depression",
        "preset": "metafor",
        "measure": "SMD",
        "method": "REML",
        "ci_method": "",
        "model": "random",
        "outcomes": "",
        "windows": "Post-test = post",
        "subgroups": "",
        "sensitivity": ["leave_one_out"],
        "small_study": ["egger"],
        "grade": "1",
        "grade_design": "RCT",
        "grade_mid": "",
        "plan": _textarea(page_text),
    }
    return values | changes


def _textarea(html: str) -> str:
    import html as html_module
    import re

    match = re.search(r'<textarea name="plan" rows="24"[^>]*>(.*?)</textarea>', html, re.S)
    assert match
    return html_module.unescape(match.group(1))


def _wait(browser, run_id: int) -> str:
    for _ in range(1200):
        fragment = browser.get(f"/analysis/runs/{run_id}/progress").text
        if "hx-trigger" not in fragment:
            return fragment
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end")


def _assert_same_numbers(a: dict, b: dict) -> None:
    left, right = leaves(a), leaves(b)
    assert left.keys() == right.keys()
    for key, value in left.items():
        other = right[key]
        if isinstance(value, float) and isinstance(other, float):
            assert math.isclose(value, other, rel_tol=1e-12, abs_tol=1e-12) or (
                math.isnan(value) and math.isnan(other)
            ), key
        else:
            assert value == other, key


def test_the_plan_form_saves_and_keeps_what_was_typed_on_error(project):
    with workspace(project) as browser:
        lena = browser("lena")
        page = lena.get("/analysis")
        assert page.status_code == 200
        assert "[data]" in _textarea(page.text)  # metareview init's plan for the agreed table
        bad = lena.post("/analysis/plan", _form(page.text, grade_mid="-1", windows="= post"))
        assert bad.status_code == 400
        assert (
            "expected a number" in bad.text or "exclusiveMinimum" in bad.text or "> 0" in bad.text
        )
        assert "a line has no name" in bad.text  # at the windows field
        assert 'value="Exercise for depression"' in bad.text  # the title typed is kept
        assert "= post</textarea>" in bad.text
        saved = lena.post("/analysis/plan", _form(page.text))
        assert saved.status_code == 200 and "Plan saved." in saved.text
        text = _textarea(saved.text)
        assert 'title = "Exercise for depression"' in text and 'method = "REML"' in text
        broken = text.replace('method = "REML"', 'method = "REMLX"')
        refused = lena.post("/analysis/plan/toml", {"plan": broken})
        assert refused.status_code == 400
        assert "key &#39;settings.method&#39;" in refused.text or "settings.method" in refused.text
        assert "REMLX" in _textarea(refused.text)  # the editor keeps what was typed


def test_a_sheet_or_a_prisma_counts_path_is_refused_at_its_key(project):
    # a [prisma] counts path, relative or absolute, is refused: the workspace draws the
    # diagram from the project's own counts and reads no file a plan names
    from pathlib import Path

    counts = Path(__file__).resolve().parents[1] / "examples" / "peer-support" / "prisma.csv"
    with workspace(project) as browser:
        lena = browser("lena")
        text = _textarea(lena.get("/analysis").text)
        sheet = text.replace("[data]\n", '[data]\nsheet = "trials"\n')
        refused = lena.post("/analysis/plan/toml", {"plan": sheet})
        assert refused.status_code == 400 and "key &#39;data.sheet&#39;: got &#39;trials&#39;" in (
            refused.text
        )
        assert "expected no sheet" in refused.text and 'sheet = "trials"' in _textarea(refused.text)
        for path in ("prisma.csv", str(counts)):
            plan = text + f'\n[prisma]\ncounts = "{path}"\n'
            refused = lena.post("/analysis/plan/toml", {"plan": plan})
            assert refused.status_code == 400 and "key &#39;prisma.counts&#39;" in refused.text
            assert "expected no path: the workspace draws the PRISMA diagram from the " in (
                refused.text
            )
            assert path in _textarea(refused.text)  # the editor keeps what was typed


def test_a_prisma_counts_path_is_refused_before_the_file_is_read(project):
    # the server once read the file a plan named and echoed its first line in the message
    from pathlib import Path

    passwd = Path("/etc/passwd")
    secret = passwd.read_text(encoding="utf-8").splitlines()[0] if passwd.is_file() else "root:x:0"
    with workspace(project) as browser:
        lena = browser("lena")
        page = lena.get("/analysis").text
        plan = _textarea(page) + '\n[prisma]\ncounts = "/etc/passwd"\n'
        for url, form in (
            ("/analysis/plan/toml", {"plan": plan}),
            ("/analysis/plan", _form(page, plan=plan)),
        ):
            refused = lena.post(url, form)
            assert refused.status_code == 400, url
            assert "key &#39;prisma.counts&#39;: got &#39;/etc/passwd&#39;, expected no path" in (
                refused.text
            ), url
            assert "PRISMA2020 header" not in refused.text and "row 1" not in refused.text, url
            for part in {secret, secret.split(":")[0] + ":x:", "/bin/bash", "/root:"}:
                assert part not in refused.text, (url, part)
        assert "Plan saved" not in lena.get("/analysis").text


def test_viewers_read_and_only_the_lead_plans_and_runs(project):
    with workspace(project) as browser:
        vic = browser("vic")
        assert vic.get("/analysis").status_code == 200
        assert 'id="run-analysis"' not in vic.get("/analysis").text
        for url in ("/analysis/run", "/analysis/plan", "/analysis/plan/toml"):
            assert vic.post(url, {"plan": "title = 'x'"}).status_code == 403
            assert browser("rita").post(url, {"plan": "title = 'x'"}).status_code == 403
        lena = browser("lena")
        assert lena.post("/analysis/run", csrf=False).status_code == 403  # CSRF
        assert lena.get("/analysis/runs/1").status_code == 404
        assert lena.get("/analysis/runs/x/files/results.json").status_code == 404
        assert lena.get("/analysis/studies/99").status_code == 404
        assert browser("otto").get("/analysis").status_code == 404  # no role in the review


def test_runs_are_kept_compared_and_equal_metareview_run(project, tmp_path):
    with workspace(project) as browser:
        lena, vic = browser("lena"), browser("vic")
        page = lena.get("/analysis")
        assert lena.post("/analysis/plan", _form(page.text)).status_code == 200
        # another process's run holds the review: a second run is refused with a message
        other = start_run(project, actor="ravi", plan_text="", extraction_csv="")
        refused = lena.post("/analysis/run")
        assert refused.status_code == 409 and "is still running" in refused.text
        fail_run(project, other.id, "stopped by the test")

        assert lena.post("/analysis/run").status_code == 303
        first = runs(project)[0].id
        assert "is done" in _wait(vic, first), run(project, first)
        # a run is kept with its inputs' hashes and files; a viewer reads it
        page = vic.get(f"/analysis/runs/{first}")
        assert page.status_code == 200 and run(project, first).extraction_sha256 in page.text
        report = vic.get(f"/analysis/runs/{first}/files/report/index.html")
        assert report.status_code == 200
        assert report.headers["content-security-policy"] == REPORT_POLICY
        assert "script-src 'none'" in REPORT_POLICY and "<script" not in report.text
        assert 'href="/analysis/studies/1"' in report.text  # the forest plot's study link
        # a study's row in a results table (leave-one-out) links to its cells too
        table = report.text.split("<th>Omitted study</th>")[1].split("</table>")[0]
        for number, label in enumerate(("Lee, 2020", "Ng, 2021", "Ode, 2019"), 1):
            link = f'<a class="study-link" href="/analysis/studies/{number}">{label}</a>'
            assert f"<tr><td>{link}</td>" in table
        cells = vic.get("/analysis/studies/1")
        assert cells.status_code == 200
        assert "rita: 5.1" in cells.text and "ravi: 5.8" in cells.text
        assert "5.1 by rita, ravi" in cells.text
        served = json.loads(vic.get(f"/analysis/runs/{first}/files/results.json").text)

        # the exported table through `metareview run` gives the same numbers
        write_agreed(project, tmp_path / "extraction.csv")
        plan_text = lena.get("/analysis").text
        (tmp_path / "plan.toml").write_text(_textarea(plan_text), encoding="utf-8")
        with pytest.raises(SystemExit) as ended:
            main(["run", str(tmp_path / "plan.toml"), "-o", str(tmp_path / "out"), "-q", "-j", "1"])
        assert ended.value.code == 0
        expected = json.loads((tmp_path / "out" / "results.json").read_text())
        _assert_same_numbers(served, expected)

        # one value changed, run again: two runs, and the comparison names both
        agree(project, 1, DIFFERING, 5.8, actor="lena", agreed_by=["lena"])
        assert lena.post("/analysis/run").status_code == 303
        second = runs(project)[0].id
        assert second != first and "is done" in _wait(lena, second)
        assert len(runs(project)) == 3  # the refused-by-test run, and the two
        compared = vic.get(f"/analysis/compare?before={first}&after={second}")
        assert compared.status_code == 200
        inputs = compared.text.split('id="changed-numbers"')[0]
        assert "Lee, 2020" in inputs and "mean_arm1" in inputs
        assert "5.1" in inputs and "5.8" in inputs
        numbers = compared.text.split('id="changed-numbers"')[1]
        assert "estimate" in numbers and "ci_lower" in numbers
        assert vic.get(f"/analysis/runs/{first}/files/report/index.html").status_code == 200


def _finished_run(project, prisma: str = "", files: dict | None = None) -> int:
    """A done run recording ``prisma`` (the PRISMA counts; empty: none) that kept ``files``."""
    started = start_run(
        project, actor="lena", plan_text="", extraction_csv="study\n", prisma_csv=prisma
    )
    finish_run(project, started.id, {"results.json": b"{}"} | (files or {}))
    return started.id


def test_the_comparison_names_the_prisma_boxes_that_changed(store_url):
    hostile = "<img src=x onerror=alert(1)>"  # an exclusion reason, as a reviewer typed it

    def counts(screened: int, included: int, wrong: int) -> str:
        return PrismaCounts(
            records_screened=screened, total_studies=included, dbr_excluded=((hostile, wrong),)
        ).to_csv()

    with make_project(store_url) as project:

        def done(prisma: str = "", files: dict | None = None) -> int:
            return _finished_run(project, prisma, files)

        earlier, later, again = (
            done(counts(700, 12, 3)),
            done(counts(1200, 14, 5)),
            done(counts(1200, 14, 5)),
        )
        undrawn = done()
        # made before migration 0009: drew a diagram, kept its counts only as a file
        old = done(files={"inputs/prisma.csv": counts(700, 12, 3).encode("utf-8")})
        with workspace(project) as browser:
            vic = browser("vic")

            def section(before: int, after: int) -> str:
                page = vic.get(f"/analysis/compare?before={before}&after={after}")
                assert page.status_code == 200
                assert hostile not in page.text
                return page.text.split('id="changed-prisma"')[1].split("</section>")[0]

            changed = section(earlier, later)
            summary = (
                "The counts differ in 3 boxes: Records screened (databases and registers): "
                "700 → 1,200; Reports excluded (databases and registers): "
                "&lt;img src=x onerror=alert(1)&gt;, 3 → &lt;img src=x onerror=alert(1)&gt;, 5; "
                "Total studies included in review: 12 → 14."
            )
            assert summary in changed
            row = "<tr><td>Total studies included in review</td><td>12</td><td>14</td></tr>"
            assert row in changed
            assert "both runs drew the diagram from the same counts" in section(later, again)
            assert "no flow diagram drawn in either run" in section(undrawn, undrawn)
            assert (
                f"The counts differ: run {undrawn}: no flow diagram drawn; "
                f"run {later}: counts recorded." in section(undrawn, later)
            )
            unknown = section(old, later)
            assert "Not known whether the counts differ" in unknown
            assert f"run {old}: not recorded; run {later}: counts recorded" in unknown
            assert "<table>" not in unknown


#: the PRISMA counts the runs of :func:`_prisma_runs` drew, and their SHA-256
PRISMA_COUNTS = PrismaCounts(records_screened=700, total_studies=12).to_csv().encode("utf-8")
PRISMA_DIGEST = hashlib.sha256(PRISMA_COUNTS).hexdigest()


def _prisma_runs(project) -> tuple[int, int, int]:
    """Three done runs: one that recorded its PRISMA counts (migration 0009 on), one that drew
    them before 0009, kept only as inputs/prisma.csv (its stored state after the upgrade:
    empty prisma_csv and hash), one that drew no diagram."""
    counts = PRISMA_COUNTS
    recorded = _finished_run(project, counts.decode("utf-8"), {"inputs/prisma.csv": counts})
    old = _finished_run(project, files={"inputs/prisma.csv": counts})
    return recorded, old, _finished_run(project)


def test_a_runs_page_says_whether_it_recorded_the_prisma_counts_it_drew(store_url):
    counts, digest = PRISMA_COUNTS, PRISMA_DIGEST
    with make_project(store_url) as project:
        recorded, old, undrawn = _prisma_runs(project)
        with workspace(project) as browser:
            vic = browser("vic")

            def page(run_id: int) -> str:
                shown = vic.get(f"/analysis/runs/{run_id}")
                assert shown.status_code == 200
                return shown.text

            url = f"/analysis/runs/{recorded}/files/inputs/prisma.csv"
            shown = page(recorded)
            assert f'<dd id="prisma-sha256"><code>{digest}</code></dd>' in shown
            assert f'<a href="{url}" id="input-prisma">prisma.csv</a>' in shown
            assert "not recorded" not in shown and "no flow diagram drawn" not in shown

            url = f"/analysis/runs/{old}/files/inputs/prisma.csv"
            shown = page(old)
            assert (
                '<dd id="prisma-sha256">not recorded (run made before PRISMA counts were '
                f'recorded); kept as <a href="{url}">inputs/prisma.csv</a>, file SHA-256 '
                f"<code>{digest}</code></dd>"
            ) in shown
            assert f'<a href="{url}" id="input-prisma">prisma.csv</a>' in shown
            assert "no flow diagram drawn" not in shown
            assert vic.get(url).content == counts  # the file the page names and hashes

            shown = page(undrawn)
            assert '<dd id="prisma-sha256">no flow diagram drawn</dd>' in shown
            assert "prisma.csv" not in shown and "not recorded" not in shown


def test_the_list_of_runs_says_not_recorded_for_prisma_counts_drawn_before_0009(store_url):
    """As the run's page does: a run made before migration 0009 that drew a diagram shows
    "not recorded" where a later run shows its PRISMA hash (not a blank); a run that drew
    none shows nothing."""
    with make_project(store_url) as project:
        recorded, old, undrawn = _prisma_runs(project)
        with workspace(project) as browser:
            page = browser("vic").get("/analysis")
            assert page.status_code == 200
            rows = dict(
                re.findall(
                    r'<tr><td><a href="/analysis/runs/(\d+)">Run \d+</a></td>(.*?)</tr>',
                    page.text,
                    re.S,
                )
            )
            assert sorted(rows) == sorted(str(r) for r in (recorded, old, undrawn))
            hashed = f'<code title="PRISMA counts">{PRISMA_DIGEST[:10]}</code></td>'
            assert rows[str(recorded)].endswith(hashed)
            assert "not recorded" not in rows[str(recorded)]
            assert rows[str(old)].endswith(
                ' <span class="prisma-unrecorded" title="PRISMA counts: run made before they '
                'were recorded">not recorded</span></td>'
            )
            assert PRISMA_DIGEST[:10] not in rows[str(old)]  # not the kept file's hash either
            assert "PRISMA" not in rows[str(undrawn)] and "not recorded" not in rows[str(undrawn)]


def test_a_hostile_study_label_is_text_in_the_served_report(tmp_path):
    from metareview.store.extraction import add_study, enter, set_extractors_required, submit
    from tests.analysis_review import STUDIES, cells_of

    hostile = '<img src=x onerror="alert(1)">'
    with make_project(stores.sqlite_url(tmp_path)) as project:
        set_extractors_required(project, 1, actor="lena")
        for label, values in [(hostile, STUDIES["Lee, 2020"]), *list(STUDIES.items())[1:]]:
            study = add_study(project, label, actor="lena")
            enter(project, study.number, cells_of(values), extractor="rita")
            submit(project, study.number, extractor="rita")
        with workspace(project) as browser:
            lena = browser("lena")
            page = lena.get("/analysis")
            assert hostile not in page.text
            assert lena.post("/analysis/plan", _form(page.text)).status_code == 200
            assert lena.post("/analysis/run").status_code == 303
            run_id = runs(project)[0].id
            assert "is done" in _wait(lena, run_id)
            report = lena.get(f"/analysis/runs/{run_id}/files/report/index.html").text
            assert hostile not in report and "&lt;img src=x" in report
            cells = lena.get("/analysis/studies/1").text
            assert hostile not in cells and "&lt;img src=x" in cells


def test_a_rob2_override_is_flagged_with_its_justification_in_the_report(project, tmp_path):
    from metareview.plan.appended import OVERRIDES_MARKER
    from metareview.store.analysis_runs import run_file
    from metareview.store.rob_assessment import answer, set_assessors_required, submit_rob
    from tests.browser_rob_steps import ALL_LOW

    why = "blinded outcome assessors <by a central lab>"
    set_assessors_required(project, 1, actor="lena")
    for number in (1, 2, 3):
        overrides = {"D3": ("High", why)} if number == 2 else None
        answer(project, number, "depression", ALL_LOW, assessor="rita", overrides=overrides)
        submit_rob(project, number, "depression", assessor="rita")
    with workspace(project) as browser:
        lena = browser("lena")
        assert lena.post("/analysis/plan", _form(lena.get("/analysis").text)).status_code == 200
        assert lena.post("/analysis/run").status_code == 303
        first = runs(project)[0].id
        assert "is done" in _wait(lena, first), run(project, first)
        report = lena.get(f"/analysis/runs/{first}/files/report/index.html").text
    kept = run_file(project, first, "inputs/plan.toml").decode()
    assert OVERRIDES_MARKER in kept and "[[rob.override]]" in kept
    flagged = report.split('id="rob-overrides"')[1].split("</section>")[0]
    link = '<a class="study-link" href="/analysis/studies/2">Ng, 2021</a>'  # to its cells
    assert f"<td>{link}</td><td>depression</td><td>D3</td><td>High <sup>a</sup>" in flagged
    assert "the algorithm proposed Low; the reviewers judged High" in flagged
    assert "blinded outcome assessors &lt;by a central lab&gt;" in flagged  # as text
    assert "Lee, 2020" not in flagged and "Ode, 2019" not in flagged

    # `metareview run` on the run's kept inputs flags the same judgement the same way
    for name in ("plan.toml", "extraction.csv"):
        (tmp_path / name).write_bytes(run_file(project, first, f"inputs/{name}"))
    with pytest.raises(SystemExit) as ended:
        main(["run", str(tmp_path / "plan.toml"), "-o", str(tmp_path / "out"), "-q", "-j", "1"])
    assert ended.value.code == 0
    cli = (tmp_path / "out" / "report" / "index.html").read_text(encoding="utf-8")
    unlinked = re.sub(r'<a class="study-link" href="[^"]*">([^<]*)</a>', r"\1", flagged)
    assert cli.split('id="rob-overrides"')[1].split("</section>")[0] == unlinked


def test_runs_execute_in_a_child_process_and_a_failure_is_kept(project):
    import os
    import signal

    from metareview.store.analysis_inputs import extraction_csv
    from metareview.store.analysis_runs import save_plan
    from metareview.web.analysis_job import start_analysis
    from metareview.web.analysis_pages import starting_plan
    from metareview.web.analysis_process import AnalysisRunner

    runner = AnalysisRunner(project)
    try:
        # a run whose plan the runner refuses fails with the plan's message, kept in the store
        bad = start_run(project, actor="lena", plan_text="title = 'x'", extraction_csv="a\n1\n")
        runner.submit(bad.id).result(timeout=600)
        failed = run(project, bad.id)
        assert failed.status == "failed" and "plan.toml" in failed.message, failed
        child = runner.child_pid
        assert child is not None and child != os.getpid()

        # the child dies during a run: the run is failed with the reason, not left running
        save_plan(project, starting_plan(None, extraction_csv(project)), actor="lena")
        started = start_analysis(project, actor="lena")
        os.kill(child, signal.SIGSTOP)  # it cannot finish the run before it is killed
        ended = runner.submit(started.id)
        os.kill(child, signal.SIGKILL)
        ended.result(timeout=600)
        lost = run(project, started.id)
        assert lost.status == "failed" and "process ended before the run did" in lost.message
        assert f"(exit code {-signal.SIGKILL})" in lost.message

        # the next run gets a new child, and is done
        again = start_analysis(project, actor="lena")
        runner.submit(again.id).result(timeout=600)
        assert run(project, again.id).status == "done", run(project, again.id)
        assert runner.child_pid not in (None, child)
    finally:
        runner.close()
    assert runner.child_pid is None


def test_the_page_shows_a_runs_progress_while_the_child_runs_it(project):
    with workspace(project) as browser:
        lena = browser("lena")
        assert lena.post("/analysis/plan", _form(lena.get("/analysis").text)).status_code == 200
        assert lena.post("/analysis/run").status_code == 303
        run_id = runs(project)[0].id
        seen = []
        for _ in range(6000):
            fragment = lena.get(f"/analysis/runs/{run_id}/progress").text
            if "hx-trigger" not in fragment:
                break
            seen.append(fragment)
            time.sleep(0.02)
        assert "is done" in fragment, run(project, run_id)
        stages = [m for f in seen if (m := re.search(r"is running: (\w+) \d+ of [1-9]", f))]
        assert stages, seen[-1:]  # a stage and how many of its steps are done, as it ran


def test_a_run_draws_the_prisma_counts_it_recorded(tmp_path):
    # what replaced the plan's [prisma] counts in the workspace: the project's own flow, as the
    # run recorded it at its start (store.analysis_inputs.prisma_csv), written byte for byte
    from metareview.plan.plan import parse_plan
    from metareview.store.analysis_inputs import prisma_csv
    from metareview.store.prisma import project_prisma
    from metareview.web.analysis_job import with_prisma

    plan = parse_plan('[data]\nfile = "d.csv"\n[[analysis]]\nname = "All"\nfilter = {}\n')
    with make_project("sqlite://", n_records=2) as project:
        assert prisma_csv(project) == ""  # screening under way
        assert with_prisma(plan, "", tmp_path).prisma_counts is None
        _screen_out(project, 2)
        counts = prisma_csv(project)
        assert counts == project_prisma(project).to_csv()
        drawn = with_prisma(plan, counts, tmp_path)
        assert drawn.prisma_counts == tmp_path / "prisma.csv"
        assert drawn.prisma_counts.read_bytes() == counts.encode("utf-8")
        assert drawn.to_dict()["prisma"] == {"counts": str(tmp_path / "prisma.csv")}


def _screen_out(project, n_records: int) -> None:
    """Both reviewers exclude every record at title/abstract: the counts add up."""
    from metareview.store.review import vote

    for who in ("rita", "ravi"):
        for record_id in range(1, n_records + 1):
            vote(project, record_id, reviewer=who, stage="ta", decision="exclude")


def test_a_runs_prisma_counts_are_shown_and_served_to_members_only(store_url):
    from metareview.store.analysis_runs import run_file

    with make_project(store_url, n_records=2) as project:
        extract(project)
        with workspace(project) as browser:
            lena, vic, otto = browser("lena"), browser("vic"), browser("otto")
            assert lena.post("/analysis/plan", _form(lena.get("/analysis").text)).status_code == 200
            assert lena.post("/analysis/run").status_code == 303  # screening under way
            undrawn = runs(project)[0]
            assert "is done" in _wait(lena, undrawn.id), run(project, undrawn.id)
            assert run(project, undrawn.id).prisma_sha256 == ""
            page = vic.get(f"/analysis/runs/{undrawn.id}").text
            assert "no flow diagram drawn" in page and 'id="input-prisma"' not in page
            assert run_file(project, undrawn.id, "inputs/prisma.csv") is None

            _screen_out(project, 2)
            assert lena.post("/analysis/run").status_code == 303
            drawn = runs(project)[0].id
            assert "is done" in _wait(lena, drawn), run(project, drawn)
            digest = run(project, drawn).prisma_sha256
            url = f"/analysis/runs/{drawn}/files/inputs/prisma.csv"
            page = vic.get(f"/analysis/runs/{drawn}")
            assert page.status_code == 200
            assert f'<dd id="prisma-sha256"><code>{digest}</code></dd>' in page.text
            assert f'<a href="{url}" id="input-prisma">prisma.csv</a>' in page.text
            assert f'<code title="PRISMA counts">{digest[:10]}</code>' in vic.get("/analysis").text
            served = vic.get(url)
            assert served.status_code == 200 and served.headers["content-type"].startswith(
                "text/csv"
            )
            assert hashlib.sha256(served.content).hexdigest() == digest  # the counts it drew
            assert run_file(project, drawn, "figures/prisma.svg") is not None
            for refused in (url, f"/analysis/runs/{drawn}"):
                assert otto.get(refused).status_code == 404  # no role in the review
