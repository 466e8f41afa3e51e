"""CAP 1.2: the specification's examples, agreement with the schema, hostile XML, round trips.

Test data in tests/data/cap/:

- CAP-v1.2.xsd is the OASIS CAP 1.2 schema ("Copyright OASIS Open 2010", published at
  http://docs.oasis-open.org/emergency/cap/v1.2/CAP-v1.2.xsd), copied byte for byte from
  the copy vendored by google/cap-library as schema/cap12.xsd (commit 4c89bb76a6cc).
  That copy's indentation differs from the OASIS file; its elements, types and facets are
  the same.
- example1..4 are the four messages of Appendix A of the CAP 1.2 specification
  (CAP-v1.2-os), copied from tannerryan/cap testing/Oasis_*.xml (commit a6132716ff15),
  which keeps the OASIS copyright comment and the specification's stray whitespace.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from murphy.core.cap import (
    CATEGORY,
    CERTAINTY,
    MAX_INFO,
    MAX_POINTS,
    MSG_TYPE,
    RESPONSE_TYPE,
    SCOPE,
    SEVERITY,
    STATUS,
    URGENCY,
    Alert,
    Area,
    Circle,
    Info,
    Pair,
    Reference,
    Resource,
    build,
    format_time,
    parse,
)
from murphy.core.errors import ValidationFailed

DATA = Path(__file__).parent.parent / "data" / "cap"
EXAMPLES = sorted(DATA.glob("example*.xml"))
PDT = timezone(timedelta(hours=-7))
REFUSED = "XML with a DTD or entity declarations is refused"


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(DATA / "CAP-v1.2.xsd")


def schema_accepts(doc: bytes) -> bool:
    return bool(schema().is_valid(doc.decode("utf-8")))


def example(number: int) -> Alert:
    return parse(EXAMPLES[number - 1].read_bytes())


def refusal(doc: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse(doc)
    return caught.value


# --- the specification's examples ----------------------------------------------------------


def test_the_four_examples_are_there() -> None:
    assert [p.name for p in EXAMPLES] == [
        "example1-homeland-security.xml",
        "example2-severe-thunderstorm.xml",
        "example3-earthquake-update.xml",
        "example4-amber-alert.xml",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_is_valid_for_the_schema_and_parses(path: Path) -> None:
    raw = path.read_bytes()
    assert schema_accepts(raw)
    alert = parse(raw)
    assert alert.status == "Actual"
    assert alert.info, "every example has an info block"


def test_homeland_security_example() -> None:
    alert = example(1)
    assert alert.identifier == "43b080713727"
    assert alert.sender == "hsas@dhs.gov"
    assert alert.sent == datetime(2003, 4, 2, 14, 39, 1, tzinfo=timezone(timedelta(hours=-5)))
    assert alert.sent.utcoffset() == timedelta(hours=-5)
    (info,) = alert.info
    assert info.language == "en-US", "absent language means en-US"
    assert info.category == ("Security",)
    assert (info.urgency, info.severity, info.certainty) == ("Immediate", "Severe", "Likely")
    assert info.instruction is not None and info.instruction.startswith(" A High Condition")
    assert info.web == "http://www.dhs.gov/dhspublic/display?theme=29"
    assert info.parameter == (Pair("HSAS", "ORANGE"),)
    assert info.resource == (
        Resource(
            resource_desc="Image file (GIF)",
            mime_type="image/gif",
            uri="http://www.dhs.gov/dhspublic/getAdvisoryImage",
        ),
    )
    assert info.area == (Area(area_desc="U.S. nationwide and interests worldwide"),)
    assert alert.references == () and alert.source is None


def test_thunderstorm_example() -> None:
    (info,) = example(2).info
    assert info.response_type == ("Shelter",)
    assert info.event_code == (Pair("SAME", "SVR"),)
    assert info.expires == datetime(2003, 6, 17, 16, 0, tzinfo=PDT)
    (area,) = info.area
    assert area.polygon == (
        ((38.47, -120.14), (38.34, -119.95), (38.52, -119.74), (38.62, -119.89), (38.47, -120.14)),
    )
    assert [g.value for g in area.geocode] == ["006109", "006009", "006003"]
    assert area.altitude is None and area.ceiling is None


def test_earthquake_example_is_an_update_with_its_reference() -> None:
    alert = example(3)
    assert alert.msg_type == "Update"
    assert alert.references == (
        Reference("trinet@caltech.edu", "TRI13970876.1", datetime(2003, 6, 11, 20, 30, tzinfo=PDT)),
    )
    (info,) = alert.info
    assert [p.value_name for p in info.parameter] == [
        "EventID",
        "Version",
        "Magnitude",
        "Depth",
        "Quality",
    ]
    assert info.area[0].circle == (Circle(32.9525, -115.5527, 0.0),)


def test_amber_alert_example_has_two_languages() -> None:
    alert = example(4)
    assert alert.source == "SW"
    assert [i.language for i in alert.info] == ["en-US", "es-US"]
    assert alert.info[1].event == "Abducción de Niño"
    assert alert.info[1].area[0].area_desc == "condado de Los Ángeles"
    assert alert.info[0].area[0].geocode == (Pair("SAME", "006037"),)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip_through_build(path: Path) -> None:
    alert = parse(path.read_bytes())
    out = build(alert)
    assert out.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n")
    assert b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">' in out
    assert schema_accepts(out)
    assert parse(out) == alert


# --- broken documents: our checker and the schema agree ---------------------------------------

BASE = b"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>TEST-1</identifier>
  <sender>ops@example.org</sender>
  <sent>2024-05-01T10:00:00+02:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Security</category>
    <event>Intrusion</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <eventCode><valueName>X</valueName><value>1</value></eventCode>
    <headline>Door forced</headline>
    <parameter><valueName>door</valueName><value>D-12</value></parameter>
    <resource>
      <resourceDesc>photo</resourceDesc>
      <mimeType>image/jpeg</mimeType>
      <size>1024</size>
      <uri>https://example.org/p.jpg</uri>
    </resource>
    <area>
      <areaDesc>Building A</areaDesc>
      <polygon>1,1 1,2 2,2 1,1</polygon>
      <circle>1.5,1.5 0.2</circle>
      <geocode><valueName>site</valueName><value>HQ</value></geocode>
      <altitude>0</altitude>
      <ceiling>30</ceiling>
    </area>
  </info>
</alert>
"""


