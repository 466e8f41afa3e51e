"""Evidence rules: what each taken type's first bytes must be, names with paths refused,
an item's custody state machine; and the local blob store (streamed, hashed, aborted)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.blobs import LocalBlobStore, TooLarge, digest
from murphy.core.errors import Conflict, ValidationFailed
from murphy.evidence import rules
from murphy.evidence.schemas import Action, Kind, State

HEADS = {
    "image/jpeg": b"\xff\xd8\xff\xe1\x00\x18Exif",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "video/mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00",
    "video/quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",
    "video/webm": b"\x1aE\xdf\xa3\x9fB\x86\x81\x01",
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
    "audio/wav": b"RIFF\x24\x08\x00\x00WAVEfmt ",
    "text/csv": "time,camera,note\n14:02,4,café\n".encode(),
}


@pytest.mark.parametrize("kind", sorted(HEADS))
def test_each_type_takes_its_own_bytes(kind: str) -> None:
    rules.check_content(
        kind, HEADS[kind] + b"\x00" * 64 if not kind.startswith("text") else HEADS[kind]
    )


@pytest.mark.parametrize(
    ("declared", "head", "seen"),
    [
        ("image/png", HEADS["image/jpeg"], "image/jpeg"),
        ("video/mp4", HEADS["application/pdf"], "application/pdf"),
        ("application/pdf", b"MZ\x90\x00\x03\x00\x00\x00", "not a known type"),
        ("text/plain", b"\x00\x01binary\x00", "not a known type"),
    ],
)
def test_a_head_of_another_type_is_refused_naming_what_it_is(
    declared: str, head: bytes, seen: str
) -> None:
    with pytest.raises(ValidationFailed, match=seen):
        rules.check_content(declared, head)


def test_a_character_cut_by_the_head_is_still_text() -> None:
    head = ("x" * 62 + "é").encode()[: rules.SNIFF_BYTES]  # é cut in two
    rules.check_content("text/plain", head)


@pytest.mark.parametrize("name", ["../x.jpg", "a/b.jpg", "..\\x", "..", ".", "a\x00b", "", " "])
def test_names_with_paths_or_controls_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed):
        rules.file_name(name)


@given(st.text(min_size=1, max_size=rules.NAME_MAX).filter(lambda t: t.strip()))
def test_an_accepted_name_never_holds_a_path(name: str) -> None:
    try:
        kept = rules.file_name(name)
    except ValidationFailed:
        return
    assert "/" not in kept and "\\" not in kept and kept not in (".", "..")


def test_declared_types_are_normalised_or_refused() -> None:
    assert rules.media_type("image/JPG; charset=binary") == "image/jpeg"
    for bad in ("", "application/octet-stream", "application/x-msdownload"):
        with pytest.raises(ValidationFailed):
            rules.media_type(bad)


def test_an_item_leaves_custody_once() -> None:
    assert rules.next_state(Kind.ITEM, State.HELD, Action.HANDED_OVER) is State.HELD
    assert rules.next_state(Kind.ITEM, State.HELD, Action.DISPOSED) is State.DISPOSED
    for action in Action:
        with pytest.raises(Conflict):
            rules.next_state(Kind.ITEM, State.RETURNED, action)
    with pytest.raises(ValidationFailed):
        rules.next_state(Kind.FILE, State.HELD, Action.STORED)


def test_the_store_streams_hashes_and_aborts_cleanly(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, limit=10)
    w = store.writer()
    for part in (b"abc", b"defg"):
        w.write(part)
    stored = w.finish()
    assert stored.sha256 == hashlib.sha256(b"abcdefg").hexdigest() and stored.size == 7
    assert b"".join(store.read(stored.key)) == b"abcdefg"
    assert digest(store.read(stored.key)) == (7, stored.sha256)
    big = store.writer()
    big.write(b"12345")
    with pytest.raises(TooLarge):
        big.write(b"678901")
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files == [stored.key]  # the aborted blob left no part file
    with pytest.raises(ValueError, match="not a blob key"):
        store.path("../../etc/passwd")
