"""The tasks an incident's playbook turned into."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Task(Base):
    """One step of a playbook, for one incident."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("incident_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id"))
    step: Mapped[str] = mapped_column(String(48))  # the step's key in the playbook
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(240))
    owner_role: Mapped[str | None] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mandatory: Mapped[bool] = mapped_column(Boolean, default=True)
    question: Mapped[str] = mapped_column(Text, default="")  # a yes/no question, if any
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), default="open")  # open|done|skipped
    answer: Mapped[bool | None] = mapped_column(Boolean)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    skip_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
