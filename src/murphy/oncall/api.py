"""JSON routes of on-call schedules: who is on call now or at T, shifts, overrides, and
a person's shifts as an iCalendar feed, also at a secret URL that needs no sign-in (for
calendar apps, which cannot send a token). Reads go to the reader; changes to the writer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime

from murphy.oncall import service
from murphy.oncall.schemas import (
    NewFeedOut,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    ShiftOut,
)
from murphy.web.deps import CurrentUser, ReaderDep, SettingsDep, WriterDep
from murphy.web.http import if_match

router = APIRouter(prefix="/api/v1", tags=["on-call"])
feeds = APIRouter(tags=["on-call"])  # the secret calendar links, outside /api/v1

At = Annotated[
    AwareDatetime | None,
    Query(
        description="An instant with its offset, e.g. 2026-11-28T09:00:00+01:00; now if left out"
    ),
]


@router.get("/on-call", summary="Who is on call, on every schedule")
async def on_call_everywhere(
    principal: CurrentUser, reader: ReaderDep, at: At = None
) -> list[OnCallOut]:
    """For each schedule: who is on call at `at` (now), since and until when."""
    found = await reader.run(lambda s: service.list_schedules(s, principal=principal, at=at))
    return [schedule.on_call for schedule in found]


@router.get("/schedules", summary="List on-call schedules")
async def list_schedules(
    principal: CurrentUser, reader: ReaderDep, at: At = None
) -> list[ScheduleOut]:
    """Every schedule with its layers, upcoming overrides and who is on call at `at`."""
    return await reader.run(lambda s: service.list_schedules(s, principal=principal, at=at))


@router.post("/schedules", status_code=201, summary="Add an on-call schedule")
async def create_schedule(
    data: ScheduleIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> ScheduleOut:
    """Supervisors and admins. Unknown users, time zones or impossible rotations: 422."""
    out = await writer.run(lambda s: service.create(s, principal=principal, data=data))
    response.headers["Location"] = f"/api/v1/schedules/{out.id}"
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.get("/schedules/{ref}", summary="An on-call schedule")
async def get_schedule(
    ref: str, principal: CurrentUser, reader: ReaderDep, response: Response, at: At = None
) -> ScheduleOut:
    """By id or name; its ETag is its version (send it back in If-Match to change it)."""
    out = await reader.run(lambda s: service.get(s, principal=principal, ref=ref, at=at))
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.put("/schedules/{ref}", summary="Replace an on-call schedule's definition")
async def replace_schedule(
    ref: str,
    data: ScheduleIn,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> ScheduleOut:
    """The layers are replaced; overrides stay. With If-Match, 409 if changed since."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.replace(s, principal=principal, ref=ref, data=data, version=version)
    )
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.delete("/schedules/{ref}", status_code=204, summary="Remove an on-call schedule")
async def remove_schedule(ref: str, principal: CurrentUser, writer: WriterDep) -> Response:
    """The schedule and its overrides."""
    await writer.run(lambda s: service.remove(s, principal=principal, ref=ref))
    return Response(status_code=204)


@router.get("/schedules/{ref}/on-call", summary="Who is on call now, or at a time")
async def on_call(ref: str, principal: CurrentUser, reader: ReaderDep, at: At = None) -> OnCallOut:
    """The person on call at `at` (now), since and until when, and why (the layer or an
    override); `user` is null when nobody is."""
    return await reader.run(lambda s: service.on_call(s, principal=principal, ref=ref, at=at))


@router.get("/schedules/{ref}/shifts", summary="The shifts of a stretch of time")
async def shifts(
    ref: str, start: AwareDatetime, end: AwareDatetime, principal: CurrentUser, reader: ReaderDep
) -> list[ShiftOut]:
    """Who is on call from `start` to `end` (at most 92 days), shift by shift."""
    return await reader.run(
        lambda s: service.shifts(s, principal=principal, ref=ref, start=start, end=end)
    )


@router.post("/schedules/{ref}/overrides", status_code=201, summary="Add an override")
async def add_override(
    ref: str, data: OverrideIn, principal: CurrentUser, writer: WriterDep
) -> OverrideOut:
    """Someone takes over from `start` until `end`; where overrides overlap, the latest wins."""
    return await writer.run(
        lambda s: service.add_override(s, principal=principal, ref=ref, data=data)
    )


@router.delete(
    "/schedules/{ref}/overrides/{override_id}", status_code=204, summary="Remove an override"
)
async def remove_override(
    ref: str, override_id: int, principal: CurrentUser, writer: WriterDep
) -> Response:
    """Take an override back."""
    await writer.run(
        lambda s: service.remove_override(s, principal=principal, ref=ref, override_id=override_id)
    )
    return Response(status_code=204)


@router.get("/users/{username}/shifts.ics", summary="A person's shifts as a calendar")
async def shifts_calendar(username: str, principal: CurrentUser, reader: ReaderDep) -> Response:
    """iCalendar (RFC 5545) of the person's shifts from a week ago to 92 days ahead, on
    every schedule. Your own, or anyone's for supervisors and admins."""
    text = await reader.run(lambda s: service.calendar(s, principal=principal, username=username))
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{username}-on-call.ics"'},
    )


@router.post("/users/me/calendar-feed", status_code=201, summary="Make my secret calendar link")
async def create_calendar_feed(
    principal: CurrentUser, writer: WriterDep, settings: SettingsDep
) -> NewFeedOut:
    """A URL of your shifts (as `shifts.ics`) that a calendar app can subscribe to without
    signing in: the secret is in the URL, so treat it as a password. Shown this once;
    asking again makes a new one and the old one stops working."""
    return await writer.run(
        lambda s: service.create_feed(s, principal=principal, public_url=settings.public_url)
    )


@router.delete("/users/me/calendar-feed", status_code=204, summary="Stop my secret calendar link")
async def revoke_calendar_feed(principal: CurrentUser, writer: WriterDep) -> Response:
    """The link stops working at once (404). Nothing to stop is no error."""
    await writer.run(lambda s: service.revoke_feed(s, principal=principal))
    return Response(status_code=204)


@feeds.get(
    service.FEED_PATH,
    summary="A person's shifts at their secret calendar link",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 404: {"description": "No such link"}},
)
async def calendar_feed(token: str, reader: ReaderDep) -> Response:
    """No sign-in: the token in the URL is the credential. An unknown or stopped link is
    404, with no hint which."""
    text = await reader.run(lambda s: service.feed_calendar(s, token=token))
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )
