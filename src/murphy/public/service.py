"""Use cases of public reporting: report without an account, then follow up by code.

A public report is an ordinary incident (channel `public`) made as the system account
`public` (a reporter of every site nobody can sign in as), with an optional contact and
photos (checked, and stripped of their metadata unless the reporter agreed to keep it).
The reporter gets a follow-up code, shown once; with it they see the status and what
they sent, and add information: never internal notes, never other incidents.
"""

from __future__ import annotations

import base64
import binascii
import builtins
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import NotFound, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Channel, IncidentCreate, NoteIn
from murphy.public import rules
from murphy.public.models import FollowUp
from murphy.public.schemas import (
    Addition,
    AdditionIn,
    PhotoIn,
    PublicReportIn,
    PublicReportOut,
    PublicSite,
    PublicStatusOut,
)
from murphy.sites import service as sites_service
from murphy.sites.schemas import PlaceIn
from murphy.users import service as users_service

MAX_PHOTO_BYTES = incidents_service.MAX_PHOTO_BYTES
MAX_PHOTOS = incidents_service.MAX_PHOTOS
STATUS_PATH = "/report/status"
OPEN = frozenset({"new", "triaged", "responding"})
Photo = tuple[str, bytes]  # (file name, raw bytes) as uploaded


def sites(session: Session) -> builtins.list[PublicSite]:
    """The sites a report can be made for."""
    return [PublicSite(code=s.code, name=s.name) for s in sites_service.list(session)]


def decode_photos(photos: Sequence[PhotoIn]) -> builtins.list[Photo]:
    """The bytes of base64-encoded photos (the JSON API)."""
    out = []
    for i, p in enumerate(photos, 1):
        try:
            out.append((p.filename, base64.b64decode(p.data, validate=True)))
        except (binascii.Error, ValueError):
            raise ValidationFailed(f"photo {i} ({p.filename}): data is not valid base64") from None
    return out


def report(
    session: Session,
    *,
    data: PublicReportIn,
    photos: Sequence[Photo] = (),
    now: datetime | None = None,
) -> PublicReportOut:
    """Record a public report with its photos; the follow-up code (shown only now)."""
    cleaned = incidents_service.clean_photos(photos, keep_location=data.keep_location)
    now = now or utcnow()
    principal = users_service.public_principal(session)
    incident = incidents_service.report(
        session,
        principal=principal,
        data=IncidentCreate(
            title=data.title,
            description=data.description,
            site=data.site,
            place=PlaceIn(detail=data.where) if data.where else None,
            occurred_at=data.occurred_at,
            contact=data.contact,
        ),
        channel=Channel.PUBLIC,
        now=now,
    )
    stored = incidents_service.get(session, incident_id=incident.id)  # as the session tracks it
    incidents_service.attach_photos(
        session, principal=principal, incident=stored, photos=cleaned, now=now
    )
    code = rules.new_code()
    session.add(
        FollowUp(
            incident_id=incident.id,
            code_hash=rules.code_hash(rules.normalize(code)),
            created_at=now,
        )
    )
    session.flush()
    return PublicReportOut(
        number=incident.number, code=code, status_url=STATUS_PATH, photos=len(cleaned)
    )


def status(session: Session, *, code: str, now: datetime | None = None) -> PublicStatusOut:
    """What the holder of `code` may know of their report."""
    follow = _follow_up(session, code)
    follow.last_seen_at = now or utcnow()
    return _status(session, follow)


def add(
    session: Session,
    *,
    data: AdditionIn,
    photos: Sequence[Photo] = (),
    now: datetime | None = None,
) -> PublicStatusOut:
    """Add text and photos to an open report, by its code."""
    if not data.text and not photos:
        raise ValidationFailed("write what you want to add, or attach a photo")
    follow = _follow_up(session, data.code)
    cleaned = incidents_service.clean_photos(photos, keep_location=data.keep_location)
    now = now or utcnow()
    principal = users_service.public_principal(session)
    incident = incidents_service.get(session, incident_id=follow.incident_id)
    if incident.status not in OPEN:
        label, _ = rules.public_status(incident.status)
        raise ValidationFailed(
            f"this report is {label.lower()}: nothing can be added to it any more;"
            " make a new report if something happened again"
        )
    if data.text:
        incidents_service.add_note(
            session,
            principal=principal,
            number=incident.number,
            data=NoteIn(body=data.text),
            now=now,
        )
    incidents_service.attach_photos(
        session, principal=principal, incident=incident, photos=cleaned, now=now
    )
    follow.last_seen_at = now
    return _status(session, follow)


# --- internals -----------------------------------------------------------------------


def _follow_up(session: Session, code: str) -> FollowUp:
    wanted = rules.code_hash(rules.normalize(code))
    follow = session.scalar(select(FollowUp).where(FollowUp.code_hash == wanted))
    if follow is None:
        raise NotFound("no report has this follow-up code: check what you typed")
    return follow


def _status(session: Session, follow: FollowUp) -> PublicStatusOut:
    incident = incidents_service.get(session, incident_id=follow.incident_id)
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    label, explanation = rules.public_status(incident.status)
    title, sent = "", []
    for entry in incidents_service.entries(session, incident_id=incident.id):
        if entry.actor != users_service.PUBLIC_ACCOUNT:
            continue  # only what the reporter sent: nothing of the control room's work
        if entry.kind == "created":  # their own words, even if the title was edited since
            title = str(entry.data.get("title", ""))
            text = "\n\n".join(x for x in (title, str(entry.data.get("description", ""))) if x)
            sent.append(Addition(at=entry.at, text=text, photos=0))
        elif entry.kind == "note":
            sent.append(Addition(at=entry.at, text=str(entry.data.get("body", "")), photos=0))
        elif entry.kind == "photos":
            count = len(entry.data.get("photos", []))
            if sent and sent[-1].at == entry.at:  # sent together with that text
                sent[-1] = sent[-1].model_copy(update={"photos": sent[-1].photos + count})
            else:
                sent.append(Addition(at=entry.at, text="", photos=count))
    return PublicStatusOut(
        number=incident.number,
        title=title,
        site=site.name,
        timezone=site.timezone,
        reported_at=incident.reported_at,
        status=label,
        explanation=explanation,
        updated_at=incident.updated_at,
        open=incident.status in OPEN,
        sent=sent,
    )
