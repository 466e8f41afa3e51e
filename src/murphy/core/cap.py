"""OASIS Common Alerting Protocol (CAP) 1.2: read, check and write alert messages. Pure: no I/O.

`parse` reads an ``<alert>`` from untrusted bytes and checks every rule of CAP 1.2: the
XML schema (elements, their order and number, value lists, date-times, numbers) and the
Data Dictionary of section 3.2. The first problem raises `ValidationFailed`; its
``element`` names the offending element as a path such as ``alert/info[1]/urgency``,
where repeated elements carry a 1-based index. XML that is not well-formed has
``element`` None and ``line`` and ``column`` (both from 1) instead.

A DTD, entity declarations and external references are refused before anything is
expanded: CAP needs none of them. XML signatures (xmldsig elements after the last
``info``) are allowed but neither checked nor kept.

Beyond the schema: date-times carry an offset (``Z`` and none are refused);
identifier and sender hold no whitespace, comma, ``<`` or ``&``; Restricted scope needs
``restriction``, Private scope needs ``addresses``; Update and Cancel need
``references``; a polygon is a closed ring of at least four points; ``ceiling`` needs
``altitude``; a relative ``uri`` needs ``derefUri``. The deprecated certainty
"Very Likely" reads as "Likely". Repeated elements are capped (`MAX_REPEAT`,
`MAX_INFO`, `MAX_GEOCODE`, `MAX_POINTS`) so that one message costs bounded work.

`Alert` and its parts are frozen dataclasses. A field is its element's name in
snake_case; a repeated element is a tuple (lists given are made tuples); an absent one is
None or ``()``; ``language`` defaults to "en-US" as the specification says. `build` writes
an Alert as CAP 1.2 and refuses, with ValueError, one that `parse` would not read back
equal. Times are written ``2003-06-17T14:57:00-07:00``, UTC as ``+00:00``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeAlias
from xml.parsers.expat import errors as expat_errors

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from murphy.core.errors import ValidationFailed

NS = "urn:oasis:names:tc:emergency:cap:1.2"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
_SCHEMA_LOCATION = (f"{_XSI}schemaLocation", f"{_XSI}noNamespaceSchemaLocation")

# Caps on repeated elements; the specification sets none.
MAX_REPEAT = 100  # of any repeated element not named below, and of references
MAX_INFO = 100  # info blocks in one alert
MAX_GEOCODE = 1000  # geocodes in one area (a wide warning lists many counties)
MAX_POINTS = 5000  # points in one polygon

STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPE = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPE = ("Public", "Restricted", "Private")
CATEGORY = (
    *("Geo", "Met", "Safety", "Security", "Rescue", "Fire"),
    *("Health", "Env", "Transport", "Infra", "CBRNE", "Other"),
)
RESPONSE_TYPE = (
    *("Shelter", "Evacuate", "Prepare", "Execute", "Avoid"),
    *("Monitor", "Assess", "AllClear", "None"),
)
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

Point: TypeAlias = tuple[float, float]  # (lat, lon) in WGS 84 degrees

_WS = " \t\r\n"  # XML whitespace
_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)", re.ASCII)
_LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_SIZE = re.compile(r"\+?\d+", re.ASCII)
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*", re.ASCII)
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", re.ASCII)
_NOT_IN_TOKEN = re.compile(r"[\s,<&]")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _tuples(obj: Any) -> None:
    """Turn list fields (and lists inside them) into tuples, so parts stay immutable."""

    def freeze(value: Any) -> Any:
        return tuple(freeze(v) for v in value) if isinstance(value, list | tuple) else value

    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, list | tuple):
            object.__setattr__(obj, f.name, freeze(value))


@dataclass(frozen=True)
class Pair:
    """A ``valueName``/``value`` pair: an eventCode, parameter or geocode."""

    value_name: str
    value: str


@dataclass(frozen=True)
class Reference:
    """One earlier message that this one refers to: ``sender,identifier,sent``."""

    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True)
class Circle:
    """A circle: centre in WGS 84 degrees, radius in kilometres."""

    lat: float
    lon: float
    radius: float


@dataclass(frozen=True, kw_only=True)
class Resource:
    """A file with more information: an image, an audio message."""

    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


@dataclass(frozen=True, kw_only=True)
class Area:
    """Where: a description and optionally polygons (closed rings), circles, geocodes."""

    area_desc: str
    polygon: tuple[tuple[Point, ...], ...] = ()
    circle: tuple[Circle, ...] = ()
    geocode: tuple[Pair, ...] = ()
    altitude: float | None = None
    ceiling: float | None = None

    def __post_init__(self) -> None:
        _tuples(self)


@dataclass(frozen=True, kw_only=True)
class Info:
    """What, how bad, what to do, where: one per language or audience."""

    language: str = "en-US"
    category: tuple[str, ...]
    event: str
    response_type: tuple[str, ...] = ()
    urgency: str
    severity: str
    certainty: str
    audience: str | None = None
    event_code: tuple[Pair, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameter: tuple[Pair, ...] = ()
    resource: tuple[Resource, ...] = ()
    area: tuple[Area, ...] = ()

    def __post_init__(self) -> None:
        _tuples(self)


@dataclass(frozen=True, kw_only=True)
class Alert:
    """A CAP 1.2 alert message."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    source: str | None = None
    scope: str
    restriction: str | None = None
    addresses: str | None = None
    code: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[Reference, ...] = ()
    incidents: str | None = None
    info: tuple[Info, ...] = ()

    def __post_init__(self) -> None:
        _tuples(self)

    def as_payload(self) -> dict[str, Any]:
        """The whole alert as JSON-ready data, keyed by CAP's element names.

        Repeated elements are lists, absent ones None; times, polygons, circles and
        references are their CAP text; size is an integer, altitude and ceiling numbers.
        """
        return _payload(self, _ALERT)


