"""JSON routes for major incidents (NIMS/ICS): parse, call the service, answer.

Reads go to the reader; changes go to the writer, which answers after commit.
"""

from __future__ import annotations

from fastapi import APIRouter

from murphy.ics import service
from murphy.ics.schemas import (
    AssignIn,
    ComplexityIn,
    DeclareIn,
    IcsOut,
    IcsRole,
    PeriodIn,
    RelieveIn,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1/incidents", tags=["ics"])


@router.get("/{number}/ics", summary="The ICS roster and operational periods")
async def get_ics(number: str, principal: CurrentUser, reader: ReaderDep) -> IcsOut:
    """Who holds and who held each ICS role (with times), and the operational periods."""
    return await reader.run(lambda s: service.roster(s, principal=principal, number=number))


@router.post("/{number}/ics/declare", summary="Declare a major incident")
async def declare(
    number: str, data: DeclareIn, principal: CurrentUser, writer: WriterDep
) -> IcsOut:
    """Make the incident major with an incident commander (`{"user": ...}` or
    `{"name": ...}`) and a complexity type 5..1. Supervisors and admins."""
    return await writer.run(
        lambda s: service.declare(s, principal=principal, number=number, data=data)
    )


@router.post("/{number}/ics/roles", summary="Assign an ICS role")
async def assign(number: str, data: AssignIn, principal: CurrentUser, writer: WriterDep) -> IcsOut:
    """Put a user or a named outsider in a role; the current holder is relieved."""
    return await writer.run(
        lambda s: service.assign(s, principal=principal, number=number, data=data)
    )


@router.post("/{number}/ics/roles/{role}/relieve", summary="Relieve an ICS role's holder")
async def relieve(
    number: str,
    role: IcsRole,
    principal: CurrentUser,
    writer: WriterDep,
    data: RelieveIn | None = None,
) -> IcsOut:
    """Leave the role empty (not the incident commander: assign the next one instead)."""
    body = data or RelieveIn()
    return await writer.run(
        lambda s: service.relieve(s, principal=principal, number=number, role=role, data=body)
    )


@router.put("/{number}/ics/complexity", summary="Change the complexity type")
async def set_complexity(
    number: str, data: ComplexityIn, principal: CurrentUser, writer: WriterDep
) -> IcsOut:
    """A new ICS complexity type (5 simplest .. 1 most complex), with an optional reason."""
    return await writer.run(
        lambda s: service.set_complexity(s, principal=principal, number=number, data=data)
    )


@router.post("/{number}/ics/periods", status_code=201, summary="Add an operational period")
async def add_period(
    number: str, data: PeriodIn, principal: CurrentUser, writer: WriterDep
) -> IcsOut:
    """The next operational period with its objectives; it may not overlap the last one."""
    return await writer.run(
        lambda s: service.add_period(s, principal=principal, number=number, data=data)
    )
