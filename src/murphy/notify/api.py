"""JSON routes for escalation rules, the outbox and its deliveries (admins), and each
user's in-app notifications: parse, call the service, answer. Reads go to the reader;
changes go to the writer, which answers after commit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from murphy.notify import deliveries, paging, policies, preferences, service
from murphy.notify.schemas import (
    AckLinkOut,
    ContactMethodIn,
    ContactMethodOut,
    DeliveryOut,
    DeliveryQuery,
    NotificationsOut,
    OutboxOut,
    OutboxQuery,
    PagingOut,
    PolicyIn,
    PolicyOut,
    PreferencesIn,
    PreferencesOut,
    ReadIn,
    RuleIn,
    RuleOut,
    RulePatch,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep
from murphy.web.http import if_match

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


# --- escalation policies and paging ----------------------------------------------------


@router.get("/escalation-policies", summary="List escalation policies", tags=["paging"])
async def list_policies(principal: CurrentUser, reader: ReaderDep) -> list[PolicyOut]:
    """Every policy: its levels (users, schedules, roles), their timeouts, the repeats."""
    return await reader.run(lambda s: policies.list_policies(s, principal=principal))


@router.post(
    "/escalation-policies", status_code=201, summary="Add an escalation policy", tags=["paging"]
)
async def create_policy(
    data: PolicyIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> PolicyOut:
    """Supervisors and admins. Unknown users, schedules or roles: 422."""
    out = await writer.run(lambda s: policies.create(s, principal=principal, data=data))
    response.headers["Location"] = f"/api/v1/escalation-policies/{out.id}"
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.get("/escalation-policies/{ref}", summary="An escalation policy", tags=["paging"])
async def get_policy(
    ref: str, principal: CurrentUser, reader: ReaderDep, response: Response
) -> PolicyOut:
    """By id or name; its ETag is its version (send it back in If-Match to change it)."""
    out = await reader.run(lambda s: policies.get(s, principal=principal, ref=ref))
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.put("/escalation-policies/{ref}", summary="Replace an escalation policy", tags=["paging"])
async def replace_policy(
    ref: str,
    data: PolicyIn,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> PolicyOut:
    """Pagings already running keep the levels they started with. If-Match: 412 if it
    changed since."""
    version = if_match(request)
    out = await writer.run(
        lambda s: policies.replace(s, principal=principal, ref=ref, data=data, version=version)
    )
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.delete(
    "/escalation-policies/{ref}", status_code=204, summary="Remove a policy", tags=["paging"]
)
async def remove_policy(ref: str, principal: CurrentUser, writer: WriterDep) -> Response:
    """409 while an escalation rule names it."""
    await writer.run(lambda s: policies.remove(s, principal=principal, ref=ref))
    return Response(status_code=204)


@router.get("/incidents/{number}/paging", summary="An incident's pagings", tags=["paging"])
async def incident_paging(
    number: str, principal: CurrentUser, reader: ReaderDep
) -> list[PagingOut]:
    """Each paging: its policy (as copied), state, the level paged last, when it
    escalates, and who acknowledged."""
    return await reader.run(lambda s: paging.list_for(s, principal=principal, number=number))


@router.post(
    "/incidents/{number}/paging/acknowledge", summary="Acknowledge a page", tags=["paging"]
)
async def acknowledge_page(
    number: str, principal: CurrentUser, writer: WriterDep
) -> list[PagingOut]:
    """I have it: ends the incident's active pagings (and acknowledges the incident).
    409 when nothing is paging, saying who acknowledged and when."""
    return await writer.run(
        lambda s: paging.acknowledge(s, principal=principal, number=number, via="api")
    )


@router.get("/ack/{token}", summary="What an acknowledge link is about", tags=["paging"])
async def read_ack_link(token: str, reader: ReaderDep) -> AckLinkOut:
    """No sign-in: the signed link is the credential. 404 for a link that is not valid,
    410 once it expired. Reading never acknowledges."""
    return await reader.run(lambda s: paging.read_link(s, token=token))


@router.post("/ack/{token}", summary="Acknowledge from a page's link", tags=["paging"])
async def acknowledge_link(token: str, writer: WriterDep) -> AckLinkOut:
    """As the person the message was sent to. 409 once the paging ended (someone
    acknowledged, or the incident ended): a link acknowledges once."""
    return await writer.run(lambda s: paging.acknowledge_link(s, token=token))


# --- how I am reached ------------------------------------------------------------------


@router.get("/me/notification-preferences", summary="How I am reached", tags=["notifications"])
async def my_preferences(principal: CurrentUser, reader: ReaderDep) -> PreferencesOut:
    """My channels per priority, quiet hours, hourly limit, and contact methods."""
    return await reader.run(lambda s: preferences.get(s, principal=principal))


@router.put(
    "/me/notification-preferences", summary="Change how I am reached", tags=["notifications"]
)
async def put_my_preferences(
    data: PreferencesIn, principal: CurrentUser, writer: WriterDep
) -> PreferencesOut:
    """Replace my preferences (a priority left out keeps its default)."""
    return await writer.run(lambda s: preferences.put(s, principal=principal, data=data))


@router.post(
    "/me/contact-methods",
    status_code=201,
    summary="Add a way to reach me",
    tags=["notifications"],
)
async def add_contact_method(
    data: ContactMethodIn, principal: CurrentUser, writer: WriterDep
) -> ContactMethodOut:
    """An email address, a phone for SMS or voice (+4930123456), or a webhook URL."""
    return await writer.run(lambda s: preferences.add_method(s, principal=principal, data=data))


@router.delete(
    "/me/contact-methods/{method_id}",
    status_code=204,
    summary="Remove a way to reach me",
    tags=["notifications"],
)
async def remove_contact_method(
    method_id: int, principal: CurrentUser, writer: WriterDep
) -> Response:
    """One of mine; another person's is not found."""
    await writer.run(
        lambda s: preferences.remove_method(s, principal=principal, method_id=method_id)
    )
    return Response(status_code=204)
