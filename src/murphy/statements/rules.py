"""Pure rules of statements: when one may change, what a sign-off needs, and the digest that
fixes a submitted text on the timeline."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from murphy.core.errors import Conflict, ValidationFailed
from murphy.statements.schemas import SignOff, Status

MIN_BODY = 3


def check_editable(status: Status, statement_id: int) -> None:
    """A submitted statement is never edited: an amendment adds to it."""
    if status is Status.SUBMITTED:
        raise Conflict(
            f"statement {statement_id} was submitted and is never edited: add an amendment"
        )


def may_change(taken_by: str, username: str) -> bool:
    """A draft is the words its taker heard: nobody else changes or submits it."""
    return taken_by == username


def check_body(body: str) -> None:
    """There must be something said to submit."""
    if len(body.strip()) < MIN_BODY:
        raise ValidationFailed("write down what the person said before submitting")


def check_sign_off(sign_off: SignOff, signed_name: str) -> str:
    """A signed statement carries the name the person typed; one not signed carries none."""
    name = signed_name.strip()
    if sign_off is SignOff.SIGNED and len(name) < 2:
        raise ValidationFailed("to sign it, the person types their own name")
    if sign_off is not SignOff.SIGNED and name:
        raise ValidationFailed(f"a statement {sign_off.value} has no signature: leave the name out")
    return name


def digest(
    *,
    giver: str,
    name: str,
    body: str,
    taken_by: str,
    taken_at: datetime,
    sign_off: str,
    signed_name: str,
    amends: int | None,
) -> str:
    """SHA-256 of what a submitted statement says and who vouched for it (on the timeline,
    so that any later change to its row is seen)."""
    canonical = json.dumps(
        {
            "giver": giver,
            "name": name,
            "body": body,
            "taken_by": taken_by,
            "taken_at": taken_at.isoformat(),
            "sign_off": sign_off,
            "signed_name": signed_name,
            "amends": amends,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