def mutate(old: str, new: str) -> bytes:
    assert old.encode() in BASE, old
    return BASE.replace(old.encode(), new.encode(), 1)


def test_the_base_document_is_valid() -> None:
    assert schema_accepts(BASE)
    assert parse(BASE).info[0].area[0].ceiling == 30.0


INFO = "alert/info[1]"
AREA = f"{INFO}/area[1]"
RES = f"{INFO}/resource[1]"

# (old text, new text, the element named, whether the schema refuses it too)
BROKEN = [
    pytest.param(*case, id=name)
    for name, case in {
        # required elements
        "no identifier": ("<identifier>TEST-1</identifier>", "", "alert/identifier", True),
        "no sender": ("<sender>ops@example.org</sender>", "", "alert/sender", True),
        "no sent": ("<sent>2024-05-01T10:00:00+02:00</sent>", "", "alert/sent", True),
        "no status": ("<status>Actual</status>", "", "alert/status", True),
        "no msgType": ("<msgType>Alert</msgType>", "", "alert/msgType", True),
        "no scope": ("<scope>Public</scope>", "", "alert/scope", True),
        "no category": ("<category>Security</category>", "", f"{INFO}/category", True),
        "no event": ("<event>Intrusion</event>", "", f"{INFO}/event", True),
        "no urgency": ("<urgency>Immediate</urgency>", "", f"{INFO}/urgency", True),
        "no severity": ("<severity>Severe</severity>", "", f"{INFO}/severity", True),
        "no certainty": ("<certainty>Observed</certainty>", "", f"{INFO}/certainty", True),
        "no areaDesc": ("<areaDesc>Building A</areaDesc>", "", f"{AREA}/areaDesc", True),
        "no resourceDesc": ("<resourceDesc>photo</resourceDesc>", "", f"{RES}/resourceDesc", True),
        "no mimeType": ("<mimeType>image/jpeg</mimeType>", "", f"{RES}/mimeType", True),
        "eventCode without valueName": (
            "<valueName>X</valueName>",
            "",
            f"{INFO}/eventCode[1]/valueName",
            True,
        ),
        "parameter without value": ("<value>D-12</value>", "", f"{INFO}/parameter[1]/value", True),
        "geocode without value": ("<value>HQ</value>", "", f"{AREA}/geocode[1]/value", True),
        # value lists
        "status": ("<status>Actual", "<status>Real", "alert/status", True),
        "msgType": ("<msgType>Alert", "<msgType>Notice", "alert/msgType", True),
        "scope": ("<scope>Public", "<scope>Everyone", "alert/scope", True),
        "category": ("<category>Security", "<category>Crime", f"{INFO}/category[1]", True),
        "responseType": (
            "<event>Intrusion</event>",
            "<event>Intrusion</event><responseType>Run</responseType>",
            f"{INFO}/responseType[1]",
            True,
        ),
        "urgency": ("<urgency>Immediate", "<urgency>Soon", f"{INFO}/urgency", True),
        "severity": ("<severity>Severe", "<severity>Bad", f"{INFO}/severity", True),
        "certainty": ("<certainty>Observed", "<certainty>Sure", f"{INFO}/certainty", True),
        "lower-case status": ("<status>Actual", "<status>actual", "alert/status", True),
        "status with space": ("<status>Actual", "<status> Actual", "alert/status", True),
        # date-times
        "sent with Z": ("10:00:00+02:00", "10:00:00Z", "alert/sent", True),
        "sent without offset": ("10:00:00+02:00", "10:00:00", "alert/sent", True),
        "sent with fraction": ("10:00:00+02:00", "10:00:00.5+02:00", "alert/sent", True),
        "sent on 30 February": ("2024-05-01T", "2024-02-30T", "alert/sent", True),
        "sent offset over 14h": ("10:00:00+02:00", "10:00:00+15:00", "alert/sent", True),
        "effective with Z": (
            "<headline>",
            "<effective>2024-05-01T10:00:00Z</effective><headline>",
            f"{INFO}/effective",
            True,
        ),
        "expires without offset": (
            "<headline>",
            "<expires>2024-05-01T10:00:00</expires><headline>",
            f"{INFO}/expires",
            True,
        ),
        # numbers, languages, structure the schema knows
        "altitude not a number": ("<altitude>0", "<altitude>high", f"{AREA}/altitude", True),
        "altitude with exponent": ("<altitude>0", "<altitude>1e3", f"{AREA}/altitude", True),
        "size not an integer": ("<size>1024", "<size>1.5", f"{RES}/size", True),
        # too big for Python (and xmlschema) to hold: refused, not a crash
        "size of 5000 digits": ("<size>1024", "<size>" + "9" * 5000, f"{RES}/size", True),
        "altitude of 400 digits": (
            "<altitude>0",
            "<altitude>" + "9" * 400,
            f"{AREA}/altitude",
            True,
        ),
        "bad language": (
            "<category>Security",
            "<language>en_US</language><category>Security",
            f"{INFO}/language",
            True,
        ),
        "unknown CAP element": (
            "<headline>",
            "<colour>red</colour><headline>",
            f"{INFO}/colour",
            True,
        ),
        "element of another namespace": (
            "<headline>",
            '<x:tag xmlns:x="urn:other">1</x:tag><headline>',
            f"{INFO}/tag",
            True,
        ),
        "element without namespace": (
            "<headline>",
            '<note xmlns="">n</note><headline>',
            f"{INFO}/note",
            True,
        ),
        "headline before event": (
            "<event>Intrusion</event>",
            "<headline>early</headline><event>Intrusion</event>",
            f"{INFO}/event",
            True,
        ),
        "sender before identifier": (
            "<identifier>TEST-1</identifier>\n  <sender>ops@example.org</sender>",
            "<sender>ops@example.org</sender><identifier>TEST-1</identifier>",
            "alert/identifier",
            True,
        ),
        "ceiling before altitude": (
            "<altitude>0</altitude>\n      <ceiling>30</ceiling>",
            "<ceiling>30</ceiling><altitude>0</altitude>",
            f"{AREA}/altitude",
            True,
        ),
        "two identifiers": (
            "<identifier>TEST-1</identifier>",
            "<identifier>TEST-1</identifier><identifier>TEST-2</identifier>",
            "alert/identifier",
            True,
        ),
        "info before scope": (
            "<scope>Public</scope>",
            "<scope>Public</scope><info><category>Geo</category><event>e</event>"
            "<urgency>Past</urgency><severity>Minor</severity><certainty>Likely</certainty>"
            "</info><note>late</note>",
            "alert/note",
            True,
        ),
        "attribute": ("<headline>", '<headline lang="en">', f"{INFO}/headline", True),
        "text inside info": ("<headline>", "stray<headline>", INFO, True),
        "element inside headline": (
            "<headline>Door forced",
            "<headline><b>Door</b> forced",
            f"{INFO}/headline",
            True,
        ),
        "wrong namespace": (":cap:1.2", ":cap:1.1", "alert", True),
        "no namespace": (' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', "", "alert", True),
        # rules of the Data Dictionary beyond the schema
        "identifier with space": ("TEST-1<", "TEST 1<", "alert/identifier", False),
        "identifier with comma": ("TEST-1<", "TEST,1<", "alert/identifier", False),
        "identifier with ampersand": ("TEST-1<", "TEST&amp;1<", "alert/identifier", False),
        "identifier with less-than": ("TEST-1<", "TEST&lt;1<", "alert/identifier", False),
        "empty sender": ("<sender>ops@example.org", "<sender>", "alert/sender", False),
        "restricted without restriction": (
            "<scope>Public",
            "<scope>Restricted",
            "alert/restriction",
            False,
        ),
        "private without addresses": ("<scope>Public", "<scope>Private", "alert/addresses", False),
        "update without references": (
            "<msgType>Alert",
            "<msgType>Update",
            "alert/references",
            False,
        ),
        "cancel without references": (
            "<msgType>Alert",
            "<msgType>Cancel",
            "alert/references",
            False,
        ),
        "references not triples": (
            "<info>",
            "<references>ops@example.org,TEST-0</references><info>",
            "alert/references",
            False,
        ),
        "references with a bad time": (
            "<info>",
            "<references>ops@example.org,TEST-0,2024-05-01T09:00:00Z</references><info>",
            "alert/references",
            False,
        ),
        "polygon of three points": (
            "<polygon>1,1 1,2 2,2 1,1",
            "<polygon>1,1 1,2 1,1",
            f"{AREA}/polygon[1]",
            False,
        ),
        "polygon not closed": (
            "<polygon>1,1 1,2 2,2 1,1",
            "<polygon>1,1 1,2 2,2 2,1",
            f"{AREA}/polygon[1]",
            False,
        ),
        "polygon off the globe": (
            "<polygon>1,1 1,2 2,2 1,1",
            "<polygon>1,1 91,2 2,2 1,1",
            f"{AREA}/polygon[1]",
            False,
        ),
        "polygon of words": (
            "<polygon>1,1 1,2 2,2 1,1",
            "<polygon>a,b c,d e,f a,b",
            f"{AREA}/polygon[1]",
            False,
        ),
        "second polygon broken": (
            "</polygon>",
            "</polygon><polygon>1,1 1,200 2,2 1,1</polygon>",
            f"{AREA}/polygon[2]",
            False,
        ),
        "circle without radius": (
            "<circle>1.5,1.5 0.2",
            "<circle>1.5,1.5",
            f"{AREA}/circle[1]",
            False,
        ),
        "circle with negative radius": (
            "<circle>1.5,1.5 0.2",
            "<circle>1.5,1.5 -1",
            f"{AREA}/circle[1]",
            False,
        ),
        "ceiling without altitude": ("<altitude>0</altitude>", "", f"{AREA}/ceiling", False),
        "negative size": ("<size>1024", "<size>-1", f"{RES}/size", False),
        "size of 19 digits": ("<size>1024", "<size>" + "9" * 19, f"{RES}/size", False),
        "relative uri without derefUri": (
            "<uri>https://example.org/p.jpg",
            "<uri>p.jpg",
            f"{RES}/uri",
            False,
        ),
        "derefUri not base64": (
            "</uri>",
            "</uri><derefUri>not base64!</derefUri>",
            f"{RES}/derefUri",
            False,
        ),
        "relative web": (
            "<headline>Door forced</headline>",
            "<headline>Door forced</headline><web>alerts/1</web>",
            f"{INFO}/web",
            False,
        ),
    }.items()
]


