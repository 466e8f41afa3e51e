"""Pure rules of public reporting: the follow-up code, and what a reporter is told.

The code is 20 characters of Crockford's base32 (100 bits from `secrets`), shown in
four groups of five. Typing it back is forgiving: case, spaces, dashes and the letters
I, L (as 1) and O (as 0) do not matter. Only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets

from murphy.core.errors import ValidationFailed

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 20  # 100 bits
GROUP = 5
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    """A fresh follow-up code, grouped for reading: 'K7QF2-M9XAB-...'."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(code: str) -> str:
    """The code as stored, from what someone typed; a clear error if it cannot be one."""
    cleaned = "".join(c for c in code.upper() if not c.isspace() and c != "-")
    cleaned = cleaned.translate(_READ_AS)
    if len(cleaned) != LENGTH or any(c not in ALPHABET for c in cleaned):
        raise ValidationFailed(
            f"a follow-up code has {LENGTH} letters and digits, like 'K7QF2-M9XAB-3DEFG-H4JKM':"
            " check what you typed"
        )
    return cleaned


def code_hash(code: str) -> str:
    """What is stored for a code (already normalized)."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


# What a reporter is told of each status: no internal words, no names.
PUBLIC_STATUS = {
    "new": ("Received", "Your report has reached the control room."),
    "triaged": ("Being handled", "The control room has assessed your report."),
    "responding": ("Being handled", "Someone is dealing with it now."),
    "resolved": ("Resolved", "The matter you reported has been dealt with."),
    "closed": ("Closed", "The matter you reported has been dealt with and closed."),
    "cancelled": ("Closed", "No further action was needed."),
    "merged": ("Being handled", "It is handled together with another report of the same event."),
}


def public_status(status: str) -> tuple[str, str]:
    """(label, sentence) a reporter sees for an incident status."""
    return PUBLIC_STATUS.get(status, ("Received", "Your report has reached the control room."))
