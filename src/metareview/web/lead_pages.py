"""The dashboard, the lead's settings, and the members and accounts of the workspace."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from metareview.errors import AccessError
from metareview.records.agreement import COEFFICIENTS
from metareview.records.ranking_choices import RANKING_CHOICES, ranking_choice
from metareview.store.accounts import Role, list_accounts, set_disabled, set_role
from metareview.store.embeddings import vector_counts
from metareview.store.review import configure, screening_config
from metareview.store.reviewer_view import reviewer_view, stage_summary
from metareview.store.sessions import create_invitation
from metareview.web.dashboard_pages import agreement_tables, stopping_tables
from metareview.web.screen_pages import STAGE_NAMES
from metareview.web.security import LEAD, MANAGERS, MEMBERS, SIGNED_IN, Call, page, render

MAX_TERMS, MAX_TERM_LENGTH = 200, 100


@page(SIGNED_IN)
def home(call: Call) -> Response:
    """Members go to the dashboard; an admin with no role in the review to the accounts."""
    if call.role is None:
        if call.session and call.session.account.is_admin:
            return RedirectResponse("/members", status_code=303)
        raise HTTPException(404)
    return RedirectResponse("/dashboard", status_code=303)


@page(MEMBERS)
def dashboard(call: Call) -> Response:
    """Counts per stage (locked records only), the reviewer's own progress, what the stopping
    rules say, and for the lead the votes each reviewer cast and the rankings that failed
    (of members who can screen now only: not a disabled account, one removed from the
    review, nor a viewer)."""
    project = call.workspace.project
    stages = []
    for stage, name in STAGE_NAMES.items():
        summary = stage_summary(project, stage)
        own = reviewer_view(project, call.username, stage) if call.role != "viewer" else None
        stages.append((stage, name, summary, own))
    lead = call.role == "lead"
    agreement = agreement_tables(call) if lead else []
    return render(
        call,
        "dashboard.html",
        stages=stages,
        lead=lead,
        agreement=agreement,
        coefficients=COEFFICIENTS,
        stopping=stopping_tables(call),
        ranking_failures=call.workspace.rankings.failures(screening_only=True) if lead else [],
        stage_names=STAGE_NAMES,
    )


def _lines(text: str, name: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_TERMS or any(len(line) > MAX_TERM_LENGTH for line in lines):
        raise AccessError(f"{name}: at most {MAX_TERMS} lines of {MAX_TERM_LENGTH} characters")
    return list(dict.fromkeys(lines))


@page(LEAD)
def settings_form(call: Call) -> Response:
    """The review's settings: highlighted terms, reviewers per record, exclusion reasons,
    the ranking model (beside a model that reads sentence vectors, chosen or not, how many
    records have one and what computes the missing ones)."""
    return _settings_page(call)


@page(LEAD)
def save_settings(call: Call) -> Response:
    """Save the settings (each change is logged like any decision); a new number of reviewers
    per record, once screening has begun, only with "apply only to unvoted records"; a
    ranking model not among the built-in ones is refused (by ``configure``), and one that
    reads sentence vectors while some are missing is saved with a warning."""
    project = call.workspace.project
    try:
        include = _lines(call.form.get("include", ""), "include terms")
        exclude = _lines(call.form.get("exclude", ""), "exclude terms")
        reasons = _lines(call.form.get("reasons", ""), "exclusion reasons")
        required = call.form.get("reviewers_required", "2")
        if not required.isdigit() or not 1 <= int(required) <= 10:
            raise AccessError("reviewers per record must be a number from 1 to 10")
        configure(
            project,
            actor=call.username,
            reviewers_required=int(required),
            exclusion_reasons=reasons,
            highlight_include=include,
            highlight_exclude=exclude,
            only_unvoted=call.form.get("only_unvoted") == "1",
            ranking_model=call.form.get("ranking_model"),  # absent: unchanged
        )
    except (AccessError, ValueError) as err:
        return _settings_page(call, str(err), 400)
    return _settings_page(call, "Settings saved.")


def _settings_page(call: Call, message: str = "", status: int = 200) -> Response:
    config = screening_config(call.workspace.project)
    choice = ranking_choice(config.ranking_model)
    offers_vectors = any(offered.reads_vectors for offered in RANKING_CHOICES)
    return render(
        call,
        "settings.html",
        status=status,
        include="\n".join(config.highlight_include),
        exclude="\n".join(config.highlight_exclude),
        config=config,
        message=message,
        refused=status >= 400,
        choices=RANKING_CHOICES,
        reads_vectors=choice is not None and choice.reads_vectors,
        vectors=vector_counts(call.workspace.project) if offers_vectors else None,
    )


def _is_admin(call: Call) -> bool:
    return bool(call.session and call.session.account.is_admin)


@page(MANAGERS)
def members(call: Call) -> Response:
    """Members and their roles; the lead invites and changes roles, an admin also disables."""
    return _members_page(call)


@page(MANAGERS)
def invite(call: Call) -> Response:
    """A single-use invitation link for a new member with the chosen role."""
    role = call.form.get("role", "")
    if role not in {r.value for r in Role}:
        return _members_page(call, message=f"unknown role {role!r}", status=400)
    token = create_invitation(call.workspace.project, role=role, created_by=call.username)
    link = f"{call.request.base_url}join?token={token}"
    return _members_page(call, link=link, message=f"Invitation for a {role} created.")


@page(MANAGERS)
def change_member(call: Call) -> Response:
    """Change a member's role (lead or admin), or disable/enable an account (admin)."""
    admin = _is_admin(call)
    username = call.request.path_params["username"]
    action = call.form.get("action", "")
    project = call.workspace.project
    try:
        if username == call.username:
            raise AccessError("you cannot change your own account here")
        if action in ("disable", "enable"):
            if not admin:
                raise HTTPException(403, "only an admin disables accounts")
            set_disabled(project, username, action == "disable")
        elif action == "role":
            role = call.form.get("role", "")
            set_role(project, username, role or None)
        else:
            return _members_page(call, message=f"unknown action {action!r}", status=400)
    except ValueError as err:  # AccessError, or an unknown role
        status = 404 if str(err).startswith("no account") else 400
        return _members_page(call, message=str(err), status=status)
    return RedirectResponse("/members", status_code=303)


def _members_page(call: Call, link: str = "", message: str = "", status: int = 200):
    admin = _is_admin(call)
    return render(
        call,
        "members.html",
        status=status,
        accounts=list_accounts(call.workspace.project),
        roles=[r.value for r in Role],
        admin=admin,
        link=link,
        message=message,
    )
