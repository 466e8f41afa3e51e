"""GET /api/v1/incidents/export and `murphy export incidents`: windows, scope, formats."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from murphy.core.db import Database
from murphy.incidents import export
from murphy.incidents.models import Incident
from tests.factories import Account, Factory

URL = "/api/v1/incidents/export"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _stamp(db: Database, number: str, at: datetime) -> None:
    """Pretend the incident last changed at `at`."""
    with db.transaction() as s:
        s.execute(update(Incident).where(Incident.number == number).values(updated_at=at))


def _classify(db: Database, number: str, code: str) -> None:
    """Give the incident a type (and its clearance) directly."""
    from murphy.taxonomy import service as taxonomy_service

    with db.transaction() as s:
        t = taxonomy_service.get_or_raise(s, code=code)
        s.execute(
            update(Incident)
            .where(Incident.number == number)
            .values(type_id=t.id, clearance=t.clearance)
        )


def _org(hq: Factory) -> tuple[Account, list[str]]:
    """An admin, and five incidents stamped T0, T0+1h (two), T0+2h at HQ and T0+1h at LAB."""
    admin = hq.user("ada", "admin", all_sites=True)
    numbers = [hq.incident(admin, title=f"Door {i}") for i in range(4)]
    numbers.append(hq.incident(admin, site="LAB", title="Lab door"))
    stamps = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    for number, at in zip(numbers, [*stamps, T0 + timedelta(hours=1)], strict=True):
        _stamp(hq.db, number, at)
    return admin, numbers


def _get(client: TestClient, account: Account, **params: str):  # type: ignore[no-untyped-def]
    return client.get(URL, params=params, headers=account.headers)


def test_csv_has_stable_header_rows_in_order_and_next_since(
    client: TestClient, hq: Factory
) -> None:
    admin, numbers = _org(hq)
    r = _get(
        client, admin, updated_since=T0.isoformat(), until=(T0 + timedelta(days=1)).isoformat()
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0].keys()) == list(export.COLUMNS)
    # by updated_at, then id: the two at T0+1h in report order, LAB's between
    assert [row["number"] for row in rows] == [
        numbers[0], numbers[1], numbers[2], numbers[4], numbers[3]
    ]  # fmt: skip
    assert rows[0]["site"] == "HQ" and rows[3]["site"] == "LAB"
    assert rows[0]["updated_at"] == "2026-11-01T12:00:00.000000Z"
    assert r.headers["murphy-next-updated-since"] == "2026-11-02T12:00:00.000000Z"


def test_since_is_inclusive_until_exclusive_and_windows_chain(
    client: TestClient, hq: Factory
) -> None:
    admin, numbers = _org(hq)
    one = T0 + timedelta(hours=1)
    first = _get(client, admin, updated_since=T0.isoformat(), until=one.isoformat(), format="json")
    assert [o["number"] for o in first.json()] == [numbers[0]]
    nxt = first.headers["murphy-next-updated-since"]
    second = _get(client, admin, updated_since=nxt, until=(T0 + timedelta(hours=3)).isoformat())
    got = [row["number"] for row in csv.DictReader(io.StringIO(second.text))]
    assert got == [numbers[1], numbers[2], numbers[4], numbers[3]]  # nothing lost, none twice


def test_site_filter_and_site_scope_and_clearance_do_not_leak(
    client: TestClient, hq: Factory
) -> None:
    admin, numbers = _org(hq)
    _classify(hq.db, numbers[1], "assault")  # restricted: clearance safeguarding
    sup = hq.user("sam", "supervisor", ["HQ"])
    until = (T0 + timedelta(days=1)).isoformat()
    r = _get(client, sup, updated_since=T0.isoformat(), until=until, format="ndjson")
    got = [json.loads(line)["number"] for line in r.text.splitlines()]
    assert got == [numbers[0], numbers[2], numbers[3]]  # not LAB's, not the assault
    only_lab = _get(client, admin, updated_since=T0.isoformat(), until=until, site="LAB")
    assert [row["number"] for row in csv.DictReader(io.StringIO(only_lab.text))] == [numbers[4]]
    hidden = _get(client, sup, updated_since=T0.isoformat(), until=until, site="LAB")
    assert hidden.status_code == 404


def test_naive_or_bad_instants_are_refused_with_a_problem(client: TestClient, hq: Factory) -> None:
    admin = hq.user("ada", "admin", all_sites=True)
    naive = _get(client, admin, updated_since="2026-11-01T12:00:00")
    assert naive.status_code == 422
    assert naive.headers["content-type"].startswith("application/problem+json")
    assert "offset" in naive.json()["detail"]
    assert _get(client, admin, updated_since="yesterday").status_code == 422
    assert _get(client, admin, updated_since=T0.isoformat(), format="xml").status_code == 422


def test_export_needs_the_reports_permission(client: TestClient, hq: Factory) -> None:
    officer = hq.user("olly", "officer", ["HQ"])
    r = _get(client, officer, updated_since=T0.isoformat())
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


def test_empty_window_is_a_valid_document(client: TestClient, hq: Factory) -> None:
    admin = hq.user("ada", "admin", all_sites=True)
    until = (T0 + timedelta(hours=1)).isoformat()
    assert (
        _get(client, admin, updated_since=T0.isoformat(), until=until, format="json").json() == []
    )
    r = _get(client, admin, updated_since=T0.isoformat(), until=until)
    assert r.text.strip() == ",".join(export.COLUMNS)


def test_cli_writes_the_file(hq: Factory, database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _admin, numbers = _org(hq)
    out = tmp_path / "changes.json"
    env = {**os.environ, "MURPHY_DATABASE_URL": database_url, "MURPHY_CLI_USER": "ada"}
    args = ["export", "incidents", "--updated-since", "2026-11-01T13:00:00+01:00"]
    args += ["--until", "2026-11-01T14:00:00Z", "--format", "json", "--out", str(out)]
    p = subprocess.run(
        [sys.executable, "-m", "murphy", *args], capture_output=True, text=True, env=env
    )
    assert p.returncode == 0, p.stderr
    assert [o["number"] for o in json.loads(out.read_text())] == [
        numbers[0], numbers[1], numbers[2], numbers[4]
    ]  # fmt: skip
    assert "2026-11-01T14:00:00.000000Z" in p.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "murphy", "export", "incidents", "--updated-since", "2026-11-01",
         "--out", str(out)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert bad.returncode == 1 and "offset" in bad.stderr
