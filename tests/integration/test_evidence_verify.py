"""`murphy evidence verify` on a real database file and blob store: every file matches
after upload; a file changed on disk, one deleted and a record altered in the database are
each reported, and the command exits 1 naming them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import update

from murphy import migrations, plugins
from murphy.core.blobs import LocalBlobStore
from murphy.core.db import Database
from murphy.evidence import intake
from murphy.evidence import service as evidence_service
from murphy.evidence.models import Evidence
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate
from murphy.sites import service as sites_service
from murphy.sites.schemas import SiteIn
from murphy.users import service as users_service
from murphy.users.schemas import Role, UserIn

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200)) * 20


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 1000):
        yield data[i : i + 1000]


def _setup(tmp_path: Path) -> tuple[str, LocalBlobStore, list[int]]:
    url = f"sqlite:///{tmp_path / 'ev.db'}"
    db = Database(url, pool_size=1)
    migrations.upgrade(db)
    plugins.install(db)
    store = LocalBlobStore(tmp_path / "blobs")
    ids = []
    with db.transaction() as s:
        sites_service.create(s, data=SiteIn(code="HQ", name="HQ", timezone="UTC"))
        user = users_service.create(
            s,
            data=UserIn(
                username="olga",
                display_name="Olga",
                role=Role.SUPERVISOR,
                all_sites=True,
                password="correct horse battery staple",
            ),
        )
        who = users_service.principal(s, user)
        number = incidents_service.report(
            s, principal=who, data=IncidentCreate(title="Van broken into", site="HQ")
        ).number
    for i in range(3):
        body = PNG + bytes([i])
        stored = asyncio.run(intake.receive(_chunks(body), store, "image/png"))
        with db.transaction() as s:
            out = evidence_service.add_file(
                s,
                principal=who,
                number=number,
                filename=f"photo-{i}.png",
                media_type="image/png",
                stored=stored,
            )
            ids.append(out.id)
    db.dispose()
    return url, store, ids


def _verify(url: str, store: LocalBlobStore) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MURPHY_DATABASE_URL": url,
        "MURPHY_EVIDENCE_DIR": str(store.root),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "murphy", "evidence", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_verify_passes_then_finds_every_kind_of_tampering(tmp_path: Path) -> None:
    url, store, ids = _setup(tmp_path)
    ok = _verify(url, store)
    assert ok.returncode == 0, ok.stderr
    assert "3 evidence files match" in ok.stdout
    db = Database(url, pool_size=1)
    with db.transaction() as s:
        keys = {r.id: r.blob_key for r in s.query(Evidence).order_by(Evidence.id)}
        s.execute(update(Evidence).where(Evidence.id == ids[2]).values(size=1))
    db.dispose()
    changed = store.path(keys[ids[0]])
    changed.write_bytes(changed.read_bytes()[:-1] + b"\xff")  # one byte flipped, same size
    store.path(keys[ids[1]]).unlink()
    bad = _verify(url, store)
    assert bad.returncode == 1
    assert "3 of 3 evidence files do not match" in bad.stdout
    assert "content changed" in bad.stdout and "photo-0.png" in bad.stdout
    assert "missing from the store" in bad.stdout and "photo-1.png" in bad.stdout
    assert "differs from the timeline entry" in bad.stdout and "photo-2.png" in bad.stdout
