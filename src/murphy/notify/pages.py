"""HTML routes for delivery and paging: the dead-letter list for admins
(`/admin/deliveries`, one delivery with its tries, "Send again"), each signed-in user's
in-app notifications (`/notifications`: open one, mark all read), the page a message's
acknowledge link opens (`/ack/{token}`: no sign-in, one button), and the incident
page's "Acknowledge the page". They call the same service functions as the JSON API;
the bell in the page header counts the unread ones (web/deps).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import Conflict, MurphyError
from murphy.notify import deliveries, paging, preferences
from murphy.notify.schemas import (
    ContactMethodIn,
    DeliveryOut,
    DeliveryQuery,
    DeliveryState,
    ExternalChannel,
    PersonalChannel,
    PreferencesIn,
)
from murphy.sites import service as sites_service
from murphy.users.schemas import Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, render, validated

router = APIRouter(include_in_schema=False)

PATH = "/admin/deliveries"
NOTIFICATIONS = "/notifications"
SHOWN = 200  # rows of one tab (the newest)
FAILING = "failing"  # the tab of pending deliveries that failed at least once
TABS = {
    "dead": "Dead",
    FAILING: "Failing",
    "sent": "Sent",
    "all": "All",
}
EMPTY = {
    "dead": "No dead letters: every message was delivered or is still being tried.",
    FAILING: "Nothing failing: no message waits to be tried again.",
    "sent": "No message has been sent yet.",
    "all": "No messages yet: the escalation rules write them when incidents change.",
}
CHANNELS = {
    ExternalChannel.EMAIL.value: "Email",
    ExternalChannel.WEBHOOK.value: "Webhook",
    ExternalChannel.SMS.value: "SMS",
    "voice": "Voice",
    deliveries.IN_APP: "In the app",
}


class BackForm(FormModel):
    """Send again: the tab and channel to come back to."""

    state: str = ""
    channel: str = ""


# --- the dead-letter list (admins) -----------------------------------------------------


@router.get(PATH)
def deliveries_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    state: str = "",
    channel: str = "",
    again: int | None = None,
) -> Response:
    """Recent deliveries, newest first, by tab (dead first) and channel."""
    return _list(request, session, principal, state=state, channel=channel, again=again)


@router.get(f"{PATH}/{{delivery_id}}")
def delivery_page(
    delivery_id: int, request: Request, session: SessionDep, principal: PageUser
) -> Response:
    """One delivery and every try at sending it."""
    found = deliveries.get_delivery(session, principal=principal, delivery_id=delivery_id)
    context = {"nav": "deliveries", "d": found, "channels": CHANNELS, "look": look}
    return render(request, "admin_delivery.html", context | {"tz": _zone(session, principal)})


@router.post(f"{PATH}/{{delivery_id}}/retry")
def send_again(
    delivery_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[BackForm, Form()],
) -> Response:
    """Give a dead delivery a fresh set of tries, then back to the list with a message."""
    check_csrf(request, form.csrf_token)
    try:
        deliveries.retry(session, principal=principal, delivery_id=delivery_id)
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        return _list(
            request,
            session,
            principal,
            state=form.state,
            channel=form.channel,
            error=exc.detail,
            status=exc.status,
        )
    back = _url(state=form.state, channel=form.channel, again=delivery_id)
    return RedirectResponse(back, status_code=303)


def _list(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    state: str,
    channel: str,
    again: int | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    channel = channel if channel in CHANNELS else ""
    dead = _rows(session, principal, DeliveryState.DEAD, channel)
    failing = _rows(session, principal, None, channel, failing=True)
    chosen = state if state in TABS else ("dead" if dead else "all")
    if chosen == "dead":
        rows = dead
    elif chosen == FAILING:
        rows = failing
    else:
        rows = _rows(session, principal, DeliveryState.SENT if chosen == "sent" else None, channel)
    context: dict[str, Any] = {
        "nav": "deliveries",
        "tabs": TABS,
        "tab": chosen,
        "asked": state in TABS,
        "counts": {"dead": len(dead), FAILING: len(failing)},
        "channels": CHANNELS,
        "channel": channel,
        "rows": rows,
        "again": again,
        "error": error,
        "shown": SHOWN,
        "tz": _zone(session, principal),
        "empty": EMPTY,
        "look": look,
        "tab_url": lambda key: _url(state=key, channel=channel),
    }
    return render(request, "admin_deliveries.html", context, status)


def _url(**query: Any) -> str:
    """The list with these filters (those given)."""
    kept = urlencode({k: v for k, v in query.items() if v})
    return f"{PATH}?{kept}" if kept else PATH


def look(d: DeliveryOut) -> str:
    """How a delivery stands, in the page's words: a pending one that failed is failing."""
    return FAILING if d.failing else d.state.value


