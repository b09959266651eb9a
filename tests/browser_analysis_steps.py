"""Analysis steps in the workspace for browser tests (Playwright's sync API), written to be
composed: the lead's plan from the form, "Run analysis" waited for through the page's own
progress polling, the report with its forest plot, and a study's extraction cells reached from
the forest plot's link.

Every step waits for what the page shows after it, never for a time; no step evaluates script
in the page (the workspace's CSP forbids ``eval``, and the report runs no script at all).

>>> sorted(PLAN_FORM)
['measure', 'method', 'model', 'preset']
"""

from __future__ import annotations

#: The common settings the lead picks in the plan form (select fields).
PLAN_FORM = {"preset": "metafor", "measure": "SMD", "method": "REML", "model": "random"}


def make_plan(
    page,
    base: str,
    *,
    title: str,
    windows: str = "Post-test = post",
    sensitivity: tuple[str, ...] = ("leave_one_out",),
    small_study: tuple[str, ...] = ("egger",),
    choices: dict[str, str] | None = None,
) -> str:
    """Fill the plan form (the TOML editor holds the rest) and save; returns the saved TOML."""
    page.goto(f"{base}/analysis")
    form = page.locator("#plan-form")
    form.locator("input[name=title]").fill(title)
    for name, value in (choices or PLAN_FORM).items():
        form.locator(f"select[name={name}]").select_option(value)
    form.locator("textarea[name=windows]").fill(windows)
    for box in form.locator("input[name=sensitivity], input[name=small_study]").all():
        box.set_checked(box.get_attribute("value") in (*sensitivity, *small_study))
    form.locator("#save-form").click()
    page.wait_for_selector("#analysis-message:has-text('Plan saved.')")
    return page.locator("#plan-toml textarea[name=plan]").input_value()


def run_analysis(page, base: str) -> str:
    """Click "Run analysis", watch the progress the page polls, and open the finished run;
    returns the run's URL."""
    page.goto(f"{base}/analysis")
    page.click("#run-analysis")
    page.wait_for_selector("#run-progress")
    page.wait_for_selector("#run-done", timeout=600_000)
    page.click("#run-done")
    page.wait_for_selector("#open-report")
    return page.url


def open_report(page) -> None:
    """Open the run's report and wait until its first forest plot is visible."""
    page.click("#open-report")
    page.wait_for_selector("figure svg", state="visible")


def follow_study_link(page, study: str):
    """Click the study's label in the forest plot (an SVG link; it opens a new tab, so the
    report stays open) and return the new page once it shows the study's cells."""
    with page.context.expect_page() as opened:
        page.locator("figure svg a").filter(has_text=study).first.click()
    cells = opened.value
    cells.wait_for_selector("#study-cells")
    return cells


def follow_table_link(page, table: str, study: str) -> str:
    """Click the study's name in a results table of the report (``table``: its CSS selector),
    wait for the study's cells, and go back to the report; returns the cells' text."""
    page.locator(f"{table} a.study-link").filter(has_text=study).first.click()
    page.wait_for_selector("#study-cells")
    cells = page.locator("#study-cells").inner_text()
    page.go_back()
    page.wait_for_selector("figure svg", state="visible")
    return cells
