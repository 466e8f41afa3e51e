"""JSON routes for units and dispatch: parse, call the service, answer.

Reads go to the reader; changes go to the writer, which answers after commit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from murphy.core.errors import NotFound
from murphy.units import service
from murphy.units.schemas import (
    AssignmentOut,
    ClearIn,
    DispatchIn,
    DispatchOut,
    DutyIn,
    FloorMapOut,
    MapOut,
    PositionIn,
    Recommendation,
    ResourceIn,
    ResourceUpdate,
    StatusIn,
    UnitIn,
    UnitOut,
    UnitUpdate,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(tags=["units"])
UNITS = "/api/v1/units"
INCIDENT = "/api/v1/incidents/{number}"


@router.get(UNITS, summary="The unit board")
async def list_units(
    principal: CurrentUser,
    reader: ReaderDep,
    site: Annotated[str | None, Query(max_length=16)] = None,
    include_inactive: bool = False,
) -> list[UnitOut]:
    """Every unit of your sites (or of `site`) with its status, position and assignment."""
    return await reader.run(
        lambda s: service.board(
            s, principal=principal, site=site, include_inactive=include_inactive
        )
    )


@router.post(UNITS, status_code=201, summary="Add a unit")
async def create_unit(data: UnitIn, principal: CurrentUser, writer: WriterDep) -> UnitOut:
    """A unit (an officer, a patrol, a K9 team, a specialist team, an outside agency) at
    its home site, with its members (user names) and skills. Supervisors and admins."""
    return await writer.run(lambda s: service.create(s, principal=principal, data=data))


@router.get(f"{UNITS}/me", summary="My unit")
async def my_unit(principal: CurrentUser, reader: ReaderDep) -> UnitOut:
    """The unit you are a member of, with its current assignment; 404 if none."""
    found = await reader.run(lambda s: service.mine(s, principal=principal))
    if found is None:
        raise NotFound("you are not a member of any unit: ask a supervisor to add you to one")
    return found


@router.get(f"{UNITS}/me/assignments", summary="My unit's recent assignments")
async def my_assignments(
    principal: CurrentUser, reader: ReaderDep, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> list[AssignmentOut]:
    """The latest assignments of your unit, newest first, with their times."""
    return await reader.run(lambda s: service.history(s, principal=principal, limit=limit))


@router.get(f"{UNITS}/{{callsign}}", summary="One unit")
async def get_unit(callsign: str, principal: CurrentUser, reader: ReaderDep) -> UnitOut:
    """A unit of your sites, or your own."""
    return await reader.run(lambda s: service.get(s, principal=principal, callsign=callsign))


@router.patch(f"{UNITS}/{{callsign}}", summary="Change a unit")
async def update_unit(
    callsign: str, data: UnitUpdate, principal: CurrentUser, writer: WriterDep
) -> UnitOut:
    """Name, kind, home site, skills, members (the whole list), or `active: false`."""
    return await writer.run(
        lambda s: service.update(s, principal=principal, callsign=callsign, data=data)
    )


@router.post(f"{UNITS}/{{callsign}}/status", summary="Set a unit's status")
async def set_status(
    callsign: str, data: StatusIn, principal: CurrentUser, writer: WriterDep
) -> UnitOut:
    """`available`, `en_route`, `on_scene`, `busy` or `out_of_service`, by the unit's
    members or a dispatcher. En route and on scene are timed on the unit's assignment;
    available, busy and out of service take it off its incident."""
    return await writer.run(
        lambda s: service.set_status(s, principal=principal, callsign=callsign, data=data)
    )


@router.post(f"{UNITS}/{{callsign}}/duty", summary="Start or end a unit's shift")
async def set_duty(
    callsign: str, data: DutyIn, principal: CurrentUser, writer: WriterDep
) -> UnitOut:
    """`{"on_duty": true}` starts the shift; off duty needs the unit off any incident."""
    return await writer.run(
        lambda s: service.set_duty(s, principal=principal, callsign=callsign, data=data)
    )


@router.post(f"{UNITS}/{{callsign}}/position", summary="Report a unit's position")
async def report_position(
    callsign: str, data: PositionIn, principal: CurrentUser, writer: WriterDep
) -> UnitOut:
    """A GPS fix (`latitude`, `longitude`, `accuracy_m`) or a zone (`zone`, with `site`
    if not the unit's home site)."""
    return await writer.run(
        lambda s: service.report_position(s, principal=principal, callsign=callsign, data=data)
    )


@router.get("/api/v1/map", summary="A site's map: places, open incidents, units")
async def site_map(
    principal: CurrentUser, reader: ReaderDep, site: Annotated[str, Query(max_length=16)]
) -> MapOut:
    """The buildings and zones of a site with coordinates, its open incidents at their
    places (`precision`: zone, building or site) and its units on duty where they were
    last: what the board's map draws."""
    return await reader.run(lambda s: service.map_view(s, principal=principal, site=site))


@router.get("/api/v1/map/floor", summary="A floor's plan with its incidents and units")
async def floor_map(
    principal: CurrentUser,
    reader: ReaderDep,
    site: Annotated[str, Query(max_length=16)],
    building: Annotated[str, Query(max_length=16)],
    floor: Annotated[str, Query(max_length=16)],
) -> FloorMapOut:
    """The floor's plan picture (`plan.url`, its size in pixels), the zones drawn on it,
    and the open incidents and on-duty units on the floor at their zone's centre (`x`,
    `y` in the plan's pixels; null for a zone not drawn yet)."""
    return await reader.run(
        lambda s: service.floor_map(
            s, principal=principal, site=site, building=building, floor=floor
        )
    )


@router.get(f"{INCIDENT}/units", summary="Units and resources of an incident")
async def incident_units(number: str, principal: CurrentUser, reader: ReaderDep) -> DispatchOut:
    """Every unit sent (active and cleared) with its times, and every resource requested."""
    return await reader.run(lambda s: service.of_incident(s, principal=principal, number=number))


@router.get(f"{INCIDENT}/recommendation", summary="Which unit to send")
async def recommendation(
    number: str,
    principal: CurrentUser,
    reader: ReaderDep,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> Recommendation:
    """Units ranked for this incident: on duty, available and with the skills its type
    needs first, nearest first; then the others, each with its reason."""
    return await reader.run(
        lambda s: service.recommend(s, principal=principal, number=number, limit=limit)
    )


@router.post(f"{INCIDENT}/units", status_code=201, summary="Dispatch a unit")
async def dispatch(
    number: str, data: DispatchIn, principal: CurrentUser, writer: WriterDep
) -> DispatchOut:
    """Send a unit as primary or assisting. Dispatchers, supervisors and admins."""
    return await writer.run(
        lambda s: service.dispatch(s, principal=principal, number=number, data=data)
    )


@router.post(f"{INCIDENT}/units/{{callsign}}/acknowledge", summary="Acknowledge an assignment")
async def acknowledge(
    number: str, callsign: str, principal: CurrentUser, writer: WriterDep
) -> DispatchOut:
    """The unit has seen its assignment (a second time changes nothing)."""
    return await writer.run(
        lambda s: service.acknowledge(s, principal=principal, number=number, callsign=callsign)
    )


@router.post(f"{INCIDENT}/units/{{callsign}}/clear", summary="Take a unit off an incident")
async def clear(
    number: str,
    callsign: str,
    principal: CurrentUser,
    writer: WriterDep,
    data: ClearIn | None = None,
) -> DispatchOut:
    """The unit becomes available; its times stay on the incident."""
    body = data or ClearIn()
    return await writer.run(
        lambda s: service.clear(s, principal=principal, number=number, callsign=callsign, data=body)
    )


@router.post(f"{INCIDENT}/resources", status_code=201, summary="Request a resource")
async def request_resource(
    number: str, data: ResourceIn, principal: CurrentUser, writer: WriterDep
) -> DispatchOut:
    """Equipment, an outside agency or more people; tracked until it arrives or ends."""
    return await writer.run(
        lambda s: service.request_resource(s, principal=principal, number=number, data=data)
    )


@router.patch(f"{INCIDENT}/resources/{{resource_id}}", summary="Update a resource request")
async def update_resource(
    number: str,
    resource_id: int,
    data: ResourceUpdate,
    principal: CurrentUser,
    writer: WriterDep,
) -> DispatchOut:
    """`on_the_way`, `arrived`, `released` or `cancelled`, with an optional reference."""
    return await writer.run(
        lambda s: service.update_resource(
            s, principal=principal, number=number, resource_id=resource_id, data=data
        )
    )