@pytest.mark.parametrize(("old", "new", "element", "schema_refuses"), BROKEN)
def test_broken_documents_are_refused_naming_the_element(
    old: str, new: str, element: str, schema_refuses: bool
) -> None:
    doc = mutate(old, new)
    error = refusal(doc)
    assert error.extra["element"] == element, error.detail
    assert error.detail
    # Where the schema has a rule, it refuses too; the rest are CAP's own rules that the
    # schema cannot express, and it accepts those documents.
    assert schema_accepts(doc) is not schema_refuses


def test_a_document_with_signature_stays_valid_and_the_signature_is_ignored() -> None:
    doc = mutate(
        "</info>\n", '</info><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>'
    )
    assert parse(doc) == parse(BASE)


def test_nothing_may_follow_a_signature() -> None:
    doc = mutate(
        "  <info>",
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><info>',
    )
    assert refusal(doc).extra["element"] == "alert/info[1]"
    assert not schema_accepts(doc)


def test_wrong_root_element() -> None:
    doc = b'<feed xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></feed>'
    error = refusal(doc)
    assert error.extra["element"] == "feed"
    assert "<alert>" in error.detail
    assert not schema_accepts(doc)


def test_a_value_list_refusal_says_what_is_allowed() -> None:
    error = refusal(mutate("<urgency>Immediate", "<urgency>Soon"))
    assert error.detail == "urgency 'Soon' is not one of Immediate, Expected, Future, Past, Unknown"


