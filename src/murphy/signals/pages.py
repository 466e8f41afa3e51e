"""HTML routes for the integration sources admin page: every source with its traffic; add
one (its credential is shown once, in the answer to the form: never in a URL); change its
mapping (YAML), windows and MQTT topics; switch it off or on; rotate its credential; try
a mapping on a sample payload without storing anything; its last 20 signals.

Admins only (those who manage sites). A bad form changes nothing and says what is wrong
next to the field, with what was typed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from murphy.core.errors import Conflict, MurphyError, PermissionDenied, ValidationFailed
from murphy.signals import mapping as mapper
from murphy.signals import service
from murphy.signals.schemas import (
    Credential,
    MappingTrial,
    SourceIn,
    SourceOut,
    SourceUpdate,
    WindowsIn,
)
from murphy.sites import service as sites_service
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, explain, render

router = APIRouter(include_in_schema=False)

PATH = "/admin/sources"
RECENT = 20
STARTER = """\
# How this source's JSON becomes a signal. {path} picks a value out of the payload:
# dotted keys and [n] for a list item, e.g. "{event.name} at {devices[0].door}".
# Put a template in quotes when it starts with {.
title: "{event} at {door}"    # required; empty: "Signal from CODE"
type: "{kind}"                 # an incident type code: classifies the incident
severity: "{severity}"
severities:                    # severity (any case) -> priority, 1 worst .. 5
  critical: 1
  high: 2
  medium: 3
  low: 4
zone: "{zone}"                 # a zone code: signals correlate by site and zone
place: "{door}"                # free text
fingerprint: [device, event]   # the paths that make two signals "the same"
clear:                         # a restore: the value at path is one of these
  path: state
  equals: [restored, ok]
# site: "{site}"               # a site code; without it, the default site
"""
SAMPLE = {
    "device": "door-12",
    "event": "Door forced",
    "door": "Loading dock",
    "kind": "intrusion",
    "severity": "high",
    "zone": "DOCK",
    "state": "alarm",
}
LABELS = {
    "code": "Code",
    "name": "Name",
    "site": "Default site",
    "auth": "Credential",
    "dedup_seconds": "De-duplication",
    "correlate_seconds": "Correlation",
    "flap_changes": "Flapping changes",
    "flap_seconds": "Flapping window",
    "topics": "MQTT topics",
}
CODE_RULE = (
    "Code: 2 to 32 lower-case letters, digits, '-' or '_', starting with a letter or a "
    "digit, e.g. hq-alarm-panel"
)
WINDOWS = ("dedup_seconds", "correlate_seconds", "flap_changes", "flap_seconds")
ORDER = ("form", "code", "name", "site", "auth", "mapping", "sample", *WINDOWS, "topics")


class _Dumper(yaml.SafeDumper):
    """YAML as the starter mapping writes it: templates in double quotes, short lists
    and objects on one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "default_flow_style": None})


_Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style='"' if "{" in value or "}" in value else None
    ),
)


class SourceForm(FormModel):
    """A source as the page's forms post it (the mapping as YAML, topics one a line)."""

    do: str = ""
    code: str = ""
    name: str = ""
    site: str = ""
    auth: str = "token"
    mapping: str = ""  # an emptied field posts nothing: never fill it in behind one's back
    sample: str = ""
    dedup_seconds: str = "300"
    correlate_seconds: str = "600"
    flap_changes: str = "5"
    flap_seconds: str = "600"
    resolve_on_clear: str = ""
    topics: str = ""


class Problems(ValidationFailed):
    """What is wrong with a form, by field: the page shows each next to its field."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(" ".join(fields.values()))
        self.fields = fields


# --- routes ----------------------------------------------------------------------------


@router.get(PATH)
def sources_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Every source: code, name, site, credential kind, topics, traffic, on or off."""
    _admin(principal)
    return _list(request, session, principal)


@router.post(PATH)
def add_source(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[SourceForm, Form()],
) -> Response:
    """Add a source and show its credential once; or (do=try) only try the mapping."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    show = partial(_list, request, session, principal)
    if form.do == "try":
        return _tried(request, session, principal, form, show)
    try:
        data = _new(form)
        credential = service.create_source(session, principal=principal, data=data)
    except MurphyError as exc:
        session.rollback()
        return show(form=form, errors=_fields(exc), status=exc.status)
    return _one(request, session, principal, data.code, credential=credential, status=201)


@router.get(f"{PATH}/{{code}}")
def source_page(
    code: str, request: Request, session: SessionDep, principal: PageUser, saved: str = ""
) -> Response:
    """One source: its settings, its last signals, its credential and switch."""
    _admin(principal)
    return _one(request, session, principal, code, saved=saved)


@router.post(f"{PATH}/{{code}}")
def edit_source(
    code: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[SourceForm, Form()],
) -> Response:
    """Change a source's name, site, mapping, windows and topics; or (do=try) only try
    the mapping."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    show = partial(_one, request, session, principal, code)
    if form.do == "try":
        return _tried(request, session, principal, form, show)
    try:
        data = _change(form)
        service.update_source(session, principal=principal, code=code, data=data)
    except MurphyError as exc:
        session.rollback()
        return show(form=form, errors=_fields(exc), status=exc.status)
    return _saved(code, "settings")


