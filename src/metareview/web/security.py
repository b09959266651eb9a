"""Who may call a route, and the protections every response carries.

Every route of the workspace is declared with :func:`page`, which names who may call it
(anyone, any signed-in account, an admin, or members with given roles) and runs, before the
handler: the session lookup (server-side, from the ``mr_session`` cookie), the role check, and
for every state-changing request the CSRF check. Refusals are uniform:

- no session: a page redirects to the login, anything else gets 401;
- an account with no role in the review (or a non-admin on an admin page): 404, as if the
  review did not exist;
- a member whose role may not do this: 403;
- a state-changing request without the right CSRF token: 403.

:class:`SecurityHeaders` adds a Content-Security-Policy that allows scripts only from the
workspace itself (no inline script, no ``eval``), and the other usual headers.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from metareview.store.accounts import SCREENING_ROLES, Role
from metareview.store.sessions import Session, find_session
from metareview.web.timing import timed, timing_header

if TYPE_CHECKING:
    from metareview.web.workspace import Workspace

SESSION_COOKIE = "mr_session"
ANONYMOUS_CSRF_COOKIE = "mr_csrf"  # double-submit token for forms before login
CSRF_FIELD, CSRF_HEADER = "csrf_token", "x-csrf-token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_FILES, MAX_FORM_FIELDS = 20, 200

#: Who may call a route: anyone, any signed-in account, a server admin, the lead or an
#: admin (members and accounts), or members with these roles.
PUBLIC, SIGNED_IN, ADMIN, MANAGERS = "public", "signed-in", "admin", "lead-or-admin"
MEMBERS = frozenset(role.value for role in Role)
SCREENERS = SCREENING_ROLES  # the store's rule: who screens is decided in one place
LEAD = frozenset({Role.LEAD.value})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "no-referrer",  # invitation links carry their token in the URL
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecurityHeaders:
    """ASGI middleware: the headers above on every response, ``Cache-Control: no-store`` on
    everything but static files, and HSTS over HTTPS; with ``server_timing``, also the time
    the request took (:mod:`metareview.web.timing`)."""

    def __init__(self, app: ASGIApp, *, server_timing: bool = False):
        self.app = app
        self.server_timing = server_timing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        secure = scope.get("scheme") == "https"
        start = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                extra = dict(HEADERS)
                extra["cache-control"] = "public, max-age=3600" if static else "no-store"
                if secure:
                    extra["strict-transport-security"] = "max-age=31536000"
                if self.server_timing:
                    extra["server-timing"] = timing_header(scope, start)
                for key, value in extra.items():
                    if key.encode() not in present:
                        headers.append((key.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass
class Call:
    """One request as a handler sees it: the parsed form, the session, the workspace."""

    request: Request
    workspace: Workspace
    session: Session | None
    form: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    csrf_token: str = ""

    @property
    def username(self) -> str:
        return self.session.account.username if self.session else ""

    @property
    def role(self) -> str | None:
        return self.session.account.role if self.session else None

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"


Handler = Callable[[Call], Response]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_form(request: Request, call: Call, max_bytes: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise HTTPException(413, f"the upload is larger than {max_bytes // 2**20} MB")
    async with request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS) as form:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise HTTPException(
                        413, f"{value.filename} is larger than {max_bytes // 2**20} MB"
                    )
                if value.filename:
                    call.files.append((value.filename, data))
            else:
                call.lists.setdefault(key, []).append(value)
                call.form.setdefault(key, value)


def _csrf_ok(request: Request, call: Call) -> bool:
    sent = call.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    if call.session is not None:
        expected = call.session.csrf_token
    else:
        expected = request.cookies.get(ANONYMOUS_CSRF_COOKIE, "")
    return bool(sent) and bool(expected) and hmac.compare_digest(sent, expected)


def _refuse_anonymous(request: Request) -> Response:
    if request.method == "GET" and request.headers.get("hx-request") != "true":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    raise HTTPException(401, "sign in first")


def _allowed(access: str | Collection[str], session: Session) -> None:
    account = session.account
    if access == SIGNED_IN:
        return
    if access == ADMIN:
        if not account.is_admin:
            raise HTTPException(404)
        return
    if access == MANAGERS and (account.is_admin or account.role == "lead"):
        return
    if account.role is None:
        raise HTTPException(404)  # not a member: the review does not exist for them
    if access == MANAGERS or account.role not in access:
        raise HTTPException(403, f"a {account.role} may not do this")


def page(
    access: str | Collection[str], *, max_upload_mb: int = 2
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Declare who may call a route; the handler (a plain function of :class:`Call`) runs in
    a worker thread after the session, role and CSRF checks. (A request without a form makes
    its checks on the handler's thread: one hand-over between threads instead of two.)"""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        def checked(request: Request) -> Call | Response:
            workspace = request.app.state.workspace
            token = request.cookies.get(SESSION_COOKIE, "")
            call = Call(request, workspace, find_session(workspace.project, token))
            if access != PUBLIC:
                if call.session is None:
                    return _refuse_anonymous(request)
                _allowed(access, call.session)
            return call

        def checked_and_handled(request: Request) -> Response:
            call = checked(request)
            if isinstance(call, Response):
                return call
            return _with_anonymous_csrf(request, call, handler(call))

        async def endpoint(request: Request) -> Response:
            if request.method not in STATE_CHANGING:
                return await run_in_threadpool(timed, request.scope, checked_and_handled, request)
            call = await run_in_threadpool(timed, request.scope, checked, request)
            if isinstance(call, Response):
                return call
            await _read_form(request, call, max_upload_mb * 2**20)
            if not _csrf_ok(request, call):
                raise HTTPException(403, "the form has expired; reload the page and try again")
            response = await run_in_threadpool(timed, request.scope, handler, call)
            return _with_anonymous_csrf(request, call, response)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        endpoint.access = access  # type: ignore[attr-defined]  # read by the route tests
        return endpoint

    return wrap


def csrf_for(call: Call) -> str:
    """The CSRF token the page being rendered must send back with its forms."""
    if call.session is not None:
        return call.session.csrf_token
    if not call.csrf_token:
        call.csrf_token = call.request.cookies.get(ANONYMOUS_CSRF_COOKIE) or secrets.token_urlsafe(
            32
        )
    return call.csrf_token


def _with_anonymous_csrf(request: Request, call: Call, response: Response) -> Response:
    if call.csrf_token and call.csrf_token != request.cookies.get(ANONYMOUS_CSRF_COOKIE):
        set_cookie(request, response, ANONYMOUS_CSRF_COOKIE, call.csrf_token, max_age=None)
    return response


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    """A cookie that scripts cannot read, sent only to this site (and only over HTTPS when
    the workspace is served over HTTPS)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def client_address(request: Request) -> str:
    """The client's address (as the server sees it; behind a proxy, uvicorn's
    ``--proxy-headers`` decides)."""
    return _client(request)


def render(call: Call, template: str, status: int = 200, **values: Any) -> Response:
    """The page ``template`` filled with ``values`` and what every page gets (:func:`context`),
    sent with the HTTP ``status``: how every page of the workspace answers."""
    return call.workspace.templates.TemplateResponse(
        call.request, template, context(call, **values), status_code=status
    )


def context(call: Call, **values: Any) -> dict[str, Any]:
    """What every template gets: the account, its role, and the CSRF token."""
    return {
        "account": call.session.account if call.session else None,
        "csrf_token": csrf_for(call),
        "path": call.request.url.path,
        **values,
    }
