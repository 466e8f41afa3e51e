"""`murphy retention ...` run as an operator would, in a subprocess on a real database:
the rules as a table, a change and its refusals, a dry run and a run, the runs, and the
export of a person's data to a file."""

from __future__ import annotations

import json
from pathlib import Path

from murphy import plugins
from murphy.core.db import Database
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate
from murphy.subjects import service as subjects_service
from murphy.subjects.schemas import LinkIn, PersonIn, SubjectRole
from murphy.users import service as users_service
from tests.integration.test_cli import org_cli, org_template  # noqa: F401 (fixtures)


def _person(url: str) -> int:
    db = Database(url)
    plugins.install(db)
    try:
        with db.transaction() as s:
            admin = users_service.principal(s, users_service.get(s, username="admin"))
            inc = incidents_service.report(
                s, principal=admin, data=IncidentCreate(title="Trespass at the dock", site="HQ")
            )
            link = LinkIn(person=PersonIn(name="Ivo Petrov"), role=SubjectRole.SUBJECT)
            return subjects_service.link(
                s, principal=admin, number=inc.number, data=link
            ).subject_id
    finally:
        db.dispose()


def test_rules_a_change_a_run_and_an_export(org_cli, tmp_path: Path) -> None:  # noqa: F811
    cli = org_cli
    code, out, err = cli("retention", "rules")
    assert code == 0, err
    assert "people" in out and "2555 days" in out and "anonymize" in out and "03:00 UTC" in out
    code, out, err = cli("retention", "set", "people", "--action", "delete")
    assert code == 1 and "people can only be set to anonymize" in err and "Traceback" not in err
    code, out, err = cli("retention", "set", "planets", "--days", "5")
    assert code == 1 and "unknown record type 'planets'" in err and "bolos" in err
    code, out, err = cli("retention", "set", "bolos", "--days", "30", "--off")
    assert code == 0 and "kept 30 days" in out and "is off" in out
    code, out, err = cli("retention", "rules")
    assert "bolos" in out and "off" in out and "admin" in out
    code, out, err = cli("retention", "run", "--dry-run")
    assert code == 0 and "0 records would change" in out
    code, out, err = cli("retention", "run")
    assert code == 0 and "0 records changed (run 1)" in out
    code, out, err = cli("retention", "runs")
    assert code == 0 and "admin" in out
    subject = _person(cli.url)
    target = tmp_path / "person.json"
    code, out, err = cli("retention", "export-person", str(subject), "--out", str(target))
    assert code == 0 and "1 incidents" in err, err
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["person"]["name"] == "Ivo Petrov" and data["exported_by"] == "admin"
    code, out, err = cli("retention", "export-person", "4242")
    assert code == 1 and "no person or vehicle record 4242" in err