def test_time_refusals_say_what_is_wrong() -> None:
    zulu = refusal(mutate("10:00:00+02:00", "10:00:00Z")).detail
    assert "'Z'" in zulu and "+hh:mm" in zulu
    assert "no offset" in refusal(mutate("10:00:00+02:00", "10:00:00")).detail


def test_missing_and_unknown_elements_say_so() -> None:
    assert "required" in refusal(mutate("<event>Intrusion</event>", "")).detail
    unknown = refusal(mutate("<headline>", "<colour>red</colour><headline>")).detail
    assert "colour" in unknown and "headline" in unknown  # names what info may hold


def test_not_well_formed_xml_gives_line_and_column() -> None:
    error = refusal(b"<alert>\n  <identifier>x</sender>\n</alert>")
    assert error.extra == {"element": None, "line": 2, "column": 18}
    assert "line 2, column 18" in error.detail
    assert "mismatched tag" in error.detail


def test_an_undefined_entity_is_not_well_formed() -> None:
    error = refusal(mutate("Door forced", "&nbsp;"))
    assert error.extra["element"] is None and "undefined entity" in error.detail


def test_the_deprecated_very_likely_reads_as_likely() -> None:
    doc = mutate("<certainty>Observed", "<certainty>Very Likely")
    assert parse(doc).info[0].certainty == "Likely"
    assert not schema_accepts(doc), "the 1.2 schema dropped it; we accept it on purpose"


