"""The workspace's access rules, route by route, over HTTP (Starlette's TestClient).

Every route is called without a session, with a session of another review, with an account
that has no role, and with a viewer's session; every state-changing route without a CSRF
token; failed logins are throttled without revealing whether an account exists. The route
list comes from the app itself, so a new route is covered (and must declare who may call it).
"""

from __future__ import annotations

import pytest
from starlette.routing import Route

from metareview.store.accounts import MAX_FAILURES_PER_NAME, add_account
from metareview.store.project import Project
from metareview.web.app import routes
from metareview.web.security import ADMIN, LEAD, MANAGERS, MEMBERS, PUBLIC, SCREENERS, SIGNED_IN
from tests import stores
from tests.web_client import PASSWORD, csrf_of, make_project, workspace

store_url = stores.store_url  # the fixture, once per backend


def route_calls() -> list[tuple[str, str, object]]:
    """(method, a concrete path, who may call it) for every route of the app."""
    calls = []
    for route in routes():
        if isinstance(route, Route):
            path = route.path.replace("{record_id}", "1").replace("{username}", "rita")
            path = path.replace("{of}", "2").replace("{kind}", "csv").replace("{file_id}", "1")
            path = path.replace("{study}", "1").replace("{fmt}", "csv")
            path = path.replace("{run_id}", "1").replace("{path:path}", "results.json")
            path = path.replace("{number}", "1")
            for method in sorted(route.methods - {"HEAD"}):
                calls.append((method, path, route.endpoint.access))
    return calls


CALLS = route_calls()
#: routes a viewer may read that name a run or a study (none exists in this test's project)
NAMES_A_STUDY_OR_RUN = ("/analysis/", "/extraction/1/", "/rob/compare")
STATE_CHANGING = [(m, p, a) for m, p, a in CALLS if m != "GET"]


def test_every_route_declares_who_may_call_it():
    allowed = {PUBLIC, SIGNED_IN, ADMIN, MANAGERS, MEMBERS, SCREENERS, LEAD}
    assert all(access in allowed for _, _, access in CALLS)
    assert {p for m, p, _ in STATE_CHANGING} >= {"/screen/vote", "/settings", "/members/invite"}


@pytest.fixture
def project(store_url):
    with make_project(store_url) as opened:
        yield opened


def _call(browser, method, path):
    return browser.get(path) if method == "GET" else browser.post(path, {"stage": "ta"})


def test_without_a_session_only_public_routes_answer(project):
    with workspace(project) as browser:
        anonymous = browser(None)
        for method, path, access in CALLS:
            response = _call(anonymous, method, path)
            if access == PUBLIC:
                assert response.status_code in (200, 303, 400, 403, 404), (method, path)
                assert "/login?next" not in response.headers.get("location", "")
            elif method == "GET":
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/login?next="), path
            else:
                assert response.status_code == 401, (method, path)


def test_a_session_from_another_review_is_no_session(project, tmp_path):
    with (
        Project.open(str(tmp_path / "other.mrproj")) as other,
        workspace(other) as other_browser,
        workspace(project) as browser,
    ):
        add_account(other, "rita", PASSWORD, role="lead")
        stranger = other_browser("rita")
        intruder = browser(None)
        intruder.client.cookies = stranger.client.cookies
        intruder.csrf = stranger.csrf
        for method, path, access in CALLS:
            if access == PUBLIC:
                continue
            response = _call(intruder, method, path)
            assert response.status_code == (303 if method == "GET" else 401), (method, path)


def test_an_account_without_a_role_finds_nothing(project):
    with workspace(project) as browser:
        otto = browser("otto")
        for method, path, access in CALLS:
            if access in (PUBLIC,) or path == "/logout":
                continue
            assert _call(otto, method, path).status_code == 404, (method, path)


def test_a_viewer_reads_dashboards_only(project):
    with workspace(project) as browser:
        vic = browser("vic")
        for method, path, access in CALLS:
            if access == PUBLIC or path == "/logout":
                continue
            status = _call(vic, method, path).status_code
            if access == MEMBERS and path.startswith(NAMES_A_STUDY_OR_RUN):
                assert status == 404, path  # no run or study 1 here (their own tests read them)
            elif access == MEMBERS:
                assert status == 200, path
            elif path == "/":
                assert status == 303
            else:
                assert status == 403, (method, path, status)


