"""Pure rules of evidence: which files are taken and what their bytes must look like, which
file names are refused, and how a physical item moves through custody."""

from __future__ import annotations

from collections.abc import Callable

from murphy.core.errors import Conflict, ValidationFailed
from murphy.evidence.schemas import Action, Kind, State

SNIFF_BYTES = 64  # the head of a file that is enough to recognise every type below
NAME_MAX = 200


ENDS = {
    Action.TRANSFERRED: State.TRANSFERRED,
    Action.RETURNED: State.RETURNED,
    Action.DISPOSED: State.DISPOSED,
}


def _ftyp(*brands: bytes) -> Callable[[bytes], bool]:
    """An ISO base media file (MP4, MOV, M4A, HEIC) of one of these major brands."""
    return lambda head: head[4:8] == b"ftyp" and head[8:12] in brands


def _riff(form: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == form


def _text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the head is fine
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


_MP4 = (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash")
_QT = (b"qt  ",)

# Every type Murphy takes as evidence, and what its first bytes must be.
SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda head: head[:3] == b"\xff\xd8\xff",
    "image/png": lambda head: head[:8] == b"\x89PNG\r\n\x1a\n",
    "image/gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": _riff(b"WEBP"),
    "image/heic": _ftyp(b"heic", b"heix", b"mif1", b"msf1", b"hevc"),
    "video/mp4": _ftyp(*_MP4),
    "video/quicktime": lambda head: _ftyp(*_QT)(head) or head[4:8] in (b"moov", b"mdat", b"wide"),
    "video/webm": lambda head: head[:4] == b"\x1aE\xdf\xa3",
    "audio/mpeg": lambda head: head[:3] == b"ID3" or (head[:1] == b"\xff" and head[1] >= 0xE0),
    "audio/mp4": _ftyp(b"M4A ", b"M4B ", *_MP4),
    "audio/wav": _riff(b"WAVE"),
    "application/pdf": lambda head: head[:5] == b"%PDF-",
    "application/zip": lambda head: head[:4] == b"PK\x03\x04",
    "text/plain": _text,
    "text/csv": _text,
}
ALIASES = {"image/jpg": "image/jpeg", "audio/x-wav": "audio/wav", "audio/mp3": "audio/mpeg"}


def media_type(declared: str | None) -> str:
    """The declared type, checked against those taken (parameters like charset dropped)."""
    value = (declared or "").split(";")[0].strip().lower()
    value = ALIASES.get(value, value)
    if not value or value == "application/octet-stream":
        raise ValidationFailed("say what the file is: send its type (Content-Type), e.g. video/mp4")
    if value not in SIGNATURES:
        taken = ", ".join(sorted(SIGNATURES))
        raise ValidationFailed(f"files of type {value} are not taken as evidence; taken: {taken}")
    return value


def check_content(declared: str, head: bytes) -> None:
    """Refuse a file whose first bytes are not what its declared type's are."""
    if not head:
        raise ValidationFailed("the file is empty")
    if not SIGNATURES[declared](head[:SNIFF_BYTES]):
        found = sniff(head)
        seen = f"it looks like {found}" if found else "its content is not a known type"
        raise ValidationFailed(f"the file was declared {declared} but {seen}: nothing was stored")


def sniff(head: bytes) -> str | None:
    """The first type whose signature the bytes have (text last), or None."""
    for kind, matches in SIGNATURES.items():
        if kind.startswith("text/"):
            continue
        if matches(head[:SNIFF_BYTES]):
            return kind
    return "text/plain" if _text(head[:SNIFF_BYTES]) else None


def file_name(name: str | None) -> str:
    """A file name as given, refused if it holds a path or characters no name has."""
    value = (name or "").strip()
    if not value:
        raise ValidationFailed("give the file's name")
    if len(value) > NAME_MAX:
        raise ValidationFailed(f"the file name is over {NAME_MAX} characters")
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValidationFailed(f"the file name may not hold a path: {value!r}; give the name alone")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationFailed("the file name holds control characters")
    return value


def actions_for(kind: Kind) -> tuple[Action, ...]:
    """The custody steps an evidence can take: a file is viewed and downloaded, not moved,
    so its only step is a transfer (a copy given to an outside party)."""
    return (Action.TRANSFERRED,) if kind is Kind.FILE else tuple(Action)


def next_state(kind: Kind, state: State, action: Action) -> State:
    """The state after a custody step; Conflict when the item has left custody."""
    if state is not State.HELD:
        raise Conflict(f"this evidence is {state.value}: no further custody step can be recorded")
    if action not in actions_for(kind):
        raise ValidationFailed(
            "a file's custody is its views and downloads; record a transfer only"
        )
    return ENDS.get(action, State.HELD)


SAY = {"to": "who received it", "location": "where it is kept now", "note": "why, in the note"}


def needs(action: Action) -> tuple[str, ...]:
    """What a custody step must say: to whom, where, or why."""
    return {
        Action.HANDED_OVER: ("to",),
        Action.STORED: ("location",),
        Action.TRANSFERRED: ("to",),
        Action.RETURNED: ("to",),
        Action.DISPOSED: ("note",),
    }[action]
