"""Signing in and out, and joining the workspace by an invitation (or the setup link)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from metareview.errors import AccessError
from metareview.store.accounts import THROTTLED, authenticate
from metareview.store.sessions import (
    SESSION_LIFETIME,
    accept_invitation,
    end_session,
    invitation_role,
    start_session,
)
from metareview.web.security import (
    PUBLIC,
    SESSION_COOKIE,
    SIGNED_IN,
    Call,
    client_address,
    page,
    render,
    set_cookie,
)


def _local(target: str) -> str:
    """Where to go after signing in: only a path on this site (no open redirect)."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"


def _signed_in(call: Call, account_id: int, target: str) -> Response:
    old = call.request.cookies.get(SESSION_COOKIE)
    if old:
        end_session(call.workspace.project, old)  # a new session at every login
    token, _ = start_session(call.workspace.project, account_id)
    response = RedirectResponse(_local(target), status_code=303)
    set_cookie(
        call.request,
        response,
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return response


@page(PUBLIC)
def login_form(call: Call) -> Response:
    """The sign-in form."""
    return render(call, "login.html", next=_local(call.query("next", "/")), error="")


@page(PUBLIC)
def login(call: Call) -> Response:
    """Check the name and password; the refusal never says whether the account exists."""
    target = call.form.get("next", "/")
    try:
        account = authenticate(
            call.workspace.project,
            call.form.get("username", "").strip(),
            call.form.get("password", ""),
            client=client_address(call.request),
        )
    except AccessError as err:
        status = 429 if str(err) == THROTTLED else 400
        return render(call, "login.html", status, next=_local(target), error=str(err))
    return _signed_in(call, account.id, target)


@page(SIGNED_IN)
def logout(call: Call) -> Response:
    """End this session (the cookie is cleared too)."""
    end_session(call.workspace.project, call.request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@page(PUBLIC)
def join_form(call: Call) -> Response:
    """The form behind an invitation link (or the first start's setup link)."""
    token = call.query("token")
    role = invitation_role(call.workspace.project, token)
    if role is None:
        return render(call, "message.html", 404, title="Link not valid",
                       message="This invitation link was used, has expired or is mistyped.")  # fmt: skip
    return render(call, "join.html", token=token, role=role, error="")


@page(PUBLIC)
def join(call: Call) -> Response:
    """Create the account the invitation offers and sign it in."""
    token = call.form.get("token", "")
    username = call.form.get("username", "").strip()
    password = call.form.get("password", "")
    try:
        if password != call.form.get("password_again", ""):
            raise AccessError("the two passwords differ")
        account = accept_invitation(call.workspace.project, token, username, password)
    except AccessError as err:
        role = invitation_role(call.workspace.project, token)
        if role is None:
            return render(call, "message.html", 404, title="Link not valid", message=str(err))
        return render(call, "join.html", 400, token=token, role=role, error=str(err))
    return _signed_in(call, account.id, "/")
