"""Hash chains: the arithmetic behind an append-only, verifiable record.

Each entry's hash is SHA-256 over the canonical JSON of the entry together with the
hash of the entry before it, so altering, removing or reordering any entry breaks
every hash after it. Pure functions; the tables that hold chains live in domains.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(value: Mapping[str, Any]) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """The hash of an entry whose content is `body` and whose predecessor is `prev_hash`."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(body)).hexdigest()


# Sealed fields: personal data (a name, a plate) on an entry can be removed later without
# breaking the chain. The hash covers a sealed field through its digest, SHA-256 of a
# random salt and the value; the salt is kept beside the entry, outside the hash. To
# remove the value, its digest is kept instead of its salt: the chain still verifies,
# and the value cannot be guessed back from the digest (the salt is gone).
Seals = dict[str, dict[str, str]]  # field -> {"salt": hex} while kept, {"digest": hex} once removed


def seal(salt: str, value: Any) -> str:
    """The digest that stands for a sealed value in the hashed body."""
    return hashlib.sha256(salt.encode() + b"\n" + canonical({"v": value})).hexdigest()


def new_seals(data: Mapping[str, Any], fields: Iterable[str]) -> Seals | None:
    """A fresh salt for each of `fields` that `data` has, or None if none."""
    seals = {f: {"salt": secrets.token_hex(16)} for f in fields if f in data}
    return seals or None


def sealed(
    data: Mapping[str, Any], seals: Mapping[str, Mapping[str, str]] | None
) -> Mapping[str, Any]:
    """`data` as the hash covers it: each sealed field by its digest."""
    if not seals:
        return data
    out = dict(data)
    for field, s in seals.items():
        out[field] = {"sealed": s["digest"] if "digest" in s else seal(s["salt"], data.get(field))}
    return out


def unseal(
    data: Mapping[str, Any],
    seals: Mapping[str, Mapping[str, str]] | None,
    fields: Iterable[str],
    replacement: Any,
) -> tuple[dict[str, Any], Seals] | None:
    """`data` and `seals` with the values of `fields` removed (replaced by `replacement`)
    and their digests kept; None when none of them is sealed and still there."""
    kept = {f: dict(s) for f, s in (seals or {}).items()}
    out, changed = dict(data), False
    for field in fields:
        if "salt" in kept.get(field, {}):
            kept[field] = {"digest": seal(kept[field]["salt"], data.get(field))}
            out[field], changed = replacement, True
    return (out, kept) if changed else None


@dataclass(frozen=True)
class Link:
    """One stored entry as read back: its position, content and the hashes it claims."""

    seq: int
    body: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    """Where and how a chain is broken."""

    seq: int
    reason: str


def verify(
    links: Iterable[Link], *, head: str | None = None, length: int | None = None
) -> Break | None:
    """The first break in a chain read in `seq` order, or None if the chain is intact.

    `head` and `length`, when given, are what the owner of the chain recorded as its
    last hash and entry count; they catch entries cut off the end.
    """
    prev = GENESIS
    expected_seq = 1
    for link in links:
        if link.seq != expected_seq:
            return Break(expected_seq, f"entry {expected_seq} is missing (found {link.seq})")
        if link.prev_hash != prev:
            return Break(link.seq, "previous-hash does not match the entry before it")
        if chain_hash(prev, link.body) != link.hash:
            return Break(link.seq, "content does not match its hash (altered)")
        prev = link.hash
        expected_seq += 1
    if length is not None and expected_seq - 1 != length:
        return Break(expected_seq, f"chain has {expected_seq - 1} entries, {length} recorded")
    if head is not None and prev != head:
        return Break(expected_seq - 1, "last hash differs from the recorded chain head")
    return None
