"""The default retention periods and what each record type allows. Pure: no session, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from murphy.core.errors import ValidationFailed
from murphy.retention.schemas import Action, RecordType

R, A = RecordType, Action
RUN_HOUR = 3  # the daily run, UTC


@dataclass(frozen=True)
class Default:
    """A record type's default rule and how it is applied."""

    label: str
    counted_from: str
    days: int
    action: Action
    actions: tuple[Action, ...]


DEFAULTS: dict[RecordType, Default] = {
    R.PEOPLE: Default(
        "Person records",
        "the last incident they are in is closed or cancelled (or the record made, if in none)",
        7 * 365,
        A.ANONYMIZE,
        (A.ANONYMIZE,),
    ),
    R.VEHICLES: Default(
        "Vehicle records",
        "the last incident they are in is closed or cancelled (or the record made, if in none)",
        3 * 365,
        A.ANONYMIZE,
        (A.ANONYMIZE,),
    ),
    R.STATEMENTS: Default(
        "Statements", "their incident is closed or cancelled", 7 * 365, A.ANONYMIZE, (A.ANONYMIZE,)
    ),
    R.EVIDENCE_FILES: Default(
        "Evidence files", "their incident is closed or cancelled", 7 * 365, A.DELETE, (A.DELETE,)
    ),
    R.REPORTER_CONTACTS: Default(
        "Reporters' contact details",
        "their incident is closed or cancelled",
        365,
        A.DELETE,
        (A.DELETE,),
    ),
    R.REPORT_PHOTOS: Default(
        "Photos sent with reports",
        "their incident is closed or cancelled",
        3 * 365,
        A.DELETE,
        (A.DELETE,),
    ),
    R.PERSON_VIEWS: Default(
        "Log of views of person records", "the view", 2 * 365, A.DELETE, (A.DELETE,)
    ),
    R.BANS: Default(
        "Bans and trespass notices", "the ban ends or is lifted", 365, A.DELETE, (A.DELETE,)
    ),
    R.BOLOS: Default("BOLOs", "the BOLO expires or is cancelled", 90, A.DELETE, (A.DELETE,)),
}

ANONYMIZED_PERSON = "Anonymized person"
REMOVED = "[removed under the retention policy]"


def parse_type(value: str) -> RecordType:
    """The record type named `value`, or an error listing those there are."""
    try:
        return RecordType(value.strip().lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(t.value for t in RecordType)
        raise ValidationFailed(f"unknown record type {value!r}: choose one of {names}") from None


def check_action(record_type: RecordType, action: Action) -> None:
    """Refuse an action the record type does not allow (a person record is never deleted:
    its links carry the incidents' statistics)."""
    allowed = DEFAULTS[record_type].actions
    if action not in allowed:
        names = " or ".join(a.value for a in allowed)
        raise ValidationFailed(
            f"{record_type.value} can only be set to {names}, not {action.value}"
        )


def cutoff(now: datetime, days: int) -> datetime:
    """Records whose period started before this instant are due."""
    return now - timedelta(days=days)


def next_run(now: datetime) -> datetime:
    """The next daily run after `now`: RUN_HOUR UTC today, or tomorrow if that has passed."""
    today = datetime.combine(now.astimezone(UTC).date(), time(RUN_HOUR), tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)
