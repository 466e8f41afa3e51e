"""The demo's BOLOs: a few active notices so that the officers' phones, the board and
`/bolos` have something to show (no photos: the demo carries no pictures of people)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from murphy.bolos import service as bolos_service
from murphy.bolos.schemas import BoloIn, BoloKind
from murphy.demo.places import CAMPUS, DATACENTER, HOSPITAL
from murphy.users.schemas import Principal

NOTICES: list[tuple[timedelta, dict[str, object]]] = [
    (
        timedelta(days=5),
        {
            "kind": BoloKind.PERSON,
            "name": "unknown",
            "description": "Man, 30s, about 185 cm, dark beard, navy parka, grey rucksack",
            "reason": "Seen trying car doors in the visitor car park twice this week",
            "caution": "Do not approach. Call control.",
            "sites": [HOSPITAL],
        },
    ),
    (
        timedelta(days=14),
        {
            "kind": BoloKind.VEHICLE,
            "plate": "KX19 TPA",
            "description": "White Ford Transit van, roof ladder, no company markings",
            "reason": "Parked at the loading dock after hours; left when challenged",
            "sites": [CAMPUS],
        },
    ),
    (
        timedelta(days=30),
        {
            "kind": BoloKind.PERSON,
            "name": "Dean Maddox",
            "description": "Former contractor; tall, shaved head, often in a high-visibility vest",
            "reason": "Badge revoked; has tried to tailgate at the data hall doors",
            "caution": "Refuse entry; call the duty manager.",
            "sites": [DATACENTER, CAMPUS],
        },
    ),
]


def create_bolos(session: Session, principals: dict[str, Principal], now: datetime) -> None:
    """Issue the demo's active BOLOs, as the administrator."""
    admin = principals["admin"]
    for lasts, fields in NOTICES:
        data = BoloIn.model_validate({**fields, "expires_at": now + lasts})
        bolos_service.issue(session, principal=admin, data=data, now=now)