def test_too_many_infos_are_refused() -> None:
    info = b"<info>" + BASE.split(b"<info>")[1].split(b"</info>")[0] + b"</info>"
    doc = BASE.replace(info, info * (MAX_INFO + 1))
    assert len(parse(BASE.replace(info, info * MAX_INFO)).info) == MAX_INFO
    error = refusal(doc)
    assert error.extra["element"] == f"alert/info[{MAX_INFO + 1}]"
    assert str(MAX_INFO) in error.detail


def test_too_many_polygon_points_are_refused() -> None:
    ring = " ".join(["1,1"] + ["1,2"] * (MAX_POINTS - 1) + ["1,1"])
    error = refusal(mutate("1,1 1,2 2,2 1,1", ring))
    assert error.extra["element"] == f"{AREA}/polygon[1]"
    assert str(MAX_POINTS) in error.detail


# --- hostile XML ------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE alert [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>
"""


def quadratic_blowup() -> bytes:
    entity = "B" * 100_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY b "{entity}">]>'
        f'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>{"&b;" * 10_000}</note>'
        "</alert>"
    ).encode()


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://attacker.example/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote;]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>
"""


@pytest.mark.parametrize(
    "doc",
    [BILLION_LAUGHS, quadratic_blowup(), XXE, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion laughs", "quadratic blowup", "external entity", "external DTD", "parameter"],
)
def test_dtds_and_entities_are_refused_before_expansion(doc: bytes) -> None:
    started = time.perf_counter()
    error = refusal(doc)
    assert time.perf_counter() - started < 0.5
    assert error.detail == REFUSED
    assert error.extra == {"element": None}
    text = repr(error.extra) + error.detail
    assert "lol" not in text and "BBBB" not in text and "root:" not in text


# --- times ------------------------------------------------------------------------------------


def test_format_time_writes_the_offset_and_utc_as_plus_zero() -> None:
    assert format_time(datetime(2003, 6, 17, 14, 57, tzinfo=PDT)) == "2003-06-17T14:57:00-07:00"
    assert format_time(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2024-01-02T03:04:05-00:00"
    india = timezone(timedelta(hours=5, minutes=30))
    assert format_time(datetime(999, 1, 1, tzinfo=india)) == "0999-01-01T00:00:00+05:30"
    assert format_time(datetime(2024, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC)).endswith("05-00:00")


def test_format_time_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone"):
        format_time(datetime(2024, 1, 1))


def test_minus_zero_reads_as_utc_and_is_written_plus_zero() -> None:
    alert = parse(mutate("10:00:00+02:00", "08:00:00-00:00"))
    assert alert.sent == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert alert.sent.utcoffset() == timedelta(0)
    assert b"<sent>2024-05-01T08:00:00-00:00</sent>" in build(alert)


def test_times_are_aware_and_keep_their_offset() -> None:
    sent = parse(BASE).sent
    assert sent.utcoffset() == timedelta(hours=2)
    assert sent == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_end_of_day_24_00_is_midnight_next_day() -> None:
    doc = mutate("2024-05-01T10:00:00+02:00", "2024-12-31T24:00:00+02:00")
    assert schema_accepts(doc)
    assert parse(doc).sent == datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=2)))


