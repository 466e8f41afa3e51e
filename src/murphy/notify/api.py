"""JSON routes for escalation rules, the outbox and its deliveries (admins), and each
user's in-app notifications: parse, call the service, answer. Reads go to the reader;
changes go to the writer, which answers after commit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from murphy.notify import deliveries, service
from murphy.notify.schemas import (
    DeliveryOut,
    DeliveryQuery,
    NotificationsOut,
    OutboxOut,
    OutboxQuery,
    ReadIn,
    RuleIn,
    RuleOut,
    RulePatch,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1", tags=["escalation"])


@router.get("/escalation-rules", summary="List escalation rules")
async def list_rules(principal: CurrentUser, reader: ReaderDep) -> list[RuleOut]:
    """Every rule: the events, types, priorities and sites it matches and who it tells."""
    return await reader.run(lambda s: service.list_rules(s, principal=principal))


@router.post("/escalation-rules", status_code=201, summary="Add an escalation rule")
async def create_rule(
    data: RuleIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> RuleOut:
    """Add a rule; unknown events, types, sites, roles or users are refused (422)."""
    out = await writer.run(lambda s: service.create_rule(s, principal=principal, data=data))
    response.headers["Location"] = f"/api/v1/escalation-rules/{out.id}"
    return out


@router.patch("/escalation-rules/{rule_id}", summary="Change an escalation rule")
async def update_rule(
    rule_id: int, data: RulePatch, principal: CurrentUser, writer: WriterDep
) -> RuleOut:
    """Change the fields sent (`active: false` pauses a rule)."""
    return await writer.run(
        lambda s: service.update_rule(s, principal=principal, rule_id=rule_id, data=data)
    )


@router.delete("/escalation-rules/{rule_id}", status_code=204, summary="Remove a rule")
async def delete_rule(rule_id: int, principal: CurrentUser, writer: WriterDep) -> Response:
    """Remove a rule; the messages it already wrote stay in the outbox."""
    await writer.run(lambda s: service.delete_rule(s, principal=principal, rule_id=rule_id))
    return Response(status_code=204)


@router.get("/outbox", summary="Recent outbox messages")
async def outbox(
    query: Annotated[OutboxQuery, Query()], principal: CurrentUser, reader: ReaderDep
) -> list[OutboxOut]:
    """Newest first; filter by `state` (pending, withheld, ...) and `incident` (number)."""
    return await reader.run(lambda s: service.outbox(s, principal=principal, query=query))


@router.get("/deliveries", summary="Recent deliveries (the dead-letter list with state=dead)")
async def list_deliveries(
    query: Annotated[DeliveryQuery, Query()], principal: CurrentUser, reader: ReaderDep
) -> list[DeliveryOut]:
    """Newest first: one row per message, channel and address; filter by `state`
    (pending, sending, sent, dead) and `channel`."""
    return await reader.run(
        lambda s: deliveries.list_deliveries(s, principal=principal, query=query)
    )


@router.get("/deliveries/{delivery_id}", summary="A delivery and every try")
async def get_delivery(delivery_id: int, principal: CurrentUser, reader: ReaderDep) -> DeliveryOut:
    """The delivery with each try: when, how long, and what came of it."""
    return await reader.run(
        lambda s: deliveries.get_delivery(s, principal=principal, delivery_id=delivery_id)
    )


@router.post("/deliveries/{delivery_id}/retry", summary="Send a dead delivery again")
async def retry_delivery(
    delivery_id: int, principal: CurrentUser, writer: WriterDep
) -> DeliveryOut:
    """A dead delivery gets a fresh set of tries, at once (409 unless it is dead)."""
    return await writer.run(
        lambda s: deliveries.retry(s, principal=principal, delivery_id=delivery_id)
    )


@router.get("/notifications", summary="My in-app notifications", tags=["notifications"])
async def notifications(
    principal: CurrentUser,
    reader: ReaderDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationsOut:
    """Newest first, with the number still unread."""

    def read(s: Session) -> NotificationsOut:
        items = deliveries.notifications(s, principal=principal, unread=unread, limit=limit)
        return NotificationsOut(unread=deliveries.unread_count(s, principal=principal), items=items)

    return await reader.run(read)


@router.post("/notifications/read", summary="Mark notifications read", tags=["notifications"])
async def mark_read(data: ReadIn, principal: CurrentUser, writer: WriterDep) -> dict[str, int]:
    """Mark the ones named in `ids` read, or all of them when `ids` is left out."""
    changed = await writer.run(lambda s: deliveries.mark_read(s, principal=principal, ids=data.ids))
    return {"marked": changed}
