"""HTML routes of retention (`/admin/retention`): the rules with their periods, a preview
(dry run) and a run now, the latest runs, and a person's data export. Privacy officers."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError
from murphy.evidence import service as evidence_service
from murphy.retention import rules, service
from murphy.retention.schemas import RuleIn, RunOut
from murphy.users.schemas import Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, render, validated

router = APIRouter(include_in_schema=False)

PATH = "/admin/retention"
LABELS = {"days": "Kept for (days)", "action": "Then", "enabled": "Runs"}


class RuleForm(FormModel):
    """One rule as its row's form posts it."""

    days: str = ""
    action: str = ""
    enabled: str = ""


class RunForm(FormModel):
    """The preview and run buttons."""

    dry_run: str = ""


@router.get(PATH)
def retention_page(
    request: Request, session: SessionDep, principal: PageUser, saved: str = ""
) -> Response:
    """The rules, the buttons, the latest runs."""
    service.require(principal)
    return _page(request, session, principal, saved=saved)


@router.post(f"{PATH}/rules/{{record_type}}")
def change_rule(
    record_type: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[RuleForm, Form()],
) -> Response:
    """Change one record type's period, action, or whether it runs."""
    check_csrf(request, form.csrf_token)
    service.require(principal)
    kind = rules.parse_type(record_type)
    try:
        data = validated(
            RuleIn, LABELS, days=form.days, action=form.action or None, enabled=form.enabled == "on"
        )
        service.set_rule(session, principal=principal, record_type=kind, data=data)
    except MurphyError as exc:
        session.rollback()
        title = f"{rules.DEFAULTS[kind].label}: not changed, nothing was saved"
        return _page(request, session, principal, error=(title, exc.detail), status=exc.status)
    return RedirectResponse(f"{PATH}?saved={kind.value}#rule-{kind.value}", status_code=303)


@router.post(f"{PATH}/runs")
def run_now(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[RunForm, Form()]
) -> Response:
    """Preview what a run would change, or run now (and remove the deleted files' bytes)."""
    check_csrf(request, form.csrf_token)
    dry = form.dry_run == "1"
    out = service.run(session, principal=principal, dry_run=dry)
    if not dry:
        session.commit()
        evidence_service.remove_deleted(session, store=request.app.state.blobs)
    return _page(request, session, principal, result=out)


@router.get(f"{PATH}/export/{{subject_id}}")
def export_person(subject_id: int, session: SessionDep, principal: PageUser) -> Response:
    """Everything held about one person, as a JSON download; logged as a view."""
    data = service.export_person(session, principal=principal, subject_id=subject_id)
    body = json.dumps(data.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="person-{subject_id}.json"',
            "Cache-Control": "no-store",
        },
    )


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    saved: str = "",
    error: tuple[str, str] | None = None,
    result: RunOut | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "nav": "retention",
        "rules": service.rules_in_force(session, principal=principal),
        "runs": service.runs(session, principal=principal, limit=10),
        "run_hour": rules.RUN_HOUR,
        "saved": saved,
        "error": error,
        "result": result,
    }
    return render(request, "admin_retention.html", context, status)
