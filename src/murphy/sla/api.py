"""JSON routes for priority and service targets: the matrix and the target table
(admins), and an incident's clocks (read, pause, resume).

Reading or changing an incident's clocks goes through `incidents.service.get_or_raise`,
so an incident the caller may not see answers 404 like one that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import PermissionDenied
from murphy.incidents import service as incidents_service
from murphy.sla import service
from murphy.sla.schemas import ClockOut, MatrixIn, MatrixOut, PauseIn, TargetsIn, TargetsOut
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1", tags=["service targets"])


@router.get("/priority-matrix", summary="The priority matrix")
async def get_matrix(principal: CurrentUser, reader: ReaderDep) -> MatrixOut:
    """Rows by impact 1-5, columns by urgency 1-5; `default` if the organization has none."""
    _admin(principal)
    return await reader.run(service.matrix)


@router.put("/priority-matrix", summary="Replace the priority matrix")
async def put_matrix(data: MatrixIn, principal: CurrentUser, writer: WriterDep) -> MatrixOut:
    """5 x 5 priorities that never get more urgent as impact or urgency ease; otherwise
    422 naming the first bad cell, and nothing changes. Existing incidents keep theirs."""
    _admin(principal)
    return await writer.run(
        lambda s: service.set_matrix(s, value=data.matrix, actor=principal.username)
    )


@router.get("/service-targets", summary="The service-target table")
async def get_targets(principal: CurrentUser, reader: ReaderDep) -> TargetsOut:
    """The organization's rows and the built-in defaults."""
    _admin(principal)
    return await reader.run(service.targets)


@router.put("/service-targets", summary="Replace the service-target table")
async def put_targets(data: TargetsIn, principal: CurrentUser, writer: WriterDep) -> TargetsOut:
    """The whole table at once; an invalid row (unknown type or site, a duplicate,
    acknowledge later than resolve, ...) is 422 and nothing changes. Clocks already
    running keep their targets until the incident's priority, type or site changes."""
    _admin(principal)
    return await writer.run(lambda s: service.set_targets(s, data=data.targets))


@router.get("/incidents/{number}/clocks", summary="An incident's service-target clocks")
async def get_clocks(number: str, principal: CurrentUser, reader: ReaderDep) -> list[ClockOut]:
    """Acknowledge, respond and resolve: started, due, met, breached, paused."""

    def work(session: Session) -> list[ClockOut]:
        incident = incidents_service.get_or_raise(session, principal=principal, number=number)
        return service.clocks(session, incident_id=incident.id)

    return await reader.run(work)


@router.post("/incidents/{number}/clocks/pause", summary="Pause an incident's clocks")
async def pause(
    number: str, data: PauseIn, principal: CurrentUser, writer: WriterDep
) -> list[ClockOut]:
    """Stop the running clocks while waiting on a third party; the reason goes on the
    timeline (`sla_paused`). 409 if they are paused already or none runs."""

    def work(session: Session) -> list[ClockOut]:
        incident = incidents_service.get_or_raise(
            session, principal=principal, number=number, for_update=True
        )
        incidents_service.require(principal, Permission.TRIAGE, "pause service-target clocks")
        facts, now = incidents_service.facts(incident), utcnow()
        kinds = service.pause(session, incident=facts, reason=data.reason, now=now)
        entry = {"reason": data.reason, "clocks": kinds}
        incidents_service.append_entry(
            session, incident_id=facts.id, kind="sla_paused", data=entry, at=now, actor=principal
        )
        return service.clocks(session, incident_id=facts.id)

    return await writer.run(work)


@router.post("/incidents/{number}/clocks/resume", summary="Resume an incident's clocks")
async def resume(number: str, principal: CurrentUser, writer: WriterDep) -> list[ClockOut]:
    """Count again; each due time moves by the length of the pause (`sla_resumed` on the
    timeline). 409 if they are not paused."""

    def work(session: Session) -> list[ClockOut]:
        incident = incidents_service.get_or_raise(
            session, principal=principal, number=number, for_update=True
        )
        incidents_service.require(principal, Permission.TRIAGE, "resume service-target clocks")
        facts, now = incidents_service.facts(incident), utcnow()
        entry = service.resume(session, incident=facts, now=now)
        incidents_service.append_entry(
            session, incident_id=facts.id, kind="sla_resumed", data=entry, at=now, actor=principal
        )
        return service.clocks(session, incident_id=facts.id)

    return await writer.run(work)


def _admin(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_SETTINGS):
        raise PermissionDenied("only admins may see or change the priority matrix and targets")