def test_whitespace_around_a_time_is_allowed_as_in_the_schema() -> None:
    doc = mutate("<sent>2024-05-01T10:00:00+02:00", "<sent>\n 2024-05-01T10:00:00+02:00 ")
    assert schema_accepts(doc)
    assert parse(doc).sent == parse(BASE).sent


# --- build ------------------------------------------------------------------------------------


def base_alert() -> Alert:
    return parse(BASE)


def test_build_escapes_text() -> None:
    tricky = "a < b && c > d ]]> \"q\" 'q' \r\n\ttab ünïcødé 🚨"
    info = replace(base_alert().info[0], headline=tricky, description="")
    alert = replace(base_alert(), info=(info,), note="<note>&amp;</note>")
    out = build(alert)
    assert b"&lt;note&gt;&amp;amp;&lt;/note&gt;" in out
    assert schema_accepts(out)
    again = parse(out)
    assert again.info[0].headline == tricky
    assert again.info[0].description == ""
    assert again == alert


def test_build_writes_elements_in_schema_order() -> None:
    out = build(example(2)).decode()
    tags = re.findall(r"<(\w+)[ >]", out)
    info_tags = tags[tags.index("info") + 1 : tags.index("area")]
    assert info_tags == [
        "language",
        "category",
        "event",
        "responseType",
        "urgency",
        "severity",
        "certainty",
        "eventCode",
        "valueName",
        "value",
        "expires",
        "senderName",
        "headline",
        "description",
        "instruction",
        "contact",
    ]


def test_lists_are_accepted_and_become_tuples() -> None:
    alert = base_alert()
    area = alert.info[0].area[0]
    lists: dict[str, Any] = {
        "polygon": [[list(p) for p in ring] for ring in area.polygon],
        "geocode": list(area.geocode),
    }
    as_lists = replace(area, **lists)
    assert as_lists == area
    assert isinstance(as_lists.polygon[0][0], tuple)
    area_list: Any = [as_lists]  # lists where tuples are typed
    info: Any = [replace(alert.info[0], area=area_list)]
    rebuilt = replace(alert, info=info)
    assert rebuilt == alert
    assert hash(rebuilt) == hash(alert)


