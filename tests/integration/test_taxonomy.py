"""The taxonomy on a real database: packs, playbook versions, bad input, round trips,
suggestions and similar incidents."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from sqlalchemy import func, select, update

from murphy.core.db import Database
from murphy.core.errors import ValidationFailed
from murphy.incidents import similar
from murphy.incidents.models import Incident
from murphy.taxonomy import service, suggest
from murphy.taxonomy.models import IncidentType, Playbook
from murphy.taxonomy.schemas import StepIn, TypeCreate, TypeUpdate
from tests.factories import Factory


def _counts(db: Database) -> tuple[int, int]:
    with db.transaction(write=False) as s:
        types = s.scalar(select(func.count(IncidentType.id)))
        books = s.scalar(select(func.count(Playbook.id)))
    return int(types or 0), int(books or 0)


def _load(db: Database, name: str) -> service.LoadReport:
    with db.transaction() as s:
        return service.load_pack(s, name=name)


@pytest.mark.parametrize("name", service.PACKS)
def test_each_pack_loads(db: Database, name: str) -> None:
    report = _load(db, name)
    types, books = _counts(db)
    assert report.created == types > 15
    assert report.playbooks == books > 5
    with db.transaction(write=False) as s:
        roots = service.tree(s)
    assert roots and all(r.level == "category" and r.children for r in roots)


def test_all_three_load_together_and_a_second_load_changes_nothing(db: Database) -> None:
    first = [_load(db, name) for name in service.PACKS]
    after_first = _counts(db)
    assert after_first[0] == sum(r.created for r in first)
    second = [_load(db, name) for name in service.PACKS]
    assert _counts(db) == after_first
    assert all(r.created == r.updated == r.playbooks == 0 for r in second)
    assert sum(r.unchanged for r in second) == after_first[0]


def test_restricted_types_carry_their_clearance(db: Database) -> None:
    _load(db, "healthcare")
    _load(db, "corporate")
    with db.transaction(write=False) as s:
        assert service.get_or_raise(s, code="hc.safeguarding.sexual_assault").clearance
        assert service.get_or_raise(s, code="investigation.hr").clearance == "hr"
        assert service.get_or_raise(s, code="theft.vehicle").clearance is None


PACK_V1 = """
pack: mini
categories:
  - code: mini
    name: Mini
    children:
      - code: mini.fight
        name: Fight
        playbook:
          - {key: go, title: Go there, role: officer, within_minutes: 5}
