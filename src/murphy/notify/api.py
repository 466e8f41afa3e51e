"""JSON routes for escalation rules and the outbox (admins): parse, call the service,
answer. Reads go to the reader; changes go to the writer, which answers after commit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from murphy.notify import service
from murphy.notify.schemas import OutboxOut, OutboxQuery, RuleIn, RuleOut, RulePatch
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