BAD_ALERTS = {
    "restricted without restriction": lambda a: replace(a, scope="Restricted"),
    "update without references": lambda a: replace(a, msg_type="Update"),
    "bad status": lambda a: replace(a, status="Real"),
    "identifier with space": lambda a: replace(a, identifier="a b"),
    "naive time": lambda a: replace(a, sent=datetime(2024, 1, 1)),
    "microseconds": lambda a: replace(a, sent=datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=UTC)),
    "control character": lambda a: replace(a, note="bell \x07"),
    "open polygon": lambda a: replace(
        a,
        info=(
            replace(
                a.info[0],
                area=(
                    Area(
                        area_desc="x", polygon=(((1.0, 1.0), (1.0, 2.0), (2.0, 2.0), (2.0, 1.0)),)
                    ),
                ),
            ),
        ),
    ),
    "nan altitude": lambda a: replace(
        a, info=(replace(a.info[0], area=(Area(area_desc="x", altitude=float("nan")),)),)
    ),
    "no category": lambda a: replace(a, info=(replace(a.info[0], category=()),)),
    "very likely": lambda a: replace(a, info=(replace(a.info[0], certainty="Very Likely"),)),
}


@pytest.mark.parametrize("change", BAD_ALERTS.values(), ids=BAD_ALERTS.keys())
def test_build_refuses_an_invalid_alert(change: Any) -> None:
    with pytest.raises(ValueError, match=r"alert"):
        build(change(base_alert()))


def test_build_says_which_element_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"alert/restriction"):
        build(replace(base_alert(), scope="Restricted"))
    with pytest.raises(ValueError, match=r"alert/sent"):
        build(replace(base_alert(), sent=datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=UTC)))
    bad_area = replace(base_alert().info[0], area=(Area(area_desc="x", ceiling=3.0),))
    with pytest.raises(ValueError, match=r"alert/info\[1\]/area\[1\]/ceiling"):
        build(replace(base_alert(), info=(bad_area,)))


def test_build_writes_small_and_large_numbers_without_exponent() -> None:
    area = Area(
        area_desc="x",
        circle=(Circle(1e-05, -0.0, 1e16),),
        altitude=1e-07,
        ceiling=2.5e20,
    )
    alert = replace(base_alert(), info=(replace(base_alert().info[0], area=(area,)),))
    out = build(alert)
    assert b"<circle>0.00001,-0.0 10000000000000000</circle>" in out
    assert b"<altitude>0.0000001</altitude>" in out
    assert b"e" not in re.sub(rb"<[^>]*>", b"", out.split(b"<area>")[1])
    assert schema_accepts(out)
    assert parse(out) == alert


# --- as_payload -------------------------------------------------------------------------------


def test_payload_is_json_with_cap_names() -> None:
    payload = example(3).as_payload()
    again = json.loads(json.dumps(payload))
    assert again == payload
    assert payload["msgType"] == "Update"
    assert payload["sent"] == "2003-06-11T20:56:00-07:00"
    assert payload["references"] == "trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00"
    assert payload["info"][0]["headline"] == "EQ 3.4 Imperial County CA"
    assert payload["info"][0]["parameter"][2] == {"valueName": "Magnitude", "value": "3.4 Ml"}
    assert payload["info"][0]["area"][0]["circle"] == ["32.9525,-115.5527 0.0"]
    assert payload["info"][0]["area"][0]["areaDesc"].startswith("1 mi. WSW of Brawley")
    assert payload["info"][0]["expires"] is None and payload["code"] == []


def test_payload_of_the_base_document() -> None:
    payload = base_alert().as_payload()
    json.dumps(payload)
    area = payload["info"][0]["area"][0]
    assert area["polygon"] == ["1.0,1.0 1.0,2.0 2.0,2.0 1.0,1.0"]
    assert (area["altitude"], area["ceiling"]) == (0.0, 30.0)
    assert payload["info"][0]["resource"][0]["size"] == 1024
    assert payload["info"][0]["language"] == "en-US"
    assert payload["references"] is None


