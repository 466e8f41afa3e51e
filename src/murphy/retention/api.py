"""JSON routes of retention: the rules, the runs, and a person's data export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from murphy.core.blobs import BlobStore
from murphy.evidence import service as evidence_service
from murphy.retention import rules, service
from murphy.retention.schemas import PersonExport, RuleIn, RuleOut, RunOut
from murphy.web.deps import BlobsDep, CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1", tags=["retention"])


@router.get("/retention/rules", summary="Retention rules in force")
async def list_rules(principal: CurrentUser, reader: ReaderDep) -> list[RuleOut]:
    """Every record type: its period, what happens at its end, and whether it runs."""
    return await reader.run(lambda s: service.rules_in_force(s, principal=principal))


@router.patch("/retention/rules/{record_type}", summary="Change a retention rule")
async def change_rule(
    record_type: str, data: RuleIn, principal: CurrentUser, writer: WriterDep
) -> RuleOut:
    """The period in days, the action (where the type allows more than one), on or off."""
    kind = rules.parse_type(record_type)
    return await writer.run(
        lambda s: service.set_rule(s, principal=principal, record_type=kind, data=data)
    )


@router.post("/retention/runs", summary="Apply the retention rules now")
async def run_now(
    principal: CurrentUser,
    writer: WriterDep,
    blobs: BlobsDep,
    response: Response,
    dry_run: Annotated[bool, Query(description="count only; change nothing")] = False,
) -> RunOut:
    """What the daily run does (03:00 UTC), now; a dry run says what it would change."""
    out = await writer.run(lambda s: service.run(s, principal=principal, dry_run=dry_run))
    if not dry_run:
        await writer.run(lambda s: _remove_files(s, blobs))
        response.status_code = 201
    return out


@router.get("/retention/runs", summary="The latest retention runs")
async def list_runs(principal: CurrentUser, reader: ReaderDep) -> list[RunOut]:
    """Newest first: when, by whom (or the schedule), and what each changed."""
    return await reader.run(lambda s: service.runs(s, principal=principal))


@router.get("/subjects/{subject_id}/export", summary="Everything held about a person")
async def export_person(
    subject_id: int, principal: CurrentUser, writer: WriterDep, response: Response
) -> PersonExport:
    """For a subject access request: the record, its incidents, statements under the
    name, bans, BOLOs and who viewed it. Logged as a view."""
    out = await writer.run(
        lambda s: service.export_person(s, principal=principal, subject_id=subject_id)
    )
    response.headers["Content-Disposition"] = f'attachment; filename="person-{subject_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return out


def _remove_files(session: Session, blobs: BlobStore) -> int:
    return evidence_service.remove_deleted(session, store=blobs)
