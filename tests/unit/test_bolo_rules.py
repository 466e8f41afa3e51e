"""BOLO rules: plates shown as people read them, the expiry window, states at a given
time, the "expires in" wording, and what the timeline keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from murphy.bolos import rules
from murphy.bolos.schemas import BoloKind, BoloState
from murphy.core.errors import PreconditionFailed, ValidationFailed
from murphy.subjects.schemas import SubjectKind, SubjectOut

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [(" b-mr  4521 ", "B-MR 4521"), ("ab12cde", "AB12CDE"), ("m\tx 1", "M X 1")],
)
def test_plates_are_shown_upper_case_with_single_spaces(raw: str, shown: str) -> None:
    assert rules.plate_display(raw) == shown
    assert rules.check_identity(BoloKind.VEHICLE, "", raw) == ("", shown)


def test_a_vehicle_needs_a_sane_plate_a_person_may_be_unknown() -> None:
    with pytest.raises(ValidationFailed, match="needs the plate"):
        rules.check_identity(BoloKind.VEHICLE, "Silver Golf", "   ")
    with pytest.raises(ValidationFailed, match="characters a plate does not have"):
        rules.check_identity(BoloKind.VEHICLE, "", "AB<1>")
    assert rules.check_identity(BoloKind.PERSON, "  ", "AB 1") == ("unknown", "")
    assert rules.check_identity(BoloKind.PERSON, " Jo ", "") == ("Jo", "")


def test_the_expiry_is_in_the_future_and_at_most_a_year_ahead() -> None:
    rules.check_expiry(NOW + timedelta(minutes=1), NOW)
    rules.check_expiry(NOW + timedelta(days=365), NOW)
    with pytest.raises(ValidationFailed, match="in the future"):
        rules.check_expiry(NOW, NOW)
    with pytest.raises(ValidationFailed, match="at most 365 days"):
        rules.check_expiry(NOW + timedelta(days=365, seconds=1), NOW)


def test_site_codes_are_upper_case_without_repeats_and_at_least_one() -> None:
    assert rules.site_codes(["hq", "LAB", " HQ ", ""]) == ["HQ", "LAB"]
    with pytest.raises(ValidationFailed, match="at least one site"):
        rules.site_codes([" ", ""])


def test_state_at_a_time() -> None:
    ends = NOW + timedelta(hours=2)
    assert rules.state(None, ends, NOW) is BoloState.ACTIVE
    assert rules.state(None, ends, ends) is BoloState.EXPIRED
    assert rules.state(NOW, ends, NOW - timedelta(hours=1)) is BoloState.CANCELLED
    assert rules.ended_at(None, ends) == ends
    assert rules.ended_at(NOW, ends) == NOW


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=3, seconds=-2), "expires in 3 days"),
        (timedelta(hours=5), "expires in 5 hours"),
        (timedelta(hours=1), "expires in 1 hour"),
        (timedelta(minutes=45), "expires in 45 minutes"),
        (timedelta(seconds=10), "expires in 1 minute"),
        (timedelta(minutes=-5), "expired 5 minutes ago"),
        (timedelta(days=-10), "expired 10 days ago"),
    ],
)
def test_expires_in_words(delta: timedelta, words: str) -> None:
    assert rules.expires_phrase(NOW + delta, NOW, None) == words


def test_a_cancelled_notice_says_so() -> None:
    assert rules.expires_phrase(NOW + timedelta(days=1), NOW, NOW) == "cancelled"


def test_labels_and_timeline_data() -> None:
    assert rules.label("vehicle", "", "AB 1") == "AB 1"
    assert rules.label("person", "", "") == "Unknown person"
    assert rules.label("person", "Unknown", "") == "Unknown person"
    assert rules.label("vehicle", "silver Golf", "") == "silver Golf"
    data = rules.entry_data(7, "person", "Jo", "", ["HQ"], reason="theft")
    assert data == {"bolo": 7, "kind": "person", "label": "Jo", "sites": ["HQ"], "reason": "theft"}


def test_blanks_are_filled_from_the_record_never_with_the_birth_date() -> None:
    car = SubjectOut(
        id=3, kind=SubjectKind.VEHICLE, label="B-JW 2207", description="Smashed window",
        plate="B-JW 2207", make="Ford", model="Focus", colour="blue",
        created_at=NOW, created_by="dana", updated_at=NOW, version=1,
    )  # fmt: skip
    assert rules.prefilled("", "", "", car) == ("", "B-JW 2207", "Ford Focus, blue; Smashed window")
    assert rules.prefilled("", "AB 1", "as typed", car) == ("", "AB 1", "as typed")
    person = car.model_copy(
        update={"kind": SubjectKind.PERSON, "name": "Jo", "plate": None, "make": "", "model": "",
                "colour": "", "description": "", "birth_date": date(1990, 4, 1)}
    )  # fmt: skip
    assert rules.prefilled("", "", "", person) == ("Jo", "", "")
    assert rules.prefilled("Jo", "", "Red cap", None) == ("Jo", "", "Red cap")


def test_a_stale_version_is_refused() -> None:
    rules.check_version(1, 2, None)
    rules.check_version(1, 2, 2)
    with pytest.raises(PreconditionFailed, match="changed by someone else"):
        rules.check_version(1, 3, 2)
