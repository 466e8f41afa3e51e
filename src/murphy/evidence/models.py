"""Evidence of an incident: a file in the blob store or a physical item, with where it is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Evidence(Base):
    """One file or item. Its SHA-256 and size (files) are also on the hash-chained timeline
    entry that added it, so neither the file nor this row can change unnoticed."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # file | item
    state: Mapped[str] = mapped_column(String(16), default="held")
    description: Mapped[str] = mapped_column(Text, default="")
    # Files: the name given, the checked type, the blob and its digest.
    filename: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str | None] = mapped_column(String(64))
    blob_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Items: where it is kept, under which seal, who holds it.
    location: Mapped[str] = mapped_column(String(200), default="")
    seal: Mapped[str] = mapped_column(String(64), default="")
    holder: Mapped[str] = mapped_column(String(200), default="")  # a user name or an outside party
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entry_seq: Mapped[int]  # the timeline entry that recorded it
