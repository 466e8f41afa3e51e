"""Sealed fields of a hash chain: personal values the chain covers through a salted
digest, so that they can be removed later and the chain still verifies; changing a value
that is still there, or a kept digest, breaks it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from murphy.core import audit


def chain(entries: list[tuple[dict[str, Any], audit.Seals | None]]) -> list[audit.Link]:
    links, prev = [], audit.GENESIS
    for seq, (data, seals) in enumerate(entries, start=1):
        body = {"seq": seq, "data": audit.sealed(data, seals)}
        h = audit.chain_hash(prev, body)
        links.append(audit.Link(seq=seq, body=body, prev_hash=prev, hash=h))
        prev = h
    return links


def relink(
    links: list[audit.Link], stored: list[tuple[dict[str, Any], audit.Seals | None]]
) -> list[audit.Link]:
    """The links as verification rebuilds them from what is stored now."""
    return [
        audit.Link(
            seq=link.seq,
            body={"seq": link.seq, "data": audit.sealed(d, s)},
            prev_hash=link.prev_hash,
            hash=link.hash,
        )
        for link, (d, s) in zip(links, stored, strict=True)
    ]


@given(name=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40))
def test_a_removed_value_keeps_the_chain_and_a_changed_one_breaks_it(name: str, other: str) -> None:
    data = {"subject": 7, "label": name, "role": "suspect"}
    seals = audit.new_seals(data, ["label", "not-there"])
    assert seals is not None and set(seals) == {"label"}
    stored = [(data, seals), ({"note": "x"}, None)]
    links = chain(stored)
    assert audit.verify(relink(links, stored)) is None
    if other != name:
        forged = [({**data, "label": other}, seals), stored[1]]
        assert audit.verify(relink(links, forged)) is not None
    removed = audit.unseal(data, seals, ["label"], "Anonymized person")
    assert removed is not None
    kept, kept_seals = removed
    assert kept["label"] == "Anonymized person" and "salt" not in kept_seals["label"]
    assert kept_seals == {"label": {"digest": audit.seal(seals["label"]["salt"], name)}}
    assert audit.verify(relink(links, [(kept, kept_seals), stored[1]])) is None
    assert audit.unseal(kept, kept_seals, ["label"], "again") is None  # nothing left to remove
    bad_digest = {"label": {"digest": "0" * 64}}
    assert audit.verify(relink(links, [(kept, bad_digest), stored[1]])) is not None


def test_an_unsealed_field_cannot_be_removed() -> None:
    assert audit.unseal({"label": "Ana"}, None, ["label"], "gone") is None
    assert audit.new_seals({"role": "x"}, ["label"]) is None
