"""Mapping a JSON payload to a signal: paths, templates, severities, fingerprints, clears."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from murphy.core.errors import ValidationFailed
from murphy.signals.mapping import (
    DESCRIPTION_MAX,
    PLACE_MAX,
    TITLE_MAX,
    Condition,
    Mapping,
    apply,
    get_path,
    missing,
    parse_payload,
    render,
)

PAYLOAD: dict[str, Any] = {
    "event": {"name": "Door forced", "code": 130, "severity": "HIGH", "state": "alarm"},
    "door": "D-12",
    "zone": "north",
    "devices": [{"id": "cam-1", "tags": ["a", "b"]}, {"id": "cam-2"}],
    "armed": True,
    "disarmed": False,
    "ratio": 0.25,
    "nothing": None,
    "site": "HQ",
}


# --- paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("door", "D-12"),
        ("event.name", "Door forced"),
        ("event.code", 130),
        ("devices[0].id", "cam-1"),
        ("devices[1].id", "cam-2"),
        ("devices[0].tags[1]", "b"),
        (" event.name ", "Door forced"),
        ("armed", True),
    ],
)
def test_paths_follow_dots_and_indexes(path: str, expected: object) -> None:
    assert get_path(PAYLOAD, path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "missing",
        "event.missing",
        "event.name.deeper",  # a key into a string
        "devices[2].id",  # past the end
        "devices.0.id",  # a key into a list
        "event[0]",  # an index into an object
        "nothing.below",
    ],
)
def test_missing_paths_are_none(path: str) -> None:
    assert get_path(PAYLOAD, path) is None


def test_a_path_may_start_with_an_index_for_a_list_payload() -> None:
    assert get_path([{"id": 7}], "[0].id") == 7
    assert get_path([[1, 2]], "[0][1]") == 2


def test_keys_may_hold_spaces() -> None:
    assert get_path({"door name": {"x": 1}}, "door name.x") == 1


@pytest.mark.parametrize("path", ["", "  ", "a..b", ".a", "a.", "a[x]", "a[-1]", "a[0", "a]"])
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(ValidationFailed):
        get_path(PAYLOAD, path)


# --- rendering -------------------------------------------------------------------------


def test_templates_fill_placeholders_and_keep_literal_text() -> None:
    assert render("{event.name} at {door}", PAYLOAD) == "Door forced at D-12"
    assert render("fire.alarm", PAYLOAD) == "fire.alarm"
    assert render("{ zone } / {door}", PAYLOAD) == "north / D-12"


def test_double_braces_are_literal() -> None:
    assert render("{{door}} is {door}", PAYLOAD) == "{door} is D-12"
    assert render("}}{{", PAYLOAD) == "}{"
    assert render("{{{door}}}", PAYLOAD) == "{D-12}"


def test_values_render_as_text() -> None:
    assert render("{event.code}|{armed}|{disarmed}|{ratio}|{nothing}|{missing}", PAYLOAD) == (
        "130|true|false|0.25||"
    )
    assert render("{devices[0]}", PAYLOAD) == '{"id":"cam-1","tags":["a","b"]}'
    assert render("{devices[0].tags}", PAYLOAD) == '["a","b"]'
    assert render("{x}", {"x": "é"}) == "é"


def test_a_huge_integer_still_renders() -> None:
    assert render("{x}", {"x": 10**5000}).startswith("0x")


@pytest.mark.parametrize(
    "template", ["{door", "door}", "{}", "{ }", "{a..b}", "{a[x]}", "{a{b}}", "x } y"]
)
def test_bad_templates_are_refused_by_render(template: str) -> None:
    with pytest.raises(ValidationFailed, match="template"):
        render(template, PAYLOAD)


# --- the mapping -----------------------------------------------------------------------


def panel_mapping(**changes: Any) -> Mapping:
    fields: dict[str, Any] = {
        "title": "{event.name} at {door}",
        "type": "intrusion.{event.state}",
        "severity": "{event.severity}",
        "severities": {"critical": 1, "High": 2, "low": 4},
        "site": "{site}",
        "place": "{zone} / {door}",
        "zone": "{zone}",
        "fingerprint": ["door", "event.code"],
        "clear": {"path": "event.state", "equals": ["restore", "normal"]},
        "description": "Panel event {event.code}: {event.name}",
    }
    fields.update(changes)
    return Mapping.model_validate(fields)


def test_apply_picks_every_field() -> None:
    mapped = apply(panel_mapping(), PAYLOAD, source="panel")
    assert mapped.title == "Door forced at D-12"
    assert mapped.type == "intrusion.alarm"
    assert mapped.severity == "HIGH"
    assert mapped.priority == 2
    assert mapped.site == "HQ"
    assert mapped.place == "north / D-12"
    assert mapped.zone == "north"
    assert mapped.is_clear is False
    assert mapped.description == "Panel event 130: Door forced"
    expected = hashlib.sha256(b"D-12\x1f130").hexdigest()
    assert mapped.fingerprint == expected


@pytest.mark.parametrize(
    ("severity", "priority"), [("critical", 1), ("CRITICAL", 1), ("high", 2), (" Low ", 4)]
)
def test_severities_are_compared_in_any_case(severity: str, priority: int) -> None:
    mapped = apply(panel_mapping(), {"event": {"severity": severity}}, source="panel")
    assert mapped.priority == priority


def test_an_unknown_or_missing_severity_has_no_priority() -> None:
    assert apply(panel_mapping(), {"event": {"severity": "weird"}}, source="p").priority is None
    missing = apply(panel_mapping(), {}, source="p")
    assert missing.priority is None
    assert missing.severity is None


def test_optional_fields_absent_or_empty_are_none() -> None:
    mapped = apply(Mapping(title="Panic"), {"x": 1}, source="panic")
    assert (mapped.type, mapped.site, mapped.zone, mapped.severity) == (None, None, None, None)
    assert mapped.place == ""
    assert mapped.description == ""
    assert mapped.is_clear is False
    empty = apply(panel_mapping(), {"door": "D1"}, source="panel")
    assert empty.zone is None
    assert empty.site is None


def test_a_constant_type() -> None:
    assert apply(panel_mapping(type="fire.alarm"), {}, source="p").type == "fire.alarm"


def test_the_fingerprint_is_stable_and_tells_signals_apart() -> None:
    mapping = panel_mapping()
    first = apply(mapping, PAYLOAD, source="panel").fingerprint
    again = apply(mapping, json.loads(json.dumps(PAYLOAD)), source="panel").fingerprint
    other_door = apply(mapping, {**PAYLOAD, "door": "D-13"}, source="panel").fingerprint
    other_name = apply(
        mapping, {**PAYLOAD, "event": {**PAYLOAD["event"], "name": "x"}}, source="panel"
    )
    assert first == again
    assert first != other_door
    assert other_name.fingerprint == first  # the name is not part of the fingerprint
    assert len(first) == 64


def test_without_fingerprint_paths_the_title_identifies() -> None:
    mapping = panel_mapping(fingerprint=[])
    mapped = apply(mapping, PAYLOAD, source="panel")
    assert mapped.fingerprint == hashlib.sha256(mapped.title.encode()).hexdigest()
    other = apply(mapping, {**PAYLOAD, "door": "D-13"}, source="panel")
    assert other.fingerprint != mapped.fingerprint


@pytest.mark.parametrize(
    ("state", "is_clear"),
    [("restore", True), ("RESTORE", True), (" Normal ", True), ("alarm", False), (None, False)],
)
def test_clear_conditions(state: str | None, is_clear: bool) -> None:
    payload = {"event": {"state": state}}
    assert apply(panel_mapping(), payload, source="panel").is_clear is is_clear


def test_clear_conditions_on_numbers_and_booleans() -> None:
    condition = Condition.model_validate({"path": "ok", "equals": [True, 0]})
    assert condition.equals == ["true", "0"]
    assert condition.matches({"ok": True})
    assert condition.matches({"ok": 0})
    assert not condition.matches({"ok": False})
    assert Condition.model_validate({"path": "s", "equals": "restore"}).matches({"s": "Restore"})


def test_the_title_falls_back_to_the_source() -> None:
    assert apply(panel_mapping(), {}, source="panel").title == "Signal from panel"
    assert apply(Mapping(title="{x}"), {"x": "   "}, source="siem").title == "Signal from siem"
    assert apply(Mapping(title="{x}"), {"x": "ok"}, source="siem").title == "ok"
    assert apply(Mapping(title="Panic button"), {}, source="siem").title == "Panic button"


def test_one_line_fields_lose_control_characters() -> None:
    mapped = apply(Mapping(title="{x}", place="{x}"), {"x": "  a\n\tb\x07c\x00d  "}, source="s")
    assert mapped.title == "a b cd"  # NUL cannot be stored: it is dropped
    assert mapped.place == "a b cd"


def test_lone_surrogates_are_replaced() -> None:
    payload = json.loads('{"x": "bad \\ud800 text"}')
    mapped = apply(Mapping(title="{x}", description="{x}", fingerprint=["x"]), payload, source="s")
    assert mapped.title == "bad \ufffd text"
    assert mapped.description == "bad \ufffd text"
    assert len(mapped.fingerprint) == 64


def test_long_fields_are_cut_with_an_ellipsis() -> None:
    payload = {"t": "x" * 500, "d": "y" * 30_000}
    mapped = apply(Mapping(title="{t}", place="{t}", description="{d}"), payload, source="s")
    assert len(mapped.title) == TITLE_MAX
    assert mapped.title.endswith("…")
    assert len(mapped.place) == PLACE_MAX
    assert mapped.place.endswith("…")
    assert len(mapped.description) == DESCRIPTION_MAX
    assert mapped.description.endswith("…")
    short = apply(Mapping(title="{t}"), {"t": "x" * TITLE_MAX}, source="s")
    assert short.title == "x" * TITLE_MAX


def test_the_description_keeps_its_lines() -> None:
    mapped = apply(Mapping(title="t", description="a\n{x}"), {"x": "b"}, source="s")
    assert mapped.description == "a\nb"


# --- validating a mapping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "template", "says"),
    [
        ("title", "{event.name at {door}", "inside the placeholder"),
        ("title", "{door", "unclosed '{'"),
        ("type", "intrusion.}", "single '}'"),
        ("place", "{}", "empty path"),
        ("zone", "{a[x]}", "bad index"),
        ("site", "{a..b}", "empty key"),
        ("description", "{devices[0}", "unclosed '['"),
        ("severity", "{a]}", "unexpected ']'"),
    ],
)
def test_bad_templates_are_named_in_the_error(field: str, template: str, says: str) -> None:
    fields: dict[str, Any] = {"title": "ok", field: template}
    if field == "severity":
        fields["severities"] = {"high": 1}
    with pytest.raises(ValidationError) as caught:
        Mapping.model_validate(fields)
    (error,) = caught.value.errors()
    assert error["loc"] == (field,)
    assert template in error["msg"]
    assert says in error["msg"]


def test_bad_fingerprint_and_clear_paths_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        Mapping(title="t", fingerprint=["door", "devices[x]"])
    (error,) = caught.value.errors()
    assert error["loc"] == ("fingerprint",)
    assert "fingerprint[1] 'devices[x]'" in error["msg"]
    with pytest.raises(ValidationError) as caught:
        Mapping.model_validate({"title": "t", "clear": {"path": "a..b", "equals": ["x"]}})
    (error,) = caught.value.errors()
    assert error["loc"] == ("clear", "path")
    assert "a..b" in error["msg"]


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"title": ""}, ("title",)),
        ({"title": "t", "unknown": 1}, ("unknown",)),
        ({"title": "t", "severity": "{s}", "severities": {"high": 6}}, ("severities", "high")),
        ({"title": "t", "severity": "{s}", "severities": {"high": 0}}, ("severities", "high")),
        ({"title": "t", "severity": "{s}", "severities": {"High": 1, "high": 2}}, ("severities",)),
        ({"title": "t", "severity": "{s}", "severities": {" ": 1}}, ("severities",)),
        ({"title": "t", "clear": {"path": "s", "equals": []}}, ("clear", "equals")),
        ({"title": "t", "clear": {"path": "s", "equals": ["x"], "other": 1}}, ("clear", "other")),
    ],
)
def test_bad_mappings_are_refused(fields: dict[str, Any], loc: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        Mapping.model_validate(fields)
    assert caught.value.errors()[0]["loc"] == loc


def test_severities_need_a_severity_template() -> None:
    with pytest.raises(ValidationError, match="no severity template"):
        Mapping(title="t", severities={"high": 1})


def test_yaml_numbers_as_severity_keys() -> None:
    mapping = Mapping.model_validate({"title": "t", "severity": "{s}", "severities": {1: 1, 2: 3}})
    assert apply(mapping, {"s": 2}, source="p").priority == 3
    assert apply(mapping, {"s": "1"}, source="p").priority == 1


def test_a_mapping_survives_a_json_round_trip() -> None:
    mapping = panel_mapping()
    again = Mapping.model_validate(mapping.model_dump(mode="json"))
    assert again == mapping
    assert apply(again, PAYLOAD, source="p") == apply(mapping, PAYLOAD, source="p")


# --- parsing a payload -------------------------------------------------------------------


def test_parse_payload_reads_json() -> None:
    assert parse_payload(b'{"a": [1, "x", null, true]}') == {"a": [1, "x", None, True]}
    assert parse_payload(b"\xef\xbb\xbf[1]") == [1]  # a byte order mark is ignored
    assert parse_payload('"é"'.encode()) == "é"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"{'a': 1}", "not valid JSON"),
        (b"[1,]", "not valid JSON"),
        (b"NaN", "NaN is not a JSON value"),
        (b"[Infinity]", "Infinity is not a JSON value"),
        (b"9" * 5000, "not valid JSON"),
        (b'{"a": "\xff"}', "not UTF-8"),
        ("é".encode("latin-1"), "not UTF-8"),
    ],
)
def test_parse_payload_refuses_bad_input(raw: bytes, says: str) -> None:
    with pytest.raises(ValidationFailed, match=says):
        parse_payload(raw)


def test_parse_payload_says_where_the_json_breaks() -> None:
    with pytest.raises(ValidationFailed, match="line 2, column 1"):
        parse_payload(b'{"a": 1,\n}')


def test_parse_payload_depth_limit_is_exact() -> None:
    assert parse_payload(b"[" * 32 + b"]" * 32) is not None
    assert parse_payload(b"[" * 4 + b"]" * 4, max_depth=4) == [[[[]]]]
    with pytest.raises(ValidationFailed, match="deeper than 32"):
        parse_payload(b"[" * 33 + b"]" * 33)
    with pytest.raises(ValidationFailed, match="deeper than 4"):
        parse_payload(b'{"a": {"b": [{"c": [1]}]}}', max_depth=4)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps({"a": "[[[[{{{{" * 20, "b": '\\"[[[['})
    assert parse_payload(text.encode(), max_depth=1) == json.loads(text)


def test_parse_payload_refuses_very_deep_nesting_without_recursion() -> None:
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    with pytest.raises(ValidationFailed, match="deeper than 32"):
        parse_payload(deep.encode())
    with pytest.raises(ValidationFailed, match="deeper than"):
        parse_payload(b"[" * 10_000 + b"]" * 10_000)


# --- never raises ----------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
keys = st.sampled_from(["event", "name", "door", "zone", "devices", "id", "severity", "x"])
# Payloads whose keys often match the mapping's paths.
shaped = st.recursive(
    json_values,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=30,
)

FIXED = Mapping(
    title="{event.name} at {door} {devices[0].id}",
    type="intrusion.{event.kind}",
    severity="{severity}",
    severities={"critical": 1, "high": 2},
    site="{site}",
    place="{zone} / {door}",
    zone="{zone}",
    fingerprint=["devices[0].id", "event"],
    clear=Condition(path="event.state", equals=["restore"]),
    description="{event}",
)


@settings(max_examples=300)
@given(payload=json_values | shaped, source=st.text(max_size=300))
def test_apply_never_raises_and_always_has_a_title(payload: object, source: str) -> None:
    mapped = apply(FIXED, payload, source=source)
    assert 0 < len(mapped.title) <= TITLE_MAX
    assert mapped.title == mapped.title.strip()
    assert len(mapped.place) <= PLACE_MAX
    assert len(mapped.description) <= DESCRIPTION_MAX
    assert mapped.priority in (None, 1, 2)
    assert len(mapped.fingerprint) == 64
    assert apply(FIXED, payload, source=source) == mapped


def test_missing_names_each_path_the_mapping_reads_that_the_payload_lacks() -> None:
    rule_set = Mapping.model_validate(
        {
            "title": "{event} at {doors[1].name} {{literal}}",
            "place": "{doors[1].name}",
            "zone": "{zone}",
            "fingerprint": ["device", "event"],
            "clear": {"path": "state.value", "equals": ["ok"]},
        }
    )
    payload = {"event": "Forced", "doors": [{"name": "A"}], "device": "d1"}
    assert missing(rule_set, payload) == ["doors[1].name", "zone", "state.value"]
    full = {**payload, "doors": [{}, {"name": "B"}], "zone": "Z", "state": {"value": "ok"}}
    assert missing(rule_set, full) == []


def test_the_title_falls_back_to_what_the_caller_names() -> None:
    rule_set = Mapping.model_validate({"title": "{headline}"})
    assert apply(rule_set, {}, source="gw").title == "Signal from gw"
    assert apply(rule_set, {}, source="gw", fallback="Flood\nwarning").title == "Flood warning"
