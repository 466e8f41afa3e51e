"""Turning any JSON payload into a signal. Pure: no I/O.

Alarm panels, access control, camera analytics, panic buttons and SIEMs post arbitrary
JSON. Each integration source has a `Mapping` that picks fields out of the payload with
templates such as ``"{event.name} at {door}"``.

A placeholder holds a path: dotted keys with optional list indexes, ``devices[0].id``;
a path may also start with an index, ``[0].id``, for a payload that is a list. Keys may
contain spaces but not ``. [ ] { }``. ``{{`` and ``}}`` are literal braces.

Values render as text: strings as they are, numbers as in JSON, booleans as
``true``/``false``, null or missing as an empty text (a missing path never raises),
objects and lists as compact JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from murphy.core.errors import ValidationFailed

TITLE_MAX = 200
PLACE_MAX = 240
DESCRIPTION_MAX = 20_000
MAX_INDEX_DIGITS = 9

Segment: TypeAlias = str | int
Part: TypeAlias = str | tuple[Segment, ...]

_KEY_STOP = frozenset(".[]{}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON string (possibly unterminated) or a bracket; strings are skipped whole.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


# --- paths and templates ---------------------------------------------------------------


@lru_cache(maxsize=1024)
def _parse_path(path: str) -> tuple[Segment, ...]:
    """The keys and indexes of `path`; ValueError saying what is wrong."""
    path = path.strip()
    if not path:
        raise ValueError("empty path")
    segments: list[Segment] = []
    i, n = 0, len(path)
    while True:
        start = i
        while i < n and path[i] not in _KEY_STOP:
            i += 1
        if i > start:
            segments.append(path[start:i].strip())
        elif not (i == 0 and path[0] == "["):  # only the first key may be left out
            raise ValueError(f"empty key at position {start} in path {path!r}")
        i = _indexes(path, i, segments)
        if i == n:
            return tuple(segments)
        if path[i] != ".":
            raise ValueError(f"unexpected {path[i]!r} at position {i} in path {path!r}")
        i += 1


def _indexes(path: str, i: int, segments: list[Segment]) -> int:
    """Append the ``[n]`` indexes that start at `i`; the position after them."""
    while i < len(path) and path[i] == "[":
        close = path.find("]", i)
        if close == -1:
            raise ValueError(f"unclosed '[' at position {i} in path {path!r}")
        digits = path[i + 1 : close]
        if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_INDEX_DIGITS:
            raise ValueError(f"bad index [{digits}] in path {path!r}: use a number from 0")
        segments.append(int(digits))
        i = close + 1
    return i


@lru_cache(maxsize=1024)
def _compile(template: str) -> tuple[Part, ...]:
    """Literal texts and paths, in order; ValueError saying what is wrong."""
    parts: list[Part] = []
    text: list[str] = []
    i, n = 0, len(template)
    while i < n:
        brace = min(
            (p for p in (template.find("{", i), template.find("}", i)) if p != -1), default=n
        )
        text.append(template[i:brace])
        i = brace
        if i == n:
            break
        if template.startswith("{{", i) or template.startswith("}}", i):
            text.append(template[i])
            i += 2
            continue
        if template[i] == "}":
            raise ValueError(f"single '}}' at position {i}: write '}}}}' for a literal brace")
        close = template.find("}", i + 1)
        if close == -1:
            raise ValueError(f"unclosed '{{' at position {i}")
        inner = template[i + 1 : close]
        if "{" in inner:
            raise ValueError(f"'{{' inside the placeholder at position {i}")
        try:
            path = _parse_path(inner)
        except ValueError as exc:
            raise ValueError(f"placeholder at position {i}: {exc}") from None
        if text:
            parts.append("".join(text))
            text = []
        parts.append(path)
        i = close + 1
    if text and (joined := "".join(text)):
        parts.append(joined)
    return tuple(parts)


def _walk(payload: object, segments: tuple[Segment, ...]) -> object | None:
    value = payload
    for segment in segments:
        if isinstance(segment, int):
            if not isinstance(value, list | tuple) or segment >= len(value):
                return None
            value = value[segment]
        elif isinstance(value, dict):
            value = value.get(segment)
        else:
            return None
        if value is None:
            return None
    return value


def _text(value: object) -> str:
    """A value as text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python converts to text
            return hex(value)
    if isinstance(value, float):
        return json.dumps(value)
    if not isinstance(value, dict | list | tuple):
        return str(value)
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), skipkeys=True, default=str
        )
    except (TypeError, ValueError, RecursionError):
        return ""