"""


def test_a_playbook_edit_makes_a_new_version_and_keeps_the_old(db: Database) -> None:
    with db.transaction() as s:
        service.load_yaml(s, text=PACK_V1)
    v2 = PACK_V1 + "          - {key: cctv, title: Check CCTV, role: dispatcher}\n"
    with db.transaction() as s:
        report = service.load_yaml(s, text=v2)
    assert (report.updated, report.playbooks) == (0, 1)
    with db.transaction(write=False) as s:
        row = service.get_or_raise(s, code="mini.fight")
        books = s.scalars(select(Playbook).where(Playbook.type_id == row.id)).all()
        assert sorted((b.version, len(b.steps)) for b in books) == [(1, 1), (2, 2)]
        assert service.current_playbook(s, row.id).version == 2  # type: ignore[union-attr]


BAD_PACKS = {
    "cycle": (
        "pack: x\ntypes:\n  - {code: a, name: A}\n"
        "  - {code: b, name: B, parent: c}\n  - {code: c, name: C, parent: b}\n",
        "cycle",
    ),
    "duplicate": (
        "pack: x\ncategories:\n  - {code: a, name: A, children: [{code: a.b, name: B}]}\n"
        "  - {code: c, name: C, children: [{code: a.b, name: B2}]}\n",
        "duplicate type code 'a.b'",
    ),
    "too deep": (
        "pack: x\ntypes:\n  - {code: a, name: A}\n  - {code: b, name: B, parent: a}\n"
        "  - {code: c, name: C, parent: b}\n  - {code: d, name: D, parent: c}\n",
        "'d' is nested too deep",
    ),
    "unknown field": (
        "pack: x\ncategories:\n  - {code: a, name: A, required_fields: [weather]}\n",
        "type 'a'.*unknown required field",
    ),
    "later branch": (
        "pack: x\ncategories:\n  - code: a\n    name: A\n    playbook:\n"
        "      - {key: p, title: P, when: {step: q, answer: true}}\n"
        "      - {key: q, title: Q, question: 'Sure?'}\n",
        "playbook of 'a'.*depends on 'q'",
    ),
    "unknown branch": (
        "pack: x\ncategories:\n  - code: a\n    name: A\n    playbook:\n"
        "      - {key: p, title: P, when: {step: nope, answer: true}}\n",
        "depends on 'nope'",
    ),
    "bad yaml": ("pack: x\ncategories: [\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", BAD_PACKS)
def test_bad_input_is_a_clear_error_and_writes_nothing(db: Database, case: str) -> None:
    _load(db, "cyber")
    before = _counts(db)
    text, message = BAD_PACKS[case]
    # A good type comes first: it must not be written either.
    good = "  - {code: good, name: Good}\n"
    text = text.replace("categories:\n", "categories:\n" + good).replace(
        "types:\n", "types:\n" + good
    )
    with pytest.raises(ValidationFailed, match=message), db.transaction() as s:
        service.load_yaml(s, text=text)
    assert _counts(db) == before


def test_export_then_import_round_trips(db: Database) -> None:
    for name in service.PACKS:
        _load(db, name)
    with db.transaction(write=False) as s:
        exported = service.export(s)
        tree = service.tree(s)
    before = _counts(db)
    text = yaml.safe_dump(exported, sort_keys=False, allow_unicode=True)
    with db.transaction() as s:
        report = service.load_yaml(s, text=text)
    assert (report.created, report.updated, report.playbooks) == (0, 0, 0)
    assert _counts(db) == before
    with db.transaction(write=False) as s:
        assert service.tree(s) == tree
        assert service.export(s) == exported


def test_create_update_and_deactivate_one_type(db: Database) -> None:
    _load(db, "corporate")
    step = StepIn(key="look", title="Look")
    with db.transaction() as s:
        service.create(
            s, data=TypeCreate(code="theft.bike_parts", name="Bike parts", parent="theft")
        )
        service.update(s, code="theft.bike_parts", data=TypeUpdate(playbook=[step]))
        service.update(
            s,
            code="theft.bike_parts",
            data=TypeUpdate(playbook=[step, step.model_copy(update={"key": "ask"})]),
        )
    with db.transaction(write=False) as s:
        row = service.get_or_raise(s, code="theft.bike_parts")
        assert (row.level, row.pack) == ("type", "corporate")
        assert service.current_playbook(s, row.id).version == 2  # type: ignore[union-attr]
    with db.transaction() as s:
        service.update(s, code="theft", data=TypeUpdate(active=False))
    with db.transaction(write=False) as s:
        codes = {t.code for t in suggest.documents(s)}
        visible = {c.code for r in service.tree(s) for c in [r, *r.children]}
    assert "theft.bike_parts" not in codes and "theft.vehicle" not in codes
    assert "theft" not in visible and "theft.property" not in visible


def test_a_subtype_cannot_have_children(db: Database) -> None:
    _load(db, "corporate")
    with pytest.raises(ValidationFailed, match="too deep"), db.transaction() as s:
        service.create(s, data=TypeCreate(code="x.y", name="Y", parent="theft.vehicle.contents"))


# --- suggestions -------------------------------------------------------------------------

CLEAR_REPORTS = {
    "someone followed me through the turnstile without badging": "access.tailgating",
    "strong smell of gas in the kitchen on level 2": "safety.hazmat",
    "baby missing from maternity, code pink": "hc.patient.infant_abduction",
    "all files on the file server encrypted, ransom note asks for bitcoin": (
        "cyber.malicious.infected_system.ransomware"
    ),
    "got an email saying my password expires with a link to log in, looks fake": (
        "cyber.fraud.phishing"
    ),
}


def test_clear_reports_get_the_right_type(db: Database) -> None:
    for name in service.PACKS:
        _load(db, name)
    with db.transaction(write=False) as s:
        for text, wanted in CLEAR_REPORTS.items():
            found = suggest.suggest(s, text=text, limit=3)
            assert found[0].code == wanted, (text, [f.code for f in found])
            assert found[0].words


def test_the_model_follows_taxonomy_changes(db: Database) -> None:
    _load(db, "corporate")
    text = "the snorkel store room has been looted"
    with db.transaction(write=False) as s:
        assert all(f.code != "theft.snorkel" for f in suggest.suggest(s, text=text))
    with db.transaction() as s:
        service.create(
            s,
            data=TypeCreate(
                code="theft.snorkel", name="Snorkel theft", parent="theft", keywords=["snorkel"]
            ),
        )
    with db.transaction(write=False) as s:
        assert suggest.suggest(s, text=text)[0].code == "theft.snorkel"


def _classify(db: Database, number: str, code: str) -> None:
    """Test data: file an incident under a type (as triage would)."""
    with db.transaction() as s:
        kind = service.get_or_raise(s, code=code)
        s.execute(
            update(Incident)
            .where(Incident.number == number)
            .values(type_id=kind.id, clearance=kind.clearance)
        )


def test_similar_incidents_stay_in_the_callers_scope(db: Database, factory: Factory) -> None:
    _load(db, "corporate")
    factory.site("HQ")
    factory.site("LAB")
    admin = factory.user("root", "admin", all_sites=True)
    mine = factory.incident(admin, site="HQ", title="Catalytic converter cut from van")
    theirs = factory.incident(admin, site="LAB", title="Catalytic converter stolen from car")
    factory.incident(admin, site="HQ", title="Fire alarm in the kitchen")
    _classify(db, mine, "theft.vehicle.contents")
    hq_only = factory.user("disp", "dispatcher", ["HQ"])
    terms = suggest.search_terms("catalytic converter gone from a pool car")
    with db.transaction(write=False) as s:
        seen = similar.similar(s, principal=hq_only.principal, terms=terms)
        every = similar.similar(s, principal=admin.principal, terms=terms)
    assert [i.number for i in seen] == [mine]
    assert seen[0].type == "theft.vehicle.contents" and seen[0].site == "HQ"
    assert {i.number for i in every} == {mine, theirs}


def test_restricted_incidents_are_similar_only_for_the_cleared(
    db: Database, factory: Factory
) -> None:
    _load(db, "corporate")
    factory.site("HQ")
    admin = factory.user("root", "admin", all_sites=True)
    number = factory.incident(admin, title="Manager keeps making comments, harassment complaint")
    _classify(db, number, "investigation.hr.harassment")
    cleared = factory.user("hrlead", "supervisor", ["HQ"], clearances=["hr"])
    plain = factory.user("sup", "supervisor", ["HQ"])
    terms = suggest.search_terms("harassment complaint about a manager")
    with db.transaction(write=False) as s:
        assert [i.number for i in similar.similar(s, principal=cleared.principal, terms=terms)] == [
            number
        ]
        assert similar.similar(s, principal=plain.principal, terms=terms) == []


def test_classified_history_feeds_the_model(db: Database, factory: Factory) -> None:
    _load(db, "corporate")
    factory.site("HQ")
    admin = factory.user("root", "admin", all_sites=True)
    for n in range(3):
        number = factory.incident(admin, title=f"Quokka sighting number {n} near the pond")
        _classify(db, number, "suspicious.person")
    suggest.invalidate()
    with db.transaction(write=False) as s:
        assert len(similar.classified(s)) == 3
        found = suggest.suggest(s, text="another quokka at the pond", history=similar.classified)
    assert found[0].code == "suspicious.person"
    assert "quokka" in found[0].words


def test_cli_loads_lists_exports_and_evaluates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"MURPHY_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "murphy", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    assert run("db", "upgrade").returncode == 0
    loaded = run("taxonomy", "load", "healthcare")
    assert loaded.returncode == 0 and "created" in loaded.stdout
    again = run("taxonomy", "load", "healthcare")
    assert "0 created, 0 updated" in again.stdout and "0 new playbook versions" in again.stdout
    listed = run("taxonomy", "list")
    assert (
        "hc.patient.infant_abduction" in listed.stdout
        and "restricted: safeguarding" in listed.stdout
    )
    exported = run("taxonomy", "export", "--output", str(tmp_path / "out.yaml"))
    assert exported.returncode == 0
    assert yaml.safe_load((tmp_path / "out.yaml").read_text())["categories"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "pack: x\ntypes:\n  - {code: a, name: A, parent: b}\n  - {code: b, name: B, parent: a}\n"
    )
    failed = run("taxonomy", "load", str(bad))
    assert failed.returncode == 1 and "cycle" in failed.stderr
    evaluated = run("taxonomy", "evaluate")
    assert evaluated.returncode == 0 and "overall" in evaluated.stdout