# --- text to values and back -------------------------------------------------------------


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def format_time(dt: datetime) -> str:
    """`dt` as CAP writes it, ``2003-06-17T14:57:00-07:00``; microseconds are dropped.

    The offset is always written, and UTC as ``-00:00`` as CAP 1.2 (3.3.2) requires.
    ValueError for a naive datetime or
    an offset that is not whole minutes.
    """
    offset = dt.utcoffset() if isinstance(dt, datetime) else None
    if offset is None:
        raise ValueError(f"{dt!r} has no timezone; CAP times need an offset")
    minutes, rest = divmod(offset, timedelta(minutes=1))
    if rest:
        raise ValueError(f"{dt!r}: CAP offsets are whole minutes")
    sign = "-" if minutes <= 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    date = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
    return f"{date}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}{sign}{hours:02d}:{minutes:02d}"


def _read_time(text: str, path: str, tag: str) -> datetime:
    value = text.strip(_WS)
    match = _TIME.fullmatch(value)
    if match is None:
        if value.endswith(("Z", "z")):
            problem = "uses 'Z', which CAP does not allow"
        elif _LOCAL_TIME.fullmatch(value):
            problem = "has no offset"
        else:
            problem = "is not a CAP date-time"
        raise ValidationFailed(
            f"{tag} '{_short(value)}' {problem}: write YYYY-MM-DDThh:mm:ss followed by "
            "+hh:mm or -hh:mm, such as 2003-06-17T14:57:00-07:00",
            element=path,
        )
    y, mo, d, h, mi, s, sign, oh, om = match.groups()
    offset = timedelta(hours=int(oh), minutes=int(om))
    if int(om) > 59 or offset > timedelta(hours=14):
        raise ValidationFailed(
            f"{tag} '{value}' has offset {sign}{oh}:{om}; offsets run from -14:00 to +14:00",
            element=path,
        )
    tz = timezone(-offset if sign == "-" else offset) if offset else UTC
    end_of_day = (h, mi, s) == ("24", "00", "00")  # XML Schema's 24:00:00 is next 00:00:00
    try:
        dt = datetime(int(y), int(mo), int(d), 0 if end_of_day else int(h), int(mi), int(s))
        return dt.replace(tzinfo=tz) + timedelta(days=end_of_day)
    except (ValueError, OverflowError):
        raise ValidationFailed(
            f"{tag} '{value}' is not a real date and time", element=path
        ) from None


def _number(text: str, path: str, tag: str) -> float:
    value = float(text) if _DECIMAL.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise ValidationFailed(
            f"{tag} '{_short(text)}' is not a decimal number such as -120.14", element=path
        )
    return value


def _write_number(value: float) -> str:
    """A float as an XML Schema decimal: no exponent, no NaN (NaN fails to read back)."""
    text = repr(float(value))
    return format(Decimal(text), "f") if "e" in text else text


def _read_token(text: str, path: str, tag: str) -> str:
    bad = _NOT_IN_TOKEN.search(text)
    if not text or bad:
        found = f"contains {bad.group()!r}" if bad else "is empty"
        raise ValidationFailed(
            f"{tag} '{_short(text)}' {found}; it must be non-empty without whitespace, "
            "commas, '<' or '&'",
            element=path,
        )
    return text


