"""Hash chains: any change, removal, reordering or truncation is found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from murphy.core import audit

bodies = st.lists(
    st.dictionaries(
        st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=10)), max_size=3
    ),
    min_size=1,
    max_size=8,
)


def build(items: list[dict[str, object]]) -> list[audit.Link]:
    links, prev = [], audit.GENESIS
    for i, body in enumerate(items, start=1):
        h = audit.chain_hash(prev, body)
        links.append(audit.Link(seq=i, body=body, prev_hash=prev, hash=h))
        prev = h
    return links


@given(bodies)
def test_intact_chain_verifies(items: list[dict[str, object]]) -> None:
    links = build(items)
    assert audit.verify(links, head=links[-1].hash, length=len(links)) is None


@given(bodies, st.data())
def test_altered_body_is_found_at_its_entry(
    items: list[dict[str, object]], data: st.DataObject
) -> None:
    links = build(items)
    i = data.draw(st.integers(0, len(links) - 1))
    altered = {**links[i].body, "__tampered__": 1}
    links[i] = audit.Link(links[i].seq, altered, links[i].prev_hash, links[i].hash)
    broken = audit.verify(links)
    assert broken is not None and broken.seq == i + 1


@given(bodies.filter(lambda b: len(b) >= 2), st.data())
def test_removed_entry_is_found(items: list[dict[str, object]], data: st.DataObject) -> None:
    links = build(items)
    i = data.draw(st.integers(0, len(links) - 2))
    del links[i]
    assert audit.verify(links) is not None


@given(bodies.filter(lambda b: len(b) >= 2))
def test_cut_off_tail_is_found_by_the_recorded_head(items: list[dict[str, object]]) -> None:
    links = build(items)
    head, length = links[-1].hash, len(links)
    assert audit.verify(links[:-1]) is None  # a chain alone cannot see its own end...
    broken = audit.verify(links[:-1], head=head, length=length)  # ...the recorded head can
    assert broken is not None


def test_canonical_is_order_independent() -> None:
    assert audit.canonical({"b": 1, "a": "é"}) == audit.canonical({"a": "é", "b": 1})
    assert audit.chain_hash(audit.GENESIS, {"a": 1}) != audit.chain_hash("1" * 64, {"a": 1})