def get_path(payload: object, path: str) -> object | None:
    """The value at `path` in `payload`; None when missing. A malformed path is refused."""
    try:
        segments = _parse_path(path)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    return _walk(payload, segments)


def _render(template: str, payload: object) -> tuple[str, bool]:
    """The rendered text, and whether any placeholder found a non-empty value."""
    try:
        parts = _compile(template)
    except ValueError as exc:
        raise ValidationFailed(f"template {template!r}: {exc}") from None
    texts = [part if isinstance(part, str) else _text(_walk(payload, part)) for part in parts]
    found = any(
        text.strip() for part, text in zip(parts, texts, strict=True) if not isinstance(part, str)
    )
    return "".join(texts), found


def render(template: str, payload: object) -> str:
    """`template` with each ``{path}`` replaced by the value there as text."""
    return _render(template, payload)[0]


# --- the mapping an admin writes ---------------------------------------------------------


def _as_text(value: object) -> object:
    """YAML scalars (numbers, booleans) as the text a payload value renders to."""
    return _text(value) if isinstance(value, int | float) else value


class Condition(BaseModel):
    """A signal is a clear when the value at `path`, as text, is one of `equals` (any case)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    equals: list[str] = Field(min_length=1)

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        _parse_path(value)
        return value

    @field_validator("equals", mode="before")
    @classmethod
    def _scalars(cls, value: object) -> object:
        if isinstance(value, str | int | float):
            value = [value]
        return [_as_text(v) for v in value] if isinstance(value, list) else value

    def matches(self, payload: object) -> bool:
        """Whether `payload` meets the condition."""
        found = _text(get_path(payload, self.path)).strip().casefold()
        return any(found == wanted.strip().casefold() for wanted in self.equals)


Priority = Annotated[int, Field(ge=1, le=5)]


class Mapping(BaseModel):
    """How one integration source turns its payloads into signals; written by an admin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    type: str | None = None
    severity: str | None = None
    severities: dict[str, Priority] = Field(default_factory=dict)
    site: str | None = None
    place: str | None = None
    zone: str | None = None
    fingerprint: list[str] = Field(default_factory=list)
    clear: Condition | None = None
    description: str | None = None

    @field_validator("title", "type", "severity", "site", "place", "zone", "description")
    @classmethod
    def _check_template(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                _compile(value)
            except ValueError as exc:
                raise ValueError(f"bad template {value!r}: {exc}") from None
        return value

    @field_validator("fingerprint")
    @classmethod
    def _check_paths(cls, value: list[str]) -> list[str]:
        for n, path in enumerate(value):
            try:
                _parse_path(path)
            except ValueError as exc:
                raise ValueError(f"fingerprint[{n}] {path!r}: {exc}") from None
        return value

    @field_validator("severities", mode="before")
    @classmethod
    def _keys_as_text(cls, value: object) -> object:
        return {_as_text(k): v for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("severities")
    @classmethod
    def _check_severities(cls, value: dict[str, int]) -> dict[str, int]:
        seen: dict[str, str] = {}
        for key in value:
            folded = key.strip().casefold()
            if not folded:
                raise ValueError("a severity value may not be empty")
            if folded in seen:
                raise ValueError(f"{seen[folded]!r} and {key!r} are the same severity in any case")
            seen[folded] = key
        return value

    @model_validator(mode="after")
    def _severities_need_a_template(self) -> Mapping:
        if self.severities and self.severity is None:
            raise ValueError("severities are set but there is no severity template to look up")
        return self

    def priority(self, severity: str) -> int | None:
        """The priority of a severity text, compared in any case; None when unknown."""
        wanted = severity.strip().casefold()
        for key, value in self.severities.items():
            if key.strip().casefold() == wanted:
                return value
        return None


# --- applying a mapping ---------------------------------------------------------------


@dataclass(frozen=True)
class Mapped:
    """The signal fields a mapping picked out of one payload."""

    title: str
    type: str | None
    priority: int | None
    severity: str | None
    site: str | None
    place: str
    zone: str | None
    fingerprint: str
    is_clear: bool
    description: str
    exercise: bool = False  # a drill (CAP status Exercise): the incident is marked so


def _clean(text: str) -> str:
    """No lone surrogates (they cannot be stored as UTF-8) and no NUL characters."""
    return _SURROGATE.sub("\ufffd", text).replace("\x00", "")


def _one_line(text: str) -> str:
    """Control characters and runs of white space as one space, stripped."""
    return " ".join(_CONTROL.sub(" ", _clean(text)).split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _optional(template: str | None, payload: object) -> str | None:
    """A one-line rendering, or None when there is no template or it renders empty."""
    if template is None:
        return None
    return _one_line(render(template, payload)) or None


def _title(template: str, payload: object) -> str:
    """The rendered title; empty when its placeholders all found nothing (" at " says
    nothing), unless the template is constant text."""
    text, found = _render(template, payload)
    if not found and any(not isinstance(part, str) for part in _compile(template)):
        return ""
    return _one_line(text)


# The fields of a mapping that are templates.
TEMPLATES = ("title", "type", "severity", "site", "place", "zone", "description")


def missing(mapping: Mapping, payload: object) -> list[str]:
    """The paths `mapping` reads (its placeholders, fingerprint and clear) that `payload`
    has no value at, each once: a misspelt key shows here rather than as an empty title."""
    paths: dict[str, tuple[Segment, ...]] = {}
    for name in TEMPLATES:
        template = getattr(mapping, name)
        for part in _compile(template) if template else ():
            if not isinstance(part, str):
                paths.setdefault(_path_text(part), part)
    for path in [*mapping.fingerprint, *([mapping.clear.path] if mapping.clear else [])]:
        paths.setdefault(path.strip(), _parse_path(path))
    return [text for text, segments in paths.items() if _walk(payload, segments) is None]


def _path_text(segments: tuple[Segment, ...]) -> str:
    return "".join(
        f"[{s}]" if isinstance(s, int) else (f".{s}" if i else s) for i, s in enumerate(segments)
    )


def apply(mapping: Mapping, payload: object, *, source: str, fallback: str | None = None) -> Mapped:
    """The signal fields of `payload` under `mapping`. Never raises on any payload.

    The title falls back to `fallback`, or "Signal from `source`", when it renders empty
    or none of its placeholders found a value. Title, type, severity, site, place and
    zone are one line.
    """
    title = (
        _title(mapping.title, payload) or _one_line(fallback or f"Signal from {source}") or "Signal"
    )
    title = _cut(title, TITLE_MAX)
    severity = _optional(mapping.severity, payload)
    if mapping.fingerprint:
        values = [_text(get_path(payload, path)) for path in mapping.fingerprint]
        identity = "\x1f".join(values)
    else:
        identity = title
    description = render(mapping.description, payload) if mapping.description else ""
    return Mapped(
        title=title,
        type=_optional(mapping.type, payload),
        priority=None if severity is None else mapping.priority(severity),
        severity=severity,
        site=_optional(mapping.site, payload),
        place=_cut(_optional(mapping.place, payload) or "", PLACE_MAX),
        zone=_optional(mapping.zone, payload),
        fingerprint=hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest(),
        is_clear=mapping.clear is not None and mapping.clear.matches(payload),
        description=_cut(_clean(description).strip(), DESCRIPTION_MAX),
    )


# --- reading a payload ---------------------------------------------------------------


def _too_deep(text: str, max_depth: int) -> bool:
    """Whether objects and lists nest deeper than `max_depth`; iterative, no recursion."""
    depth = 0
    for token in _TOKEN.finditer(text):
        bracket = text[token.start()]
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_payload(raw: bytes, *, max_depth: int = 32) -> object:
    """The JSON value in `raw`; ValidationFailed when it is not UTF-8, not JSON, or nests
    objects and lists deeper than `max_depth`. A leading byte order mark is ignored."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"the payload is not UTF-8 text (invalid byte at position {exc.start})"
        ) from None
    text = text.removeprefix("\ufeff")
    if _too_deep(text, max_depth):
        raise ValidationFailed(
            f"the payload nests objects and lists deeper than {max_depth} levels"
        )
    try:
        value: object = json.loads(text, parse_constant=_no_constants)
        return value
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"the payload is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except ValueError as exc:  # NaN, Infinity, or a number with thousands of digits
        reason = str(exc).split(";")[0]
        raise ValidationFailed(f"the payload is not valid JSON: {reason}") from None
    except RecursionError:
        raise ValidationFailed("the payload nests objects and lists too deeply") from None