def test_every_state_changing_route_needs_the_csrf_token(project):
    with workspace(project) as browser:
        lena, rita, anonymous = browser("lena"), browser("rita"), browser(None)
        for _, path, access in STATE_CHANGING:
            caller = anonymous if access == PUBLIC else lena
            assert caller.post(path, {"stage": "ta"}, csrf=False).status_code == 403, path
            stolen = {"stage": "ta", "csrf_token": rita.csrf}  # another session's token
            assert caller.post(path, stolen, csrf=False).status_code == 403, path


def test_records_of_no_stage_and_unknown_ids_are_404(project):
    with workspace(project) as browser:
        lena = browser("lena")
        for path in (
            "/screen?stage=ta&record=999999",
            "/screen?stage=ta&record=abc",
            "/screen?stage=xx",
            "/conflicts/999999?stage=ta",
            "/conflicts/1?stage=ta",  # no conflict on it
        ):
            assert lena.get(path).status_code == 404, path
        vote = {"record_id": "999999", "stage": "ta", "decision": "include"}
        assert lena.post("/screen/vote", vote).status_code == 404
        assert lena.post("/members/nobody", {"action": "role", "role": "lead"}).status_code == 404


def test_responses_carry_the_security_headers(project):
    with workspace(project) as browser:
        lena = browser("lena")
        for response in (lena.get("/dashboard"), lena.get("/static/workspace.css"), lena.get("/x")):
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe" not in policy
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        assert lena.get("/dashboard").headers["cache-control"] == "no-store"


def test_session_cookie_is_httponly_lax_rotated_and_revocable(project):
    with workspace(project) as browser:
        rita = browser(None)
        first = rita.sign_in("rita")
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        old = rita.client.cookies["mr_session"]
        rita.sign_in("rita")
        new = rita.client.cookies["mr_session"]
        assert new != old  # a new session at every login
        replay = browser(None)
        replay.client.cookies.set("mr_session", old)
        assert replay.get("/dashboard").status_code == 303  # the old session ended
        assert rita.post("/logout").status_code == 303
        replay.client.cookies.set("mr_session", new)
        assert replay.get("/dashboard").status_code == 303


def test_disabling_an_account_ends_its_sessions(project):
    with workspace(project) as browser:
        adam, rita = browser("adam"), browser("rita")
        assert rita.get("/dashboard").status_code == 200
        assert adam.post("/members/rita", {"action": "disable"}).status_code == 303
        assert rita.get("/dashboard").status_code == 303
        assert browser(None).sign_in("rita").status_code == 400


def test_failed_logins_are_throttled_alike_for_known_and_unknown_names(project):
    with workspace(project) as browser:
        pages = {}
        for name in ("ravi", "nobody"):
            client = browser(None)
            first = client.sign_in(name, "wrong password!")
            assert first.status_code == 400
            for _ in range(MAX_FAILURES_PER_NAME - 1):
                client.sign_in(name, "wrong password!")
            throttled = client.sign_in(name, PASSWORD if name == "ravi" else "wrong password!")
            assert throttled.status_code == 429, name
            pages[name] = (
                first.text.replace(csrf_of(first.text), ""),
                throttled.text.replace(csrf_of(throttled.text), ""),
            )
        assert pages["ravi"] == pages["nobody"]  # the same answers: no account is revealed
        assert browser(None).sign_in("rita").status_code == 303  # other names still sign in


def test_login_redirects_only_within_the_site(project):
    with workspace(project) as browser:
        for target, expected in (
            ("/screen?stage=ft", "/screen?stage=ft"),
            ("https://evil.example/", "/"),
            ("//evil.example", "/"),
        ):
            client = browser(None).client
            page = client.get("/login")
            response = client.post(
                "/login",
                data={
                    "username": "rita",
                    "password": PASSWORD,
                    "next": target,
                    "csrf_token": csrf_of(page.text),
                },
                follow_redirects=False,
            )
            assert response.headers["location"] == expected