def _enum(allowed: tuple[str, ...], aliases: dict[str, str] | None = None) -> _Simple:
    def read(text: str, path: str, tag: str) -> str:
        text = (aliases or {}).get(text, text)
        if text not in allowed:
            raise ValidationFailed(
                f"{tag} '{_short(text)}' is not one of {', '.join(allowed)}", element=path
            )
        return text

    return _Simple(read)


def _read_language(text: str, path: str, tag: str) -> str:
    value = text.strip(_WS) or "en-US"  # the schema's default for an empty element
    if not _LANGUAGE.fullmatch(value):
        raise ValidationFailed(
            f"language '{_short(value)}' is not a language code such as en-US", element=path
        )
    return value


def _read_uri(text: str, path: str, tag: str) -> str:
    value = text.strip(_WS)
    if not value or any(c.isspace() for c in value):
        raise ValidationFailed(f"{tag} '{_short(value)}' is not a URI", element=path)
    return value


def _read_web(text: str, path: str, tag: str) -> str:
    value = _read_uri(text, path, tag)
    if not _ABSOLUTE_URI.fullmatch(value):
        raise ValidationFailed(
            f"web '{_short(value)}' is not an absolute URI such as https://example.org/alert",
            element=path,
        )
    return value


def _read_size(text: str, path: str, tag: str) -> int:
    value = text.strip(_WS)
    digits = (value.lstrip("+").lstrip("0") or "0") if _SIZE.fullmatch(value) else ""
    if not digits or len(digits) > 18:  # 18 digits: an exabyte; more is a mistake
        raise ValidationFailed(
            f"size '{_short(value)}' is not a whole number of bytes (0 or more)", element=path
        )
    return int(digits)


def _read_decimal(text: str, path: str, tag: str) -> float:
    return _number(text.strip(_WS), path, tag)


def _read_base64(text: str, path: str, tag: str) -> str:
    if not _BASE64.fullmatch("".join(text.split())):
        raise ValidationFailed("derefUri is not base64-encoded data", element=path)
    return text


def _point(pair: str, path: str, tag: str) -> Point:
    lat_lon = pair.split(",")
    if len(lat_lon) != 2:
        raise ValidationFailed(
            f"{tag} point '{_short(pair)}' is not a lat,lon pair such as 38.47,-120.14",
            element=path,
        )
    lat, lon = (_number(part, path, tag) for part in lat_lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed(
            f"{tag} point '{_short(pair)}' is off the globe: latitude runs from -90 to 90, "
            "longitude from -180 to 180",
            element=path,
        )
    return (lat, lon)


def _read_polygon(text: str, path: str, tag: str) -> tuple[Point, ...]:
    pairs = text.split()
    if len(pairs) > MAX_POINTS:
        raise ValidationFailed(f"polygon has over {MAX_POINTS} points", element=path)
    points = tuple(_point(pair, path, tag) for pair in pairs)
    if len(points) < 4:
        raise ValidationFailed(
            f"polygon has {len(points)} points; it needs at least 4 space-separated lat,lon "
            "points, the last equal to the first",
            element=path,
        )
    if points[0] != points[-1]:
        raise ValidationFailed(
            "polygon is not closed: its last point must equal its first", element=path
        )
    return points


def _write_polygon(points: tuple[Point, ...]) -> str:
    return " ".join(f"{_write_number(lat)},{_write_number(lon)}" for lat, lon in points)


def _read_circle(text: str, path: str, tag: str) -> Circle:
    parts = text.split()
    if len(parts) != 2:
        raise ValidationFailed(
            f"circle '{_short(text)}' is not 'lat,lon radius' such as '32.9525,-115.5527 0'",
            element=path,
        )
    lat, lon = _point(parts[0], path, tag)
    radius = _number(parts[1], path, tag)
    if radius < 0:
        raise ValidationFailed(f"circle radius {parts[1]} is negative", element=path)
    return Circle(lat, lon, radius)


def _write_circle(c: Circle) -> str:
    return f"{_write_number(c.lat)},{_write_number(c.lon)} {_write_number(c.radius)}"


def _read_references(text: str, path: str, tag: str) -> tuple[Reference, ...]:
    triples = text.split()
    if not triples or len(triples) > MAX_REPEAT:
        raise ValidationFailed(
            f"references holds {len(triples)} entries; give 1 to {MAX_REPEAT} "
            "space-separated sender,identifier,sent triples",
            element=path,
        )
    refs = []
    for triple in triples:
        parts = triple.split(",")
        if len(parts) != 3:
            raise ValidationFailed(
                f"reference '{_short(triple)}' is not sender,identifier,sent", element=path
            )
        sender, identifier = (_read_token(p, path, tag) for p in parts[:2])
        refs.append(Reference(sender, identifier, _read_time(parts[2], path, tag)))
    return tuple(refs)


def _write_references(refs: tuple[Reference, ...]) -> str:
    return " ".join(f"{r.sender},{r.identifier},{format_time(r.sent)}" for r in refs)


# --- the structure: one table drives parse, build and as_payload ------------------------------


@dataclass(frozen=True)
class _Simple:
    """How an element's text becomes a value and back."""

    read: Callable[[str, str, str], Any] = lambda text, path, tag: text
    write: Callable[[Any], str] = str
    payload: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True)
