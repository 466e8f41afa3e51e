"""`GET /api/v1/live`: the live stream of changes, as Server-Sent Events.

Each event is `id: N`, `event: incident` (the domain), `data: {"change":
"incident.created", "number": ..., ...}`. A
browser's EventSource reconnects by itself and sends the last id it saw
(`Last-Event-ID`); the stream then starts with what it missed, in order, nothing
skipped. A client further behind than Murphy keeps, or too slow to keep up, gets
`event: reload` and the stream ends: reload the page (or the list) and connect again.
Only what the caller may see is sent: the same sites, clearances and own-reports rule
as the API (`incidents.service.may_see`). A comment line every 15 s keeps proxies from
closing an idle stream.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from murphy.core.errors import ValidationFailed
from murphy.core.live import PING, Behind, Hub, Item
from murphy.incidents import service as incidents_service
from murphy.users.schemas import Principal
from murphy.web.deps import CurrentUser

router = APIRouter(tags=["live"])

RETRY_MS = 2000  # how soon a browser reconnects


@router.get(
    "/api/v1/live",
    summary="The live stream of changes (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def live(
    request: Request, principal: CurrentUser, after: int | None = None
) -> StreamingResponse:
    """Changes as they are committed, each with its id; send `Last-Event-ID` (or
    `?after=ID`) to resume after the last one you saw."""
    hub: Hub = request.app.state.hub
    last = request.headers.get("last-event-id") or (str(after) if after is not None else None)
    try:
        since = int(last) if last is not None else None
    except ValueError:
        raise ValidationFailed("Last-Event-ID must be the id of an event") from None
    try:
        subscription = await hub.subscribe(lambda item: _accepts(principal, item), since)
    except Behind:
        return _stream(_reload_only())

    async def events() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        try:
            while True:
                item = await subscription.queue.get()
                if item is PING:  # the hub's keep-alive tick, on an idle stream
                    yield ": still here\n\n"
                    continue
                if item is None:  # too slow, or the server stops
                    yield "event: reload\ndata: {}\n\n"
                    return
                yield _frame(item)
        finally:
            hub.unsubscribe(subscription)

    return _stream(events())


def _accepts(principal: Principal, item: Item) -> bool:
    return incidents_service.may_see(
        principal, site_id=item.site_id, clearance=item.clearance, owner_id=item.owner_id
    )


def _frame(item: Item) -> str:
    """`event:` is the domain ("incident"), so that a browser listens to one name;
    `data.change` says what happened ("incident.created")."""
    kind = item.name.split(".", 1)[0]
    data = json.dumps({"change": item.name, **item.payload}, separators=(",", ":"), default=str)
    return f"id: {item.id}\nevent: {kind}\ndata: {data}\n\n"


async def _reload_only() -> AsyncIterator[str]:
    yield "event: reload\ndata: {}\n\n"


def _stream(body: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
