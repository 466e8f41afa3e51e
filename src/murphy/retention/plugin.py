"""The retention domain's built-in plugin: the daily run, and the removal of the evidence
files it deleted once that run has committed (see murphy.plugins.hookspecs)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from murphy.core import timers
from murphy.core.blobs import LocalBlobStore
from murphy.core.hooks import hookimpl
from murphy.core.timers import DueTimer, Handler
from murphy.evidence import service as evidence_service
from murphy.retention import rules, service
from murphy.retention.schemas import RecordType
from murphy.settings import Settings


@hookimpl
def timer_handlers() -> dict[str, Handler]:
    """The handlers of the daily run and of the file removal after it."""
    return {service.RUN: daily, service.FILES: remove_files}


def daily(session: Session, timer: DueTimer) -> None:
    """Apply the rules, arm tomorrow's run, and the removal of deleted files after this
    transaction commits."""
    out = service.run(session, principal=None, now=timer.fired_at)
    next_at = rules.next_run(timer.fired_at)
    timers.schedule(session, kind=service.RUN, subject=service.DAILY, due_at=next_at)
    if out.counts.get(RecordType.EVIDENCE_FILES.value):
        timers.schedule(session, kind=service.FILES, subject="after-run", due_at=timer.fired_at)


def remove_files(session: Session, timer: DueTimer) -> None:
    """Remove the bytes of the evidence files a run deleted (MURPHY_EVIDENCE_DIR)."""
    store = LocalBlobStore(Path(Settings().evidence_dir))
    evidence_service.remove_deleted(session, store=store)
