"""Which past incidents the incident page calls similar: at least two shared words."""

from __future__ import annotations

from datetime import UTC, datetime

from murphy.incidents.schemas import Status
from murphy.incidents.similar import SimilarIncident, alike
from murphy.taxonomy.service import search_terms


def found(*titles: str) -> list[SimilarIncident]:
    at = datetime(2026, 11, 28, tzinfo=UTC)
    return [
        SimilarIncident(
            number=f"INC-2026-{i:05d}",
            title=t,
            status=Status.NEW,
            site="HQ",
            reported_at=at,
            type=None,
            score=1.0,
        )
        for i, t in enumerate(titles, 1)
    ]


def test_two_shared_words_make_an_incident_similar() -> None:
    terms = search_terms("Fire alarm, 3rd floor east wing")
    kept = alike(found("Intruder alarm, pharmacy", "Fire alarm on the 2nd floor"), terms)
    assert [k.title for k in kept] == ["Fire alarm on the 2nd floor"]


def test_longer_words_match_as_prefixes_as_the_search_does() -> None:
    terms = search_terms("Bicycle stolen from the racks")
    kept = alike(found("Bicycles stolen at the station", "Racks moved"), terms)
    assert [k.title for k in kept] == ["Bicycles stolen at the station"]


def test_a_one_word_report_needs_one_shared_word() -> None:
    assert [k.title for k in alike(found("Fire in bin", "Flood"), search_terms("Fire"))] == [
        "Fire in bin"
    ]
    assert alike(found("Fire in bin"), []) == []