@router.post(f"{PATH}/{{code}}/switch")
def switch_source(
    code: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    csrf_token: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    """Switch a source off (its signals are refused with 401) or on again."""
    check_csrf(request, csrf_token)
    _admin(principal)
    on = active == "on"
    service.update_source(session, principal=principal, code=code, data=SourceUpdate(active=on))
    return _saved(code, "on" if on else "off")


@router.post(f"{PATH}/{{code}}/rotate")
def rotate_credential(
    code: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A new token or secret, shown once; the old one stops working at once."""
    check_csrf(request, csrf_token)
    _admin(principal)
    credential = service.rotate(session, principal=principal, code=code)
    return _one(request, session, principal, code, credential=credential)


# --- reading the form --------------------------------------------------------------------


def _new(form: SourceForm) -> SourceIn:
    """A new source from the form, or Problems naming each wrong field."""
    values, errors = _parts(form)
    try:
        data = SourceIn.model_validate(
            {
                "code": form.code.strip().lower(),
                "name": form.name,
                "site": form.site or None,
                "auth": form.auth,
                "mapping": values.get("mapping", mapper.Mapping(title="x")),
                "windows": values.get("windows", WindowsIn()),
                "topics": values.get("topics", []),
            }
        )
    except ValidationError as exc:
        errors = _by_field(exc) | errors
        data = None
    if data is not None and "mapping" not in errors and not data.site and not data.mapping.site:
        errors["site"] = _NO_SITE
    if errors or data is None:
        raise Problems(errors)
    return data


def _change(form: SourceForm) -> SourceUpdate:
    """The changes the edit form asks for, or Problems naming each wrong field."""
    values, errors = _parts(form)
    try:
        data = SourceUpdate(name=form.name, site=form.site or None, **values)
    except ValidationError as exc:
        raise Problems(_by_field(exc) | errors) from None
    if errors:
        raise Problems(errors)
    if not data.site and data.mapping is not None and data.mapping.site is None:
        raise Problems({"site": _NO_SITE})
    return data


_NO_SITE = (
    "Default site: choose one, or map 'site' from the payload; otherwise every signal "
    "is refused because it names no site"
)


def _parts(form: SourceForm) -> tuple[dict[str, Any], dict[str, str]]:
    """The mapping, windows and topics of a form, and what is wrong with each."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, read in (("mapping", _mapping), ("windows", _windows), ("topics", _topics)):
        try:
            values[name] = read(form)
        except Problems as exc:
            errors |= exc.fields
    return values, errors


def _mapping(form: SourceForm) -> mapper.Mapping:
    try:
        return service.parse_mapping(form.mapping)
    except ValidationFailed as exc:
        raise Problems({"mapping": "Mapping: " + exc.detail}) from None


def _windows(form: SourceForm) -> WindowsIn:
    defaults = WindowsIn()
    values: dict[str, Any] = {
        name: getattr(form, name).strip() or getattr(defaults, name) for name in WINDOWS
    }
    try:
        return WindowsIn(**values, resolve_on_clear=form.resolve_on_clear == "on")
    except ValidationError as exc:
        raise Problems(_by_field(exc)) from None


def _topics(form: SourceForm) -> list[str]:
    topics = [line.strip() for line in form.topics.splitlines() if line.strip()]
    try:
        return SourceUpdate(topics=topics).topics or []
    except ValidationError as exc:
        raise Problems(_by_field(exc)) from None


def _by_field(exc: ValidationError) -> dict[str, str]:
    """Each wrong field's message ('Name is required.'), by the form field it is about."""
    found: dict[str, str] = {}
    for err in exc.errors():
        field = next((str(p) for p in reversed(err["loc"]) if str(p) in LABELS), "form")
        if field == "code":
            found.setdefault(field, CODE_RULE)
            continue
        one: Any = {"type": err["type"], "loc": err["loc"], "input": err["input"]}
        if "ctx" in err:
            one["ctx"] = err["ctx"]
        message = explain(ValidationError.from_exception_data(exc.title, [one]), LABELS)
        found.setdefault(field, message)
    return found


def _fields(exc: MurphyError) -> dict[str, str]:
    """A refusal by the form field it is about."""
    if isinstance(exc, Problems):
        return exc.fields
    if isinstance(exc, Conflict):
        return {"code": exc.detail}
    if "site" in exc.detail:
        return {"site": exc.detail}
    return {"form": exc.detail}


# --- trying a mapping --------------------------------------------------------------------


def _tried(
    request: Request,
    session: Session,
    principal: Principal,
    form: SourceForm,
    show: Callable[..., Response],
) -> Response:
    """The page again with what the form's mapping makes of its sample (nothing stored)."""
    errors: dict[str, str] = {}
    rule_set, payload = None, None
    try:
        rule_set = _mapping(form)
    except Problems as exc:
        errors |= exc.fields
    try:
        if not form.sample.strip():
            raise ValidationFailed("paste a JSON payload the device sends")
        payload = mapper.parse_payload(form.sample.encode())
    except ValidationFailed as exc:
        errors["sample"] = "Sample payload: " + exc.detail
    if rule_set is None or errors:
        return show(form=form, errors=errors, trying=True, status=422)
    trial = service.try_mapping(
        session,
        principal=principal,
        rule_set=rule_set,
        payload=payload,
        source=request.path_params.get("code") or form.code.strip().lower() or "new-source",
        site=form.site or None,
    )
    return show(form=form, tried=trial, trying=True)


# --- the pages ---------------------------------------------------------------------------


def _admin(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_SITES):
        raise PermissionDenied(f"your role ({principal.role.value}) may not manage sources")


def _saved(code: str, what: str) -> Response:
    return RedirectResponse(f"{PATH}/{code}?saved={what}", status_code=303)


def _list(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: SourceForm | None = None,
    errors: dict[str, str] | None = None,
    tried: MappingTrial | None = None,
    trying: bool = False,
    status: int = 200,
) -> Response:
    sites = sites_service.list(session)
    context = {
        "sources": service.sources(session, principal=principal),
        "last": service.last_signals(session, principal=principal),
        "sites": sites,
        "zones": {s.code: s.timezone for s in sites},
        "form": form or SourceForm(mapping=STARTER, sample=json.dumps(SAMPLE, indent=2)),
        "kept": form is not None,
        "errors": _ordered(errors),
        "tried": tried,
        "trying": trying,
        "action": PATH,
    }
    return render(request, "sources.html", context, status)


def _one(
    request: Request,
    session: Session,
    principal: Principal,
    code: str,
    *,
    form: SourceForm | None = None,
    errors: dict[str, str] | None = None,
    tried: MappingTrial | None = None,
    trying: bool = False,
    credential: Credential | None = None,
    saved: str = "",
    status: int = 200,
) -> Response:
    source = service.source(session, principal=principal, code=code)
    sites = sites_service.list(session)
    payload = service.last_payload(session, principal=principal, code=code)
    context = {
        "source": source,
        "signals": service.recent_signals(session, principal=principal, code=code, limit=RECENT),
        "last": service.last_signals(session, principal=principal).get(code),
        "sites": sites,
        "tz": next((s.timezone for s in sites if s.code == source.site), "UTC"),
        "form": form or _form_of(source, payload),
        "kept": form is not None,
        "errors": _ordered(errors),
        "tried": tried,
        "trying": trying,
        "credential": credential,
        "example": _example(request, credential, form, payload) if credential else None,
        "saved": saved,
        "action": f"{PATH}/{code}",
    }
    return render(request, "source.html", context, status)


def _ordered(errors: dict[str, str] | None) -> dict[str, str]:
    """The errors in the order of the form's fields (the summary reads top to bottom)."""
    found = errors or {}
    place = {name: n for n, name in enumerate(ORDER)}
    return {name: found[name] for name in sorted(found, key=lambda n: place.get(n, len(ORDER)))}


def _form_of(source: SourceOut, payload: Any) -> SourceForm:
    """The edit form of a source as stored; the sample is its last payload, if any."""
    rule_set = mapper.Mapping.model_validate(source.mapping)
    shown = rule_set.model_dump(mode="json", exclude_defaults=True)
    text = yaml.dump(shown, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    windows = source.windows
    return SourceForm(
        code=source.code,
        name=source.name,
        site=source.site or "",
        auth=source.auth,
        mapping=text,
        sample=json.dumps(SAMPLE if payload is None else payload, indent=2, ensure_ascii=False),
        dedup_seconds=str(windows.dedup_seconds),
        correlate_seconds=str(windows.correlate_seconds),
        flap_changes=str(windows.flap_changes),
        flap_seconds=str(windows.flap_seconds),
        resolve_on_clear="on" if windows.resolve_on_clear else "",
        topics="\n".join(source.topics),
    )


def _example(
    request: Request, credential: Credential, form: SourceForm | None, payload: Any
) -> dict[str, str]:
    """What a device sends: the address and a body (the tried sample, the last payload
    or the starter's), quoted for a POSIX shell."""
    body: Any = SAMPLE if payload is None else payload
    if form is not None:
        try:
            body = mapper.parse_payload(form.sample.encode())
        except ValidationFailed:
            body = SAMPLE
    text = json.dumps(body, separators=(",", ":"))
    return {
        "url": str(request.base_url).rstrip("/") + "/api/v1/signals",
        "body": "'" + text.replace("'", "'\\''") + "'",
    }
