"""Risk-of-bias and GRADE steps in the workspace for browser tests (Playwright's sync API),
written to be composed: the lead's settings, one assessor's RoB 2 form (answers, overrides with
their justification, submission), consensus on a differing item, the figures and export, and a
GRADE decision with its reason.

Every step waits for what the page shows after it (a proposal, a message, a swap), never for
a time; no step evaluates script in the page (the workspace's CSP forbids ``eval``).

>>> sorted(ALL_LOW)[:3]
['1.1', '1.2', '1.3']
"""

from __future__ import annotations

from urllib.parse import quote_plus

#: RoB 2 answers that make every domain Low.
ALL_LOW = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y",
           "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N"}  # fmt: skip


def _saved(page, action) -> None:
    """Run ``action`` (a change in the form) and wait for the store's answer to arrive."""
    with page.expect_response(
        lambda r: r.url.endswith("/rob/assess") and r.request.method == "POST"
    ):
        action()


def set_rob_settings(page, base: str, *, tool: str = "rob2", assessors: int = 2) -> None:
    """The lead chooses the tool and the number of assessors on the risk-of-bias page."""
    page.goto(f"{base}/rob")
    if not page.is_visible("form[action='/rob/settings']"):
        page.click(".rob-settings summary")
    page.select_option("form[action='/rob/settings'] select[name=tool]", tool)
    page.select_option("form[action='/rob/settings'] select[name=assessors]", str(assessors))
    page.click("form[action='/rob/settings'] button[type=submit]")
    page.wait_for_selector("p.notice:has-text('Settings saved')")


def open_assessment(page, base: str, study: str, result: str) -> None:
    """From the risk-of-bias page, open one's own form for the study labelled ``study`` and
    the result (e.g. the outcome) ``result``."""
    page.goto(f"{base}/rob")
    page.select_option(".rob-start select[name=study]", label=_option_label(page, study))
    page.fill(".rob-start input[name=result]", result)
    page.click(".rob-start button[type=submit]")
    page.wait_for_selector("#rob-form")


def _option_label(page, study: str) -> str:
    for option in page.locator(".rob-start select[name=study] option").all_inner_texts():
        if option.split(" · ", 1)[-1] == study:
            return option
    raise AssertionError(f"no study {study!r} on the risk-of-bias page")


def answer_rob2(page, answers: dict[str, str], *, cluster: bool | None = None) -> None:
    """Answer signalling questions (``{"1.1": "Y", …}``), each saved as it is chosen; with
    ``cluster`` set, first say whether the trial is cluster-randomised."""
    if cluster is not None:
        with page.expect_response(lambda r: r.url.endswith("/rob/assess")):
            page.select_option("#f-cluster", "yes" if cluster else "no")
        page.wait_for_selector("#domain-D1b" if cluster else "#domain-D2")
    for question, value in answers.items():
        _saved(page, lambda q=question, v=value: page.select_option(f"select[name='q_{q}']", v))


def proposal_of(page, domain: str) -> str:
    """The judgement shown for ``domain`` (``D1`` … ``Overall``): the proposal, or the
    assessor's own where they overrode it."""
    judged = page.locator(f"#judged-{domain} .judgement")
    return judged.last.inner_text() if judged.count() else ""


def override(page, domain: str, judgement: str, justification: str, *, refused=None) -> str:
    """Override the proposal of ``domain``: choosing a judgement alone is refused with a
    message at the field (returned; ``refused()`` is called while it shows), then the written
    justification saves it."""
    if page.get_attribute(f"#override-{domain}", "open") is None:
        page.click(f"#override-{domain} summary")
    _saved(page, lambda: page.select_option(f"#f-override-{domain}", judgement))
    error = page.wait_for_selector(f"#err-override_{domain}:has-text('justification')")
    message = error.inner_text()
    if refused is not None:
        refused()
    page.fill(f"#f-justification-{domain}", justification)
    _saved(page, lambda: page.press(f"#f-justification-{domain}", "Tab"))
    page.wait_for_selector(f"#judged-{domain} .tag.overridden")
    return message


def submit_assessment(page) -> None:
    """Submit one's own assessment (every domain must have a judgement)."""
    page.click("#rob-submit")
    page.wait_for_selector("#rob-status:has-text('you submitted this assessment')")


def assess_rob2(
    page,
    base: str,
    study: str,
    result: str,
    answers: dict[str, str] | None = None,
    *,
    overrides: dict[str, tuple[str, str]] | None = None,
    submit: bool = True,
) -> dict[str, str]:
    """One assessor's whole RoB 2 assessment of a study: answers (all Low unless given),
    overrides ``{"D3": (judgement, justification)}``, submission; returns the judgements
    shown per domain before submitting."""
    open_assessment(page, base, study, result)
    answer_rob2(page, answers or ALL_LOW)
    for domain, (judgement, why) in (overrides or {}).items():
        override(page, domain, judgement, why)
    sections = page.locator("section.rob-domain")
    domains = [sections.nth(i).get_attribute("id") for i in range(sections.count())]
    shown = {
        d.removeprefix("domain-"): proposal_of(page, d.removeprefix("domain-")) for d in domains
    }
    if submit:
        submit_assessment(page)
    return shown


def agree_item(
    page,
    base: str,
    study_number: int,
    result: str,
    item: str,
    value: str,
    *,
    justification: str = "",
    note: str = "",
) -> None:
    """On the comparison of a complete assessment, record the consensus on one item."""
    page.goto(f"{base}/rob/compare?study={study_number}&result={quote_plus(result)}")
    box = page.locator(f"#item-{item.replace('.', '-').replace(' ', '-')}")
    box.locator("select[name=value]").select_option(value)
    if justification:
        box.locator("textarea[name=justification]").fill(justification)
    if note:
        box.locator("input[name=note]").fill(note)
    box.locator("button[type=submit]").click()
    page.wait_for_selector(f"p.notice:has-text('Consensus on {item} recorded')")


def figures_shown(page, base: str, result: str) -> list[str]:
    """The overview's figures of ``result`` (their ``src``), after each has loaded."""
    page.goto(f"{base}/rob")
    section = page.locator("section.rob-result", has_text=result)
    images = section.locator(".rob-figures img")
    for i in range(images.count()):
        images.nth(i).wait_for(state="visible")
        box = images.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 30, box
    return [images.nth(i).get_attribute("src") for i in range(images.count())]


def record_grade_decision(
    page, base: str, outcome: str | None, domain: str, levels: int, reason: str
) -> None:
    """On the GRADE page, record the reviewers' rating of ``domain`` for ``outcome`` (``None``:
    every outcome) with its reason; waits until the outcome's table shows it."""
    page.goto(f"{base}/grade")
    form = page.locator("form.grade-decide")
    form.locator("select[name=outcome]").select_option(outcome or "")
    form.locator("select[name=domain]").select_option(domain)
    form.locator("select[name=levels]").select_option(str(levels))
    form.locator("textarea[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f".grade-domains td:has-text({reason!r})")