def _rows(
    session: Session,
    principal: Principal,
    state: DeliveryState | None,
    channel: str,
    *,
    failing: bool = False,
) -> list[DeliveryOut]:
    query = DeliveryQuery(state=state, failing=failing, channel=channel or None, limit=SHOWN)
    return deliveries.list_deliveries(session, principal=principal, query=query)


# --- my notifications ------------------------------------------------------------------


@router.get(NOTIFICATIONS)
def notifications_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """My notifications, newest first; opening the page marks none of them read."""
    items = deliveries.notifications(session, principal=principal, limit=SHOWN)
    context = {
        "nav": "notifications",
        "items": items,
        "unread": sum(not n.read_at for n in items),
        "tz": _zone(session, principal),
    }
    return render(request, "notifications.html", context)


@router.post(f"{NOTIFICATIONS}/read")
def mark_all_read(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[FormModel, Form()]
) -> Response:
    """Mark every one of my notifications read."""
    check_csrf(request, form.csrf_token)
    deliveries.mark_read(session, principal=principal)
    return RedirectResponse(NOTIFICATIONS, status_code=303)


@router.post(f"{NOTIFICATIONS}/{{notification_id}}/open")
def open_notification(
    notification_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """Mark one of my notifications read and go to its incident."""
    check_csrf(request, form.csrf_token)
    found = deliveries.get_notification(
        session, principal=principal, notification_id=notification_id
    )
    deliveries.mark_read(session, principal=principal, ids=[found.id])
    return RedirectResponse(_local(found.path) or NOTIFICATIONS, status_code=303)


def _zone(session: Session, principal: Principal) -> str:
    """The time zone to show times in: my sites' when they share one, else UTC."""
    zones = {s.timezone for s in sites_service.visible(session, principal=principal)}
    return zones.pop() if len(zones) == 1 else "UTC"


def _local(path: str) -> str:
    """`path` if it is a path on this site (never another host), else ''."""
    ok = path.startswith("/") and not path.startswith(("//", "/\\"))
    return path if ok else ""


# --- acknowledging a page --------------------------------------------------------------


@router.get("/ack/{token}")
def ack_page(token: str, request: Request, session: SessionDep) -> Response:
    """What the link is about and one button; opening it acknowledges nothing (mail
    scanners follow links)."""
    try:
        link = paging.read_link(session, token=token)
    except MurphyError as exc:
        return _ack_problem(request, exc)
    return render(request, "ack.html", {"link": link})


@router.post("/ack/{token}")
def ack(token: str, request: Request, session: SessionDep) -> Response:
    """Acknowledge as the person the message was sent to (the signed link is the
    credential: no sign-in, no CSRF token to expire at 3 a.m.)."""
    try:
        link = paging.acknowledge_link(session, token=token)
    except MurphyError as exc:
        session.rollback()
        found = None
        if isinstance(exc, Conflict):
            found = paging.read_link(session, token=token)
        return _ack_problem(request, exc, found)
    return render(request, "ack.html", {"link": link, "done": True})


@router.post("/incidents/{number}/paging/acknowledge")
def acknowledge_from_incident(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """The incident page's "Acknowledge the page"; back to the incident, whose timeline
    says who acknowledged (also when someone was quicker: nothing is left to do)."""
    check_csrf(request, form.csrf_token)
    try:
        paging.acknowledge(session, principal=principal, number=number, via="web")
    except Conflict:
        session.rollback()
    return RedirectResponse(f"/incidents/{number}#timeline", status_code=303)


def _ack_problem(request: Request, exc: MurphyError, link: Any = None) -> Response:
    titles = {404: "This link is not valid", 410: "This link has expired", 409: "Nothing to do"}
    context = {
        "problem": exc.detail,
        "problem_title": titles.get(exc.status, "Not acknowledged"),
        "link": link,
    }
    return render(request, "ack.html", context, exc.status)


# --- how I am reached ------------------------------------------------------------------

REACH = "/settings/reach"
REACH_LABELS = {"quiet_start": "Quiet hours from", "quiet_end": "Quiet hours until"}
CHANNEL_LABELS = {c.value: CHANNELS[c.value] for c in PersonalChannel}


class MethodForm(FormModel):
    """Add a contact method."""

    channel: str = ""
    address: str = ""
    label: str = ""


@router.get(REACH)
def reach_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """My contact methods, and the channels per priority, quiet hours and hourly limit."""
    return _reach(request, session, principal)


@router.post(REACH)
async def save_reach(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Save the channels per priority, quiet hours and hourly limit."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    try:
        data = validated(
            PreferencesIn,
            REACH_LABELS,
            channels={p: form.getlist(f"p{p}") for p in range(1, 6)},
            quiet_start=str(form.get("quiet_start") or "") or None,
            quiet_end=str(form.get("quiet_end") or "") or None,
            timezone=str(form.get("timezone") or "UTC"),
            quiet_from=int(str(form.get("quiet_from") or 3)),
            hourly_limit=int(str(form.get("hourly_limit") or 10)),
        )
        preferences.put(session, principal=principal, data=data)
    except ValueError:  # a number field that is not one (the browser should not send it)
        return _reach(request, session, principal, error="Give whole numbers.", status=422)
    except MurphyError as exc:
        session.rollback()
        return _reach(request, session, principal, error=exc.detail, status=exc.status)
    return RedirectResponse(f"{REACH}?saved=1", status_code=303)


@router.post(f"{REACH}/methods")
def add_method(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[MethodForm, Form()],
) -> Response:
    """Add a way to reach me; a refusal keeps what was typed."""
    check_csrf(request, form.csrf_token)
    try:
        data = validated(
            ContactMethodIn,
            REACH_LABELS,
            channel=form.channel,
            address=form.address,
            label=form.label,
        )
        preferences.add_method(session, principal=principal, data=data)
    except MurphyError as exc:
        session.rollback()
        typed = {"channel": form.channel, "address": form.address, "label": form.label}
        return _reach(request, session, principal, error=exc.detail, typed=typed, status=exc.status)
    return RedirectResponse(f"{REACH}?saved=2", status_code=303)


@router.post(f"{REACH}/methods/{{method_id}}/remove")
def remove_method(
    method_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """Remove one of my contact methods."""
    check_csrf(request, form.csrf_token)
    preferences.remove_method(session, principal=principal, method_id=method_id)
    return RedirectResponse(f"{REACH}?saved=3", status_code=303)


SAVED = {"1": "Saved.", "2": "Added.", "3": "Removed."}


def _reach(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str = "",
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "nav": "notifications",
        "prefs": preferences.get(session, principal=principal),
        "channel_labels": CHANNEL_LABELS,
        "error": error,
        "typed": typed or {},
        "saved": SAVED.get(request.query_params.get("saved", ""), ""),
    }
    return render(request, "reach.html", context, status)
