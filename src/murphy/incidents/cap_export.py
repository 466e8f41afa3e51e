"""An incident as an OASIS CAP 1.2 alert, for any system that reads CAP (a mass
notification platform, a neighbouring control room, a public warning gateway).

- identifier: the incident number and its version (``INC-2026-00042.v7``), unique for
  each state of the incident; sent: when it last changed.
- status: Exercise for an exercise, else Actual. msgType: Alert; Cancel for a cancelled
  incident, referring to the first state (``.v1``, sent when it was reported).
- scope: Restricted, "security operations": these are internal facts.
- info: the category from the type's category (Security unless it says fire, health,
  safety ...), the type's name as the event, urgency Immediate while open and Past once
  over, severity from the priority (P1 Extreme, P2 Severe, P3 Moderate, P4-P5 Minor),
  certainty Observed once someone responded, else Likely; headline, description, a
  link to the incident, and the site and place as the area.
"""

from __future__ import annotations

from datetime import UTC, datetime

from murphy.core import cap
from murphy.incidents.schemas import IncidentOut, Status

SEVERITY = {1: "Extreme", 2: "Severe", 3: "Moderate", 4: "Minor", 5: "Minor"}
CATEGORIES = (  # a word in the type's category or name → the CAP category
    ("fire", "Fire"),
    ("medical", "Health"),
    ("health", "Health"),
    ("safety", "Safety"),
    ("rescue", "Rescue"),
    ("environment", "Env"),
    ("weather", "Met"),
    ("infrastructure", "Infra"),
    ("facilit", "Infra"),
    ("transport", "Transport"),
    ("traffic", "Transport"),
    ("chemical", "CBRNE"),
    ("hazmat", "CBRNE"),
)
OVER = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED, Status.MERGED)


def document(out: IncidentOut, *, sender: str, link: str | None) -> bytes:
    """The CAP 1.2 document of an incident as the API shows it."""
    return cap.build(to_alert(out, sender=sender, link=link))


def to_alert(out: IncidentOut, *, sender: str, link: str | None) -> cap.Alert:
    """The CAP alert of an incident as the API shows it."""
    cancelled = out.status is Status.CANCELLED
    references: tuple[cap.Reference, ...] = ()
    if cancelled:
        references = (cap.Reference(sender, f"{out.number}.v1", _utc(out.reported_at)),)
    path = [p.lower() for p in (out.type.path if out.type else [])]
    category = next((c for word, c in CATEGORIES if any(word in p for p in path)), "Security")
    responded = out.responding is not None or out.status in (Status.RESOLVED, Status.CLOSED)
    place = out.place.label
    area = f"{out.site.name} ({out.site.code})" + (f": {place}" if place else "")
    info = cap.Info(
        language="en-US",
        category=(category,),
        event=out.type.name if out.type else "Unclassified incident",
        response_type=("AllClear",) if out.status in OVER else (),
        urgency="Past" if out.status in OVER else "Immediate",
        severity=SEVERITY.get(out.priority or 0, "Unknown"),
        certainty="Observed" if responded else "Likely",
        sender_name="Murphy security control room",
        headline=out.title,
        description=out.description or None,
        web=link,
        parameter=(
            cap.Pair("murphy:status", out.status.value),
            *([cap.Pair("murphy:priority", f"P{out.priority}")] if out.priority else []),
        ),
        area=(cap.Area(area_desc=area),),
    )
    return cap.Alert(
        identifier=f"{out.number}.v{out.version}",
        sender=sender,
        sent=_utc(out.updated_at),
        status="Exercise" if out.exercise else "Actual",
        msg_type="Cancel" if cancelled else "Alert",
        scope="Restricted",
        restriction="Security operations: not for the public",
        note=(out.cancel_reason or None) if cancelled else None,
        references=references,
        incidents=out.number,
        info=(info,),
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)