class _F:
    """One element of a sequence, in schema order."""

    tag: str
    kind: _Simple | _Complex
    required: bool = False
    many: int = 0  # 0: at most one; otherwise the most allowed

    @property
    def attr(self) -> str:
        return re.sub("([A-Z])", r"_\1", self.tag).lower()


@dataclass(frozen=True)
class _Complex:
    """An element holding a sequence of elements, read into `cls`."""

    tag: str
    cls: type
    fields: tuple[_F, ...]
    check: Callable[[Any, str], None] = lambda obj, path: None
    signed: bool = False  # xmldsig elements may follow the sequence


_TEXT = _Simple()
_TOKEN = _Simple(_read_token)
_TIME_KIND = _Simple(_read_time, format_time, format_time)
_DECIMAL_KIND = _Simple(_read_decimal, _write_number)
_POLYGON = _Simple(_read_polygon, _write_polygon, _write_polygon)
_CIRCLE = _Simple(_read_circle, _write_circle, _write_circle)
_REFERENCES = _Simple(_read_references, _write_references, _write_references)

_PAIR_FIELDS = (_F("valueName", _TEXT, True), _F("value", _TEXT, True))


def _pair(tag: str) -> _Complex:
    return _Complex(tag, Pair, _PAIR_FIELDS)


def _check_resource(res: Resource, path: str) -> None:
    if res.uri is not None and res.deref_uri is None and not _ABSOLUTE_URI.fullmatch(res.uri):
        raise ValidationFailed(
            f"uri '{_short(res.uri)}' is relative; that is allowed only with derefUri",
            element=f"{path}/uri",
        )


def _check_area(area: Area, path: str) -> None:
    if area.ceiling is not None and area.altitude is None:
        raise ValidationFailed("ceiling needs altitude as well", element=f"{path}/ceiling")


def _check_alert(alert: Alert, path: str) -> None:
    needs = {"Restricted": "restriction", "Private": "addresses"}.get(alert.scope)
    if needs and not (getattr(alert, needs) or "").strip():
        raise ValidationFailed(f"scope {alert.scope} needs {needs}", element=f"{path}/{needs}")
    if alert.msg_type in ("Update", "Cancel") and not alert.references:
        raise ValidationFailed(
            f"msgType {alert.msg_type} needs references: the messages it changes",
            element=f"{path}/references",
        )


