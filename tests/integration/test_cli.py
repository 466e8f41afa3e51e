"""The `murphy` command, run as an operator would: real database, one-line errors."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from murphy.cli import common

MURPHY = [sys.executable, "-m", "murphy"]


@pytest.fixture
def cli(tmp_path):
    """Run `murphy ...` in a subprocess against a fresh SQLite file; returns (code, out, err)."""
    return _runner(tmp_path / "cli.db")


@pytest.fixture(scope="module")
def org_template(tmp_path_factory):
    """A database file with a site, a zone, an admin and a token, made once per module."""
    path = tmp_path_factory.mktemp("org") / "org.db"
    run = _runner(path)
    token = setup_org(run)
    return path, token


@pytest.fixture
def org_cli(tmp_path, org_template):
    """A runner on a private copy of the set-up database."""
    path, token = org_template
    shutil.copy(path, tmp_path / "org.db")
    run = _runner(tmp_path / "org.db")
    run.token = token  # type: ignore[attr-defined]
    return run


def _runner(path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{path}"
    env = {**os.environ, "MURPHY_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        p = subprocess.run(
            [*MURPHY, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
        )
        return p.returncode, p.stdout, p.stderr

    run.url = url  # type: ignore[attr-defined]
    run.env = env  # type: ignore[attr-defined]
    return run


def setup_org(cli) -> str:
    assert cli("db", "upgrade")[0] == 0
    assert cli("site", "add", "HQ", "--name", "Head office", "--timezone", "Europe/Berlin")[0] == 0
    assert cli("site", "zone", "HQ", "DOCK", "--name", "Loading dock")[0] == 0
    code, out, err = cli(
        "user", "add", "admin", "--role", "admin", "--password-stdin", stdin="a-long-password-1\n"
    )
    assert code == 0, err
    code, out, err = cli("token", "create", "admin")
    assert code == 0, err
    return out.strip().splitlines()[-1]


def test_operator_flow(org_cli):
    cli, token = org_cli, org_cli.token
    assert re.fullmatch(r"mur_[A-Za-z0-9_-]{40,}", token), "the token is the last line"
    code, out, err = cli(
        "report", "--site", "HQ", "--title", "Door forced at dock", "--zone", "DOCK"
    )
    assert code == 0, err
    number = re.search(r"INC-\d{4}-\d{5}", out).group(0)
    code, out, _ = cli("incidents", "list")
    assert code == 0 and number in out and "Door forced at dock" in out
    code, out, _ = cli("incidents", "show", number)
    assert code == 0 and "created" in out and "chain head" in out
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "OK" in out
    code, out, _ = cli("user", "list")
    assert code == 0 and "admin" in out
    code, out, _ = cli("db", "check")
    assert code == 0 and "no drift" in out


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (
            ("site", "add", "HQ", "--name", "Again", "--timezone", "Europe/Berlin"),
            None,
            "already exists",
        ),
        (
            ("site", "add", "XX", "--name", "X", "--timezone", "Mars/Olympus"),
            None,
            "unknown time zone",
        ),
        (
            ("site", "add", "bad code!", "--name", "X", "--timezone", "UTC"),
            None,
            "invalid site code",
        ),
        (
            ("user", "add", "bob", "--role", "boss", "--password-stdin"),
            "a-long-password-1\n",
            "unknown role",
        ),
        (
            ("user", "add", "bob", "--role", "officer", "--site", "ZZ", "--password-stdin"),
            "a-long-password-1\n",
            "unknown site",
        ),
        (
            ("user", "add", "bob", "--role", "officer", "--site", "HQ", "--password-stdin"),
            "short\n",
            "too short",
        ),
        (("token", "create", "nobody"), None, "no user named"),
        (("report", "--site", "ZZ", "--title", "x"), None, "unknown site"),
        (("report", "--site", "HQ", "--title", "x", "--as", "ghost"), None, "no active user"),
        (("incidents", "show", "INC-2026-99999"), None, "no incident"),
        (("incidents", "list", "--status", "open"), None, "open"),
    ],
)
def test_bad_arguments_give_one_line_and_nonzero(org_cli, args, stdin, fragment):
    cli = org_cli
    code, out, err = cli(*args, stdin=stdin)
    assert code != 0
    assert fragment in (out + err)
    assert "Traceback" not in out + err


def test_unmigrated_database_is_explained(cli):
    code, _, err = cli("incidents", "list")
    assert code == 1 and "murphy db upgrade" in err and "Traceback" not in err


def test_bad_database_url_is_one_line(cli):
    env = {**cli.env, "MURPHY_DATABASE_URL": "mysql://x"}
    p = subprocess.run(
        [*MURPHY, "db", "upgrade"], capture_output=True, text=True, env=env, timeout=60
    )
    assert p.returncode == 1 and "MURPHY_DATABASE_URL" in p.stderr and "Traceback" not in p.stderr


def test_unreachable_postgres_is_one_line(cli):
    env = {**cli.env, "MURPHY_DATABASE_URL": "postgresql+psycopg://x:y@127.0.0.1:1/none"}
    p = subprocess.run(
        [*MURPHY, "db", "upgrade"], capture_output=True, text=True, env=env, timeout=60
    )
    assert (
        p.returncode == 1 and "cannot use the database" in p.stderr and "Traceback" not in p.stderr
    )


def test_audit_verify_fails_on_tampering(org_cli):
    cli = org_cli
    cli("report", "--site", "HQ", "--title", "Original title")
    import sqlite3

    path = cli.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute('UPDATE timeline_entries SET data = \'{"title": "Edited"}\'')
    code, _, err = cli("audit", "verify")
    assert code == 1
    assert "INC-" in err and "entry 1" in err


def test_typer_runner_in_process(tmp_path, monkeypatch):
    """The app object also works in-process (for embedding and quick checks)."""
    monkeypatch.setenv("MURPHY_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    common.settings.cache_clear()
    common.database.cache_clear()
    from murphy.cli import app

    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "upgraded" in result.output
    common.settings.cache_clear()
    common.database.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_empty_database_creates_admin_once(cli, tmp_path: Path):
    port = _free_port()
    env = {**cli.env, "MURPHY_PORT": str(port)}
    proc = subprocess.Popen(
        [*MURPHY, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline, "server did not answer /healthz"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/incidents").status_code == 401
    finally:
        proc.terminate()
        out = proc.communicate(timeout=15)[0]
    assert "administrator was created" in out
    password = re.search(r"admin\s*│\s*(\S+)\s*│", out).group(1)
    from murphy.core.db import Database
    from murphy.users import service as users_service

    db = Database(cli.url)
    with db.transaction() as s:
        assert (
            users_service.authenticate_password(s, username="admin", password=password) is not None
        )
    db.dispose()
    proc = subprocess.Popen(
        [*MURPHY, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    time.sleep(3)
    proc.terminate()
    again = proc.communicate(timeout=15)[0]
    assert "administrator was created" not in again, "the password is shown only once"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("site", "add"), "Missing argument"),
        (("incidents", "list", "--limit", "abc"), "--limit"),
        (("frobnicate",), "No such command"),
    ],
)
def test_malformed_command_line_is_one_line_with_exit_2(cli, args, fragment):
    code, out, err = cli(*args)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0] and "--help" in lines[0]
    assert out == ""


def test_clearances_from_the_command_line(org_cli):
    cli = org_cli
    code, out, err = cli(
        "user",
        "add",
        "sam",
        "--role",
        "supervisor",
        "--site",
        "HQ",
        "--clearance",
        "hr",
        "--password-stdin",
        stdin="a-long-password-1\n",
    )
    assert code == 0, err
    code, out, _ = cli("user", "clearance", "sam", "--grant", "safeguarding", "--revoke", "hr")
    assert code == 0 and "safeguarding" in out and "hr" not in out.split("holds:")[1]
    code, _, err = cli("user", "clearance", "sam", "--grant", "no spaces!")
    assert code == 1 and "invalid clearance" in err


def test_sources_from_the_command_line(org_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mapping = tmp_path / "panel.yaml"
    mapping.write_text('title: "{event} at {door}"\nfingerprint: [device]\n', encoding="utf-8")
    code, out, err = org_cli(
        "source",
        "add",
        "panel",
        "--name",
        "HQ panel",
        "--site",
        "HQ",
        "--mapping",
        str(mapping),
        "--as",
        "admin",
    )
    assert code == 0, err
    token = re.search(r"(msig_[A-Za-z0-9_-]+)", out)
    assert token and "shown once" in out
    code, out, err = org_cli("source", "list", "--as", "admin")
    assert code == 0 and "panel" in out and "HQ panel" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text('title: "{oops"\n', encoding="utf-8")
    code, out, err = org_cli("source", "mapping", "panel", "--mapping", str(bad), "--as", "admin")
    assert code != 0 and "title" in (out + err) and "Traceback" not in err
    code, out, err = org_cli("source", "rotate", "panel", "--as", "admin")
    assert code == 0 and token.group(1) not in out and "msig_" in out
    code, out, err = org_cli("source", "off", "panel", "--as", "admin")
    assert code == 0 and "off" in out


def test_a_floor_plan_from_the_command_line(org_cli, tmp_path):
    from murphy.demo.plans import layout, png

    cli = org_cli
    assert cli("site", "building", "HQ", "A", "--name", "Building A")[0] == 0
    assert cli("site", "floor", "HQ", "A", "1", "--name", "Floor 1")[0] == 0
    plan = tmp_path / "a1.png"
    plan.write_bytes(png(layout(2)))
    code, out, err = cli("site", "plan", "HQ", "A", "1", str(plan))
    assert code == 0, err
    assert "1400×800 pixels" in out and "/admin/places" in out
    text = tmp_path / "plan.png"
    text.write_text("not a picture")
    code, out, err = cli("site", "plan", "HQ", "A", "1", str(text))
    assert code != 0 and "not a JPEG, PNG or WebP" in err + out
    code, out, err = cli("site", "plan", "HQ", "A", "9", str(plan))
    assert code != 0 and "no floor A/9" in err + out


def test_on_call_from_the_command_line(org_cli, tmp_path):
    cli = org_cli
    for name in ("sam", "kim"):
        code, _, err = cli(
            "user", "add", name, "--role", "supervisor", "--all-sites", "--password-stdin",
            stdin="a-long-password-1\n",
        )  # fmt: skip
        assert code == 0, err
    plan = tmp_path / "sup.yaml"
    plan.write_text(
        "name: Supervisors\ntimezone: Europe/Berlin\nlayers:\n"
        "  - participants: [sam, kim]\n    start_date: 2026-10-19\n    handoff: '08:00'\n"
        "    length: 7\n    unit: days\n"
    )
    code, out, err = cli("oncall", "set", str(plan), "--as", "admin")
    assert code == 0, err
    assert "schedule 1 added: Supervisors" in out
    code, out, err = cli(
        "oncall", "now", "Supervisors", "--at", "2026-10-25T12:00+01:00", "--as", "admin"
    )
    assert code == 0, err
    assert "sam" in out and "2026-10-26 07:00 UTC" in out  # handover 08:00 CET after the change
    code, out, err = cli(
        "oncall",
        "shifts",
        "Supervisors",
        "--start",
        "2026-10-19T08:00+02:00",
        "--days",
        "14",
        "--as",
        "admin",
    )
    assert code == 0, err
    assert out.count("layer 1") == 2
    code, _, err = cli("oncall", "now", "--at", "2026-10-25T12:00", "--as", "admin")
    assert code == 1 and "offset" in err  # a naive time is refused with what to add
    ics = tmp_path / "sam.ics"
    code, out, err = cli("oncall", "calendar", "sam", "-o", str(ics), "--as", "admin")
    assert code == 0, err
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    plan.write_text("name: Broken\ntimezone: Mars/Olympus\nlayers: []\n")
    code, _, err = cli("oncall", "set", str(plan), "--as", "admin")
    assert code != 0 and "layers" in err
