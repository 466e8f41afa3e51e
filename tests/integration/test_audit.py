"""`murphy audit verify` catches rows altered behind the application's back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from murphy.incidents import audit, triage
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import ClassifyIn, IncidentUpdate, NoteIn, TransitionIn


@pytest.fixture
def history(db, factory):
    factory.taxonomy()
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    numbers = [factory.incident(dana, title=f"Incident {i}") for i in range(3)]
    with db.transaction() as s:
        p = dana.principal
        triage.classify(s, principal=p, number=numbers[0], data=ClassifyIn(type="theft"))
        incidents_service.transition(
            s, principal=p, number=numbers[0], data=TransitionIn(to="triaged")
        )
        incidents_service.add_note(s, principal=p, number=numbers[0], data=NoteIn(body="on it"))
        incidents_service.update(
            s, principal=p, number=numbers[1], data=IncidentUpdate(title="Renamed")
        )
    return numbers


def verify(db):
    with db.transaction(write=False) as s:
        return audit.verify(s)


def execute(db, sql, **params):
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_untouched_history_verifies(db, history):
    report = verify(db)
    assert report.ok, report.problems
    assert report.incidents == 3 and report.entries == 7


def test_altered_note_is_named(db, history):
    execute(
        db,
        "UPDATE timeline_entries SET data = :d WHERE seq = 3 AND incident_id = "
        "(SELECT id FROM incidents WHERE number = :n)",
        d='{"body": "nothing to see"}',
        n=history[0],
    )
    report = verify(db)
    assert not report.ok
    first = report.problems[0]
    assert (first.number, first.seq) == (history[0], 3)
    assert "altered" in first.reason


def test_deleted_last_entry_is_found(db, history):
    execute(
        db,
        "DELETE FROM timeline_entries WHERE seq = 2 AND incident_id = "
        "(SELECT id FROM incidents WHERE number = :n)",
        n=history[1],
    )
    report = verify(db)
    assert [p.number for p in report.problems] == [history[1]]


def test_altered_incident_row_is_found_by_replay(db, history):
    execute(db, "UPDATE incidents SET status = 'closed' WHERE number = :n", n=history[2])
    report = verify(db)
    assert [p.number for p in report.problems] == [history[2]]
    assert "status" in report.problems[0].reason


def test_rewritten_chain_without_head_is_found(db, history):
    # An attacker who recomputes an entry's own hash still breaks the next link or the head.
    execute(
        db,
        "UPDATE timeline_entries SET hash = :h WHERE seq = 1 AND incident_id = "
        "(SELECT id FROM incidents WHERE number = :n)",
        h="f" * 64,
        n=history[0],
    )
    assert verify(db).problems[0].number == history[0]


def test_altered_type_or_priority_is_found_by_replay(db, history):
    execute(db, "UPDATE incidents SET priority = 1 WHERE number = :n", n=history[0])
    execute(db, "UPDATE incidents SET type_id = NULL WHERE number = :n", n=history[0])
    report = verify(db)
    assert [p.number for p in report.problems] == [history[0]]
    assert "type" in report.problems[0].reason and "priority" in report.problems[0].reason