_RESOURCE = _Complex(
    "resource",
    Resource,
    (
        _F("resourceDesc", _TEXT, True),
        _F("mimeType", _TEXT, True),
        _F("size", _Simple(_read_size)),
        _F("uri", _Simple(_read_uri)),
        _F("derefUri", _Simple(_read_base64)),
        _F("digest", _TEXT),
    ),
    _check_resource,
)
_AREA = _Complex(
    "area",
    Area,
    (
        _F("areaDesc", _TEXT, True),
        _F("polygon", _POLYGON, many=MAX_REPEAT),
        _F("circle", _CIRCLE, many=MAX_REPEAT),
        _F("geocode", _pair("geocode"), many=MAX_GEOCODE),
        _F("altitude", _DECIMAL_KIND),
        _F("ceiling", _DECIMAL_KIND),
    ),
    _check_area,
)
_INFO = _Complex(
    "info",
    Info,
    (
        _F("language", _Simple(_read_language)),
        _F("category", _enum(CATEGORY), True, MAX_REPEAT),
        _F("event", _TEXT, True),
        _F("responseType", _enum(RESPONSE_TYPE), many=MAX_REPEAT),
        _F("urgency", _enum(URGENCY), True),
        _F("severity", _enum(SEVERITY), True),
        _F("certainty", _enum(CERTAINTY, {"Very Likely": "Likely"}), True),
        _F("audience", _TEXT),
        _F("eventCode", _pair("eventCode"), many=MAX_REPEAT),
        _F("effective", _TIME_KIND),
        _F("onset", _TIME_KIND),
        _F("expires", _TIME_KIND),
        _F("senderName", _TEXT),
        _F("headline", _TEXT),
        _F("description", _TEXT),
        _F("instruction", _TEXT),
        _F("web", _Simple(_read_web)),
        _F("contact", _TEXT),
        _F("parameter", _pair("parameter"), many=MAX_REPEAT),
        _F("resource", _RESOURCE, many=MAX_REPEAT),
        _F("area", _AREA, many=MAX_REPEAT),
    ),
)
_ALERT = _Complex(
    "alert",
    Alert,
    (
        _F("identifier", _TOKEN, True),
        _F("sender", _TOKEN, True),
        _F("sent", _TIME_KIND, True),
        _F("status", _enum(STATUS), True),
        _F("msgType", _enum(MSG_TYPE), True),
        _F("source", _TEXT),
        _F("scope", _enum(SCOPE), True),
        _F("restriction", _TEXT),
        _F("addresses", _TEXT),
        _F("code", _TEXT, many=MAX_REPEAT),
        _F("note", _TEXT),
        _F("references", _REFERENCES),
        _F("incidents", _TEXT),
        _F("info", _INFO, many=MAX_INFO),
    ),
    _check_alert,
    signed=True,
)


# --- parse -----------------------------------------------------------------------------------


def parse(raw: bytes) -> Alert:
    """The alert in `raw`, checked against CAP 1.2; ValidationFailed naming the element."""
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ValidationFailed(
            "XML with a DTD or entity declarations is refused", element=None
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = expat_errors.messages.get(exc.code, "syntax error")
        raise ValidationFailed(
            f"not well-formed XML at line {line}, column {column + 1}: {reason}",
            element=None,
            line=line,
            column=column + 1,
        ) from None
    ns, tag = _split(root.tag)
    if tag != "alert":
        raise ValidationFailed(
            f"the root element is {tag}; a CAP 1.2 message is an <alert> in {NS}", element=tag
        )
    if ns != NS:
        raise ValidationFailed(f"alert is in namespace '{ns}'; CAP 1.2 uses {NS}", element="alert")
    alert: Alert = _read(root, "alert", _ALERT)
    return alert


def _split(tag: str) -> tuple[str, str]:
    ns, _, name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return ns, name


def _read(el: ET.Element, path: str, ctype: _Complex) -> Any:
    kids = _walk(el, path, ctype)
    values: dict[str, Any] = {}
    for f in ctype.fields:
        got = [_value(child, where, f) for where, child in kids[f.tag]]
        if got:
            values[f.attr] = tuple(got) if f.many else got[0]
    obj = ctype.cls(**values)
    ctype.check(obj, path)
    return obj


def _value(el: ET.Element, path: str, f: _F) -> Any:
    if isinstance(f.kind, _Complex):
        return _read(el, path, f.kind)
    _no_attributes(el, path)
    if len(el):
        raise ValidationFailed(
            f"{f.tag} holds text, not elements such as {_split(el[0].tag)[1]}", element=path
        )
    return f.kind.read(el.text or "", path, f.tag)


def _no_attributes(el: ET.Element, path: str) -> None:
    names = [name for name in el.attrib if name not in _SCHEMA_LOCATION]
    if names:
        raise ValidationFailed(
            f"attribute {_split(names[0])[1]} is not allowed: CAP elements carry no attributes",
            element=path,
        )


def _walk(el: ET.Element, path: str, ctype: _Complex) -> dict[str, list[tuple[str, ET.Element]]]:
    """The children of `el` by tag, with their paths, checked against the sequence."""
    _no_attributes(el, path)
    order = {f.tag: i for i, f in enumerate(ctype.fields)}
    kids: dict[str, list[tuple[str, ET.Element]]] = {f.tag: [] for f in ctype.fields}
    last, signatures = "", 0
    _no_text(el.text, path, ctype.tag)
    for child in el:
        _no_text(child.tail, path, ctype.tag)
        ns, tag = _split(child.tag)
        if ctype.signed and ns == DSIG_NS:
            signatures += 1
            if signatures > MAX_REPEAT:
                raise ValidationFailed(
                    f"alert has more than {MAX_REPEAT} signature elements", element=path
                )
            continue
        if ns != NS or tag not in order:
            raise _unknown(ns, tag, path, ctype)
        f = ctype.fields[order[tag]]
        seen = kids[tag]
        where = f"{path}/{tag}[{len(seen) + 1}]" if f.many else f"{path}/{tag}"
        if signatures or (last and order[tag] < order[last]):
            after = "a signature" if signatures else last
            raise ValidationFailed(
                f"{tag} comes after {after} but must come before it (the CAP 1.2 order)",
                element=where,
            )
        if len(seen) >= (f.many or 1):
            most = f"more than {f.many} {tag} elements" if f.many else f"a second {tag}"
            raise ValidationFailed(f"{ctype.tag} has {most}", element=where)
        seen.append((where, child))
        last = tag
    for f in ctype.fields:
        if f.required and not kids[f.tag]:
            raise ValidationFailed(
                f"{ctype.tag} has no {f.tag}; it is required", element=f"{path}/{f.tag}"
            )
    return kids


def _no_text(text: str | None, path: str, tag: str) -> None:
    if text and text.strip(_WS):
        raise ValidationFailed(
            f"text '{_short(text.strip(_WS))}' is not allowed inside {tag}, only elements",
            element=path,
        )


def _unknown(ns: str, tag: str, path: str, ctype: _Complex) -> ValidationFailed:
    allowed = ", ".join(f.tag for f in ctype.fields)
    if ns == NS:
        problem = f"{tag} is not a CAP 1.2 element of {ctype.tag}"
    else:
        problem = f"{tag} in {f'namespace {ns}' if ns else 'no namespace'} is not allowed"
    return ValidationFailed(f"{problem}; {ctype.tag} holds {allowed}", element=f"{path}/{tag}")


# --- build and payload -----------------------------------------------------------------------


def build(alert: Alert) -> bytes:
    """`alert` as a CAP 1.2 document in UTF-8; ValueError if it is not a valid alert."""
    root = ET.Element(f"{{{NS}}}alert")
    _write(root, alert, _ALERT, "alert")
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=NS)
    body = body.replace(b"\r", b"&#13;")  # a raw CR would read back as LF
    try:
        again = parse(body)
    except ValidationFailed as exc:
        raise ValueError(f"{exc.extra.get('element')}: {exc.detail}") from None
    if again != alert:
        raise ValueError(_difference(alert, again, _ALERT, "alert"))
    return body


