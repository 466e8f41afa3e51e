"""The demo's on-call schedules, so that the on-call page shows something real: the
control room's duty supervisor (a weekly rotation handed over on Mondays at 08:00 London
time) and the GSOC's on-call dispatcher (a day and a night rotation, twelve hours each,
as the dispatchers' shifts run), with one swap arranged for the day after tomorrow."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from murphy.demo.people import GSOC_TZ
from murphy.oncall import service as oncall_service
from murphy.oncall.schemas import LayerIn, OverrideIn, ScheduleIn, WindowIn
from murphy.users.schemas import Principal

SUPERVISORS = "Control room supervisor"
SOC = "SOC on-call dispatcher"
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def create_schedules(session: Session, principals: dict[str, Principal], now: datetime) -> int:
    """Add the demo schedules (those not there yet) and a swap; returns how many made."""
    admin = principals["admin"]
    known = {s.name for s in oncall_service.list_schedules(session, principal=admin, at=now)}
    made = 0
    for data in schedules(now):
        if data.name not in known:
            oncall_service.create(session, principal=admin, data=data, now=now)
            made += 1
    if made:
        _swap(session, principals["niall.fraser"], now)
    return made


def schedules(now: datetime) -> list[ScheduleIn]:
    """The two schedules, their rotations started some weeks before `now`."""
    today = now.astimezone(ZoneInfo(GSOC_TZ)).date()
    monday = today - timedelta(days=today.weekday() + 14)
    return [
        ScheduleIn(
            name=SUPERVISORS,
            description="Duty supervisor of the GSOC control room; weekly, handover Monday 08:00.",
            timezone=GSOC_TZ,
            layers=[
                _layer(
                    "weekly",
                    ["niall.fraser", "fiona.mcallister", "pieter.janssen"],
                    monday,
                    "08:00",
                    7,
                )
            ],
        ),
        ScheduleIn(
            name=SOC,
            description="First call for alarms the sites' desks pass on: days 07-19, nights 19-07.",
            timezone=GSOC_TZ,
            layers=[
                _layer("days", ["priya.raman", "grace.adeyemi"], monday, "07:00", 1, "07:00"),
                _layer("nights", ["tomasz.nowak", "liam.oconnell"], monday, "19:00", 1, "19:00"),
            ],
        ),
    ]


def _layer(
    name: str,
    people: list[str],
    start: date,
    handoff: str,
    days: int,
    window: str | None = None,
) -> LayerIn:
    """A rotation of `days`-day turns; with `window`, on call only from then for twelve
    hours each day."""
    restrictions = []
    if window is not None:
        end = datetime.combine(start, time.fromisoformat(window)) + timedelta(hours=12)
        restrictions = [WindowIn(days=EVERY_DAY, start=window, end=f"{end:%H:%M}")]
    return LayerIn(
        name=name,
        participants=people,
        start_date=start,
        handoff=handoff,
        length=days,
        unit="days",
        restrictions=restrictions,
    )


def _swap(session: Session, supervisor: Principal, now: datetime) -> None:
    """Grace covers the day shift of the day after tomorrow."""
    zone = ZoneInfo(GSOC_TZ)
    day = now.astimezone(zone).date() + timedelta(days=2)
    start = datetime.combine(day, time(7), zone)
    data = OverrideIn(
        user="grace.adeyemi",
        start=start,
        end=start + timedelta(hours=12),
        reason="Swapped with Priya (training day)",
    )
    oncall_service.add_override(session, principal=supervisor, ref=SOC, data=data, now=now)