# --- property: any valid alert survives build and parse ---------------------------------------

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TEXT = st.text(
    st.one_of(
        st.sampled_from("<>&\"' \t\r\n]]>;#"),
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn")),
    ),
    max_size=25,
)
SOME_TEXT = TEXT.filter(lambda s: s.strip() != "")
TOKEN = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=20,
).filter(lambda s: not re.search(r"[\s,<&]", s))
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
TIMES = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS
).map(lambda d: d.replace(microsecond=0))
LAT = st.floats(-90, 90, allow_nan=False)
LON = st.floats(-180, 180, allow_nan=False)
NUMBER = st.floats(-1e6, 1e6, allow_nan=False)
URI = st.from_regex(r"https://example\.org/[a-z0-9._~-]{0,12}", fullmatch=True)
PAIRS = st.lists(st.builds(Pair, TEXT, TEXT), max_size=3).map(tuple)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def areas(draw: st.DrawFn) -> Area:
    rings = draw(st.lists(st.lists(st.tuples(LAT, LON), min_size=3, max_size=6), max_size=2))
    altitude = draw(optional(NUMBER))
    return Area(
        area_desc=draw(TEXT),
        polygon=tuple((*ring, ring[0]) for ring in rings),
        circle=tuple(draw(st.lists(st.builds(Circle, LAT, LON, st.floats(0, 1e5)), max_size=2))),
        geocode=draw(PAIRS),
        altitude=altitude,
        ceiling=None if altitude is None else draw(optional(NUMBER)),
    )


RESOURCES = st.builds(
    Resource,
    resource_desc=TEXT,
    mime_type=TEXT,
    size=optional(st.integers(0, 10**12)),
    uri=optional(URI),
    deref_uri=optional(st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode())),
    digest=optional(TEXT),
)

INFOS = st.builds(
    Info,
    language=st.from_regex(r"[a-z]{2}(-[A-Z]{2})?", fullmatch=True),
    category=st.lists(st.sampled_from(CATEGORY), min_size=1, max_size=3).map(tuple),
    event=TEXT,
    response_type=st.lists(st.sampled_from(RESPONSE_TYPE), max_size=2).map(tuple),
    urgency=st.sampled_from(URGENCY),
    severity=st.sampled_from(SEVERITY),
    certainty=st.sampled_from(CERTAINTY),
    audience=optional(TEXT),
    event_code=PAIRS,
    effective=optional(TIMES),
    onset=optional(TIMES),
    expires=optional(TIMES),
    sender_name=optional(TEXT),
    headline=optional(TEXT),
    description=optional(TEXT),
    instruction=optional(TEXT),
    web=optional(URI),
    contact=optional(TEXT),
    parameter=PAIRS,
    resource=st.lists(RESOURCES, max_size=2).map(tuple),
    area=st.lists(areas(), max_size=3).map(tuple),
)


@st.composite
def alerts(draw: st.DrawFn) -> Alert:
    scope = draw(st.sampled_from(SCOPE))
    msg_type = draw(st.sampled_from(MSG_TYPE))
    references = st.builds(Reference, TOKEN, TOKEN, TIMES)
    needs_refs = msg_type in ("Update", "Cancel")
    return Alert(
        identifier=draw(TOKEN),
        sender=draw(TOKEN),
        sent=draw(TIMES),
        status=draw(st.sampled_from(STATUS)),
        msg_type=msg_type,
        source=draw(optional(TEXT)),
        scope=scope,
        restriction=draw(SOME_TEXT if scope == "Restricted" else optional(TEXT)),
        addresses=draw(SOME_TEXT if scope == "Private" else optional(TEXT)),
        code=tuple(draw(st.lists(TEXT, max_size=2))),
        note=draw(optional(TEXT)),
        references=tuple(draw(st.lists(references, min_size=needs_refs, max_size=3))),
        incidents=draw(optional(TEXT)),
        info=tuple(draw(st.lists(INFOS, max_size=3))),
    )


@given(alerts())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_valid_alert_builds_to_a_schema_valid_document_that_reads_back_equal(
    alert: Alert,
) -> None:
    out = build(alert)
    assert not _NOT_XML.search(out.decode("utf-8"))
    assert schema_accepts(out)
    assert parse(out) == alert
    assert json.loads(json.dumps(alert.as_payload())) == alert.as_payload()