def _write(parent: ET.Element, obj: Any, ctype: _Complex, path: str) -> None:
    for f in ctype.fields:
        value = getattr(obj, f.attr)
        items = value if f.many else () if value is None or value == () else (value,)
        if f.required and not items:
            raise ValueError(f"{path}/{f.tag} is required")
        for i, item in enumerate(items, 1):
            where = f"{path}/{f.tag}[{i}]" if f.many else f"{path}/{f.tag}"
            child = ET.SubElement(parent, f"{{{NS}}}{f.tag}")
            if isinstance(f.kind, _Complex):
                _write(child, item, f.kind, where)
                continue
            try:
                text = f.kind.write(item)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            bad = _NOT_XML.search(text)
            if bad:
                raise ValueError(f"{where}: character {bad.group()!r} cannot appear in XML")
            child.text = text


def _difference(want: Any, got: Any, ctype: _Complex, path: str) -> str:
    """Where `want` and its read-back `got` first differ, as a message."""
    for f in ctype.fields:
        a, b = getattr(want, f.attr), getattr(got, f.attr)
        if a == b:
            continue
        where = f"{path}/{f.tag}"
        if isinstance(f.kind, _Complex) and f.many and len(a) == len(b):
            i, x, y = next(
                (i, x, y) for i, (x, y) in enumerate(zip(a, b, strict=True), 1) if x != y
            )
            return _difference(x, y, f.kind, f"{where}[{i}]")
        return f"{where}: {a!r} would read back as {b!r}; it cannot be written as CAP 1.2"
    return f"{path} would not read back equal"  # pragma: no cover - a field always differs


def _payload(obj: Any, ctype: _Complex) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in ctype.fields:
        value = getattr(obj, f.attr)
        kind = f.kind

        def convert(item: Any, kind: _Simple | _Complex = kind) -> Any:
            return _payload(item, kind) if isinstance(kind, _Complex) else kind.payload(item)

        if f.many:
            out[f.tag] = [convert(item) for item in value]
        else:
            out[f.tag] = None if value is None or value == () else convert(value)
    return out
