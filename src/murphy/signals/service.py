"""Use cases of device and system signals: sources and their credentials, receiving a
signal (authenticated, idempotent, durable before it is answered), and acting on the
decision of the pure rules (`rules.decide`): open, count, attach, clear, flag.

Every decision that concerns an incident is an entry on its timeline (`signal`) with the
rule that made it; the signal row keeps the payload as received.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Row, Text, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from murphy.incidents import intake
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Channel, IncidentCreate
from murphy.signals import mapping, rules
from murphy.signals.models import Delivery, Replay, Signal, Source
from murphy.signals.schemas import (
    Credential,
    MappingTrial,
    SignalAnswer,
    SignalRow,
    SourceIn,
    SourceOut,
    SourceUpdate,
    WindowsIn,
)
from murphy.sites import service as sites_service
from murphy.sites.schemas import PlaceIn
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

_KNOWN = "murphy.signals.tokens"  # session.info: token digests authenticated in this transaction
TOKEN_PREFIX = "msig_"  # noqa: S105 (a prefix that makes leaked tokens easy to find)
MAX_SKEW = timedelta(minutes=5)  # a signed request older or newer than this is stale
REPLAY_KEEP = timedelta(minutes=15)  # signatures remembered (longer than the skew)


# --- sources ---------------------------------------------------------------------------


def create_source(session: Session, *, principal: Principal, data: SourceIn) -> Credential:
    """Add a source; its token or HMAC secret is returned only now."""
    _admin(principal)
    if session.scalar(select(Source.id).where(Source.code == data.code)) is not None:
        raise Conflict(f"source {data.code!r} exists: rotate its credential or change it")
    source = Source(
        code=data.code,
        name=data.name,
        site_id=_site_id(session, data.site),
        auth=data.auth,
        mapping=data.mapping.model_dump(mode="json"),
        windows=data.windows.model_dump(),
        topics=data.topics,
        active=True,
        created_at=utcnow(),
    )
    session.add(source)
    session.flush()
    return _new_credential(source)


def rotate(session: Session, *, principal: Principal, code: str) -> Credential:
    """A new credential for a source; the old one stops working at once."""
    _admin(principal)
    session.info.pop(_KNOWN, None)
    credential = _new_credential(_source(session, code))
    session.flush()  # the token lookup is a Core query: it does not flush first
    return credential


def update_source(
    session: Session, *, principal: Principal, code: str, data: SourceUpdate
) -> SourceOut:
    """Change the fields sent."""
    _admin(principal)
    session.info.pop(_KNOWN, None)
    source = _source(session, code)
    if data.name is not None:
        source.name = data.name
    if "site" in data.model_fields_set:
        source.site_id = _site_id(session, data.site)
    if data.mapping is not None:
        source.mapping = data.mapping.model_dump(mode="json")
    if data.windows is not None:
        source.windows = data.windows.model_dump()
    if data.topics is not None:
        source.topics = data.topics
    if data.active is not None:
        source.active = data.active
    session.flush()
    return _out(session, source)


def sources(session: Session, *, principal: Principal) -> builtins.list[SourceOut]:
    """Every source, by code."""
    _admin(principal)
    rows = session.scalars(select(Source).order_by(Source.code)).all()
    return [_out(session, s) for s in rows]


def source(session: Session, *, principal: Principal, code: str) -> SourceOut:
    """One source."""
    _admin(principal)
    return _out(session, _source(session, code))


# --- authentication ----------------------------------------------------------------------


def authenticate(
    session: Session,
    *,
    bearer: str | None,
    source_code: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime | None = None,
) -> Config:
    """The source a request comes from: a bearer token, or an HMAC-SHA256 signature over
    'TIMESTAMP.BODY' with the source's secret, fresh (within 5 minutes) and not seen
    before. Anything else is 401, with what to fix."""
    now = now or utcnow()
    if bearer:
        return _by_token(session, bearer)
    if not (source_code and timestamp and signature):
        raise Unauthenticated(
            "send 'Authorization: Bearer TOKEN', or X-Murphy-Source, X-Murphy-Timestamp "
            "and X-Murphy-Signature"
        )
    found = session.scalar(select(Source).where(Source.code == source_code))
    if found is None or found.auth != "hmac" or not found.hmac_secret:
        raise Unauthenticated(f"unknown source {source_code!r} (or it does not sign)")
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        raise Unauthenticated("X-Murphy-Timestamp must be Unix seconds") from None
    if abs(now - sent_at) > MAX_SKEW:
        raise Unauthenticated("stale request: the timestamp is more than 5 minutes off")
    given = signature.removeprefix("sha256=").strip().lower()
    expected = hmac.new(
        found.hmac_secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given, expected):
        raise Unauthenticated("the signature does not match the body and timestamp")
    seen = select(Replay.id).where(Replay.source_id == found.id, Replay.signature == expected)
    if session.scalar(seen) is not None:
        raise Unauthenticated("replayed request: this signature was already accepted")
    session.add(Replay(source_id=found.id, signature=expected, seen_at=now))
    forget_replays(session, now=now)
    return config(_active(found))


def _by_token(session: Session, bearer: str) -> Config:
    """The active source of a bearer token; one query per token and transaction."""
    digest = hashlib.sha256(bearer.encode()).hexdigest()
    known: dict[str, Config] = session.info.setdefault(_KNOWN, {})
    if digest in known:  # asked already in this transaction (a batch of the writer)
        return known[digest]
    row = session.connection().execute(_BY_TOKEN, {"digest": digest}).first()
    if row is None or row.auth != "token":
        raise Unauthenticated("unknown source token")
    if not row.active:
        raise Unauthenticated(f"source {row.code} is switched off")
    known[digest] = _config_text(row.id, row.code, row.site_id, row.mapping, row.windows)
    return known[digest]


# --- receiving -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """What receiving needs of a source: read with one query per token and transaction,
    its mapping validated once per version (`_config_text`)."""

    id: int
    code: str
    site_id: int | None
    mapping: mapping.Mapping
    windows: rules.Windows


def config(source: Source) -> Config:
    """The receiving side of a source row."""
    return _config_text(
        source.id,
        source.code,
        source.site_id,
        json.dumps(source.mapping, sort_keys=True),
        json.dumps(source.windows, sort_keys=True),
    )


def receive(
    session: Session,
    *,
    source: Source | Config,
    raw: bytes,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[SignalAnswer, bool]:
    """Store a signal and act on it; (the answer, whether it repeats an earlier one's
    answer because the request carried the same Idempotency-Key).

    Built for storms: a repeat of an alarm (the bulk of a storm) costs three short
    queries, its fingerprint's recent signals, their incidents' states and the count's
    update; the place-and-type lookup of correlation runs only for a signal that is not
    a repeat."""
    now = now or utcnow()
    cfg = source if isinstance(source, Config) else config(source)
    key = _key(idempotency_key)
    if key is not None:
        done = session.scalar(
            select(Delivery.answer).where(Delivery.source_id == cfg.id, Delivery.key == key)
        )
        if done is not None:
            return SignalAnswer.model_validate(done), True
    payload = mapping.parse_payload(raw)
    found = mapping.apply(cfg.mapping, payload, source=cfg.code)
    answer = accept(session, source=cfg, found=found, payload=payload, now=now)
    if key is not None:
        session.add(
            Delivery(
                source_id=cfg.id,
                key=key,
                signal_id=answer.signal,
                answer=answer.model_dump(),
                created_at=now,
            )
        )
        session.flush()
    return answer, False


def accept(
    session: Session,
    *,
    source: Config,
    found: mapping.Mapped,
    payload: Any,
    now: datetime,
    decided: rules.Outcome | None = None,
) -> SignalAnswer:
    """Act on a signal already mapped: the rules decide (or the caller did: a CAP Update
    or Cancel names the incident it changes), then store, open or attach, and write the
    decision on the timeline."""
    cfg = source
    site_id = _site_id(session, found.site) if found.site else cfg.site_id
    if site_id is None:
        raise ValidationFailed(
            f"the signal names no site and source {cfg.code} has none: map 'site' or set one"
        )
    history = _history(session, cfg.id, found.fingerprint, now, cfg.windows.flap_seconds)
    same = history[0] if history else None
    states = intake.states(session, ids=[r.incident_id for r in history if r.incident_id])
    recent = rules.Recent(
        same_fingerprint=_view(same, states) if same else None,
        changes=_changes(history, now, cfg.windows.flap_seconds),
        fingerprint_incident=(
            _incident_view(session, same.incident_id)
            if found.is_clear and same and same.incident_id
            else None
        ),
    )

    def decide(recent: rules.Recent) -> rules.Outcome:
        return rules.decide(
            now=now,
            is_clear=found.is_clear,
            fingerprint=found.fingerprint,
            has_type=found.type is not None,
            windows=cfg.windows,
            recent=recent,
        )

    outcome = decided or decide(recent)
    if decided is None and outcome.decision is rules.Decision.NEW and found.type is not None:
        # Only a signal that would open an incident looks for one to correlate with;
        # every rule before correlation already said no, so deciding again is exact.
        nearby = _open_nearby(
            session, site_id, found.zone, found.type, now, cfg.windows.correlate_seconds
        )
        if nearby is not None:
            outcome = decide(replace(recent, open_incident_same_place_type=nearby))
    signal_id, count = _store(session, cfg, found, site_id, same, outcome, payload, now)
    incident_id, number = _act(session, cfg, found, signal_id, site_id, count, outcome, now)
    if number is None and incident_id is not None:  # remembered by intake.states, mostly
        number = intake.states(session, ids=[incident_id])[incident_id].number
    return SignalAnswer(
        signal=signal_id,
        decision=outcome.decision.value,
        rule=outcome.rule,
        incident=number,
        count=count,
    )


def _key(idempotency_key: str | None) -> str | None:
    if idempotency_key is None:
        return None
    key = idempotency_key.strip()
    if not key or len(key) > 128:
        raise ValidationFailed("Idempotency-Key must be 1 to 128 characters")
    return key


_HISTORY = 64  # recent signals of a fingerprint read at once
_BY_FINGERPRINT = (
    select(
        Signal.id,
        Signal.received_at,
        Signal.last_seen_at,
        Signal.is_clear,
        Signal.incident_id,
        Signal.flapping,
        Signal.count,
    )
    .where(
        Signal.source_id == bindparam("source_id"),
        Signal.fingerprint == bindparam("fingerprint"),
    )
    .order_by(Signal.id.desc())
)
_NEWEST = _BY_FINGERPRINT.limit(_HISTORY)
_SINCE = _BY_FINGERPRINT.where(Signal.received_at >= bindparam("cutoff"))
_COUNT_ONE_MORE = (
    update(Signal)
    .where(Signal.id == bindparam("signal_id"))
    .values(count=Signal.count + 1, last_seen_at=bindparam("now"))
    .returning(Signal.count)
)


def _history(
    session: Session, source_id: int, fingerprint: str, now: datetime, flap_seconds: int
) -> builtins.list[Row[Any]]:
    """The newest signals of this source and fingerprint, newest first: at least the
    newest one, and every one received within the flap window."""
    conn = session.connection()
    params = {"source_id": source_id, "fingerprint": fingerprint}
    rows: builtins.list[Row[Any]] = list(conn.execute(_NEWEST, params))
    cutoff = now - timedelta(seconds=flap_seconds)
    if len(rows) == _HISTORY and rows[-1].received_at >= cutoff:  # a flapping storm
        rows = list(conn.execute(_SINCE, {**params, "cutoff": cutoff}))
    return rows


def _changes(history: builtins.list[Row[Any]], now: datetime, seconds: int) -> tuple[datetime, ...]:
    """When this fingerprint went from alarm to clear or back, within the flap window."""
    cutoff = now - timedelta(seconds=seconds)
    changes, last = [], None
    for r in reversed(history):
        if r.received_at < cutoff:
            continue
        if last is not None and r.is_clear != last:
            changes.append(r.received_at)
        last = r.is_clear
    return tuple(changes)


def _store(
    session: Session,
    cfg: Config,
    found: mapping.Mapped,
    site_id: int,
    same: Row[Any] | None,
    outcome: rules.Outcome,
    payload: Any,
    now: datetime,
) -> tuple[int, int]:
    """A repeat is counted on the signal it repeats; anything else is a new row. The
    signal's id and count."""
    if outcome.decision is rules.Decision.DUPLICATE and same is not None:
        params = {"signal_id": same.id, "now": now}
        count = session.connection().execute(_COUNT_ONE_MORE, params).scalar_one()
        return same.id, int(count)
    signal_id = (
        session.connection()
        .execute(
            insert(Signal)
            .values(
                source_id=cfg.id,
                received_at=now,
                last_seen_at=now,
                count=1,
                fingerprint=found.fingerprint,
                title=found.title,
                type_code=found.type,
                priority=found.priority,
                site_id=site_id,
                zone=found.zone,
                place=found.place,
                is_clear=found.is_clear,
                flapping=outcome.decision is rules.Decision.FLAPPING,
                decision=outcome.decision.value,
                rule=outcome.rule[:300],
                incident_id=outcome.incident_id,
                payload=payload,
            )
            .returning(Signal.id)
        )
        .scalar_one()
    )
    return int(signal_id), 1


def _act(
    session: Session,
    cfg: Config,
    found: mapping.Mapped,
    signal_id: int,
    site_id: int,
    count: int,
    outcome: rules.Outcome,
    now: datetime,
) -> tuple[int | None, str | None]:
    """Open the incident of a new signal; write the decision on the incident's timeline
    (and resolve it when a clear says so). The incident's id, and its number when this
    opened it."""
    incident_id, number = outcome.incident_id, None
    if incident_id is None and outcome.decision is not rules.Decision.NEW:
        return None, None  # stored as received: nothing to open or tell
    if not rules.worth_an_entry(outcome.decision, count):
        return incident_id, None
    principal = users_service.signals_principal(session)
    if outcome.decision is rules.Decision.NEW:
        site = sites_service.get_by_ids(session, [site_id])[site_id]
        incident = intake.open_incident(
            session,
            principal=principal,
            data=IncidentCreate(
                title=found.title,
                description=found.description,
                site=site.code,
                place=PlaceIn(detail=found.place) if found.place else None,
                exercise=found.exercise,
            ),
            channel=Channel.SIGNAL,
            type_code=found.type,
            priority=found.priority,
            why=f"severity {found.severity!r} from source {cfg.code}",
            now=now,
        )
        incident_id, number = incident.id, incident.number
        session.execute(
            update(Signal).where(Signal.id == signal_id).values(incident_id=incident_id)
        )
    if incident_id is None:
        return None, None
    entry: dict[str, Any] = {
        "source": cfg.code,
        "signal": signal_id,
        "decision": outcome.decision.value,
        "rule": outcome.rule,
        "title": found.title,
        "severity": found.severity,
        "count": count,
    }
    if outcome.resolve:
        summary = f"Restored: {found.title} (source {cfg.code})"
        why_not = intake.resolve(
            session, principal=principal, incident_id=incident_id, summary=summary, now=now
        )
        entry["resolved"] = why_not is None
        if why_not:
            entry["not_resolved_because"] = why_not
    intake.record(
        session, principal=principal, incident_id=incident_id, kind="signal", data=entry, now=now
    )
    return incident_id, number


def subscriptions(session: Session) -> builtins.list[tuple[str, str]]:
    """(MQTT topic filter, source code) of every active source that listens on MQTT."""
    rows = session.scalars(select(Source).where(Source.active).order_by(Source.code)).all()
    return [(topic, s.code) for s in rows for topic in (s.topics or [])]


def source_for_mqtt(session: Session, *, code: str) -> Config:
    """The source whose topic a message came on (the broker connection is its credential)."""
    return config(_active(_source(session, code)))


def forget_replays(session: Session, *, now: datetime | None = None) -> int:
    """Drop remembered signatures older than the skew allows: a request that old is
    refused as stale anyway (one indexed delete, run with each signed request)."""
    cutoff = (now or utcnow()) - REPLAY_KEEP
    done = session.execute(delete(Replay).where(Replay.seen_at < cutoff))
    return int(getattr(done, "rowcount", 0) or 0)


# --- internals -----------------------------------------------------------------------


def _admin(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_SITES):
        raise PermissionDenied(f"your role ({principal.role.value}) may not manage sources")


def _active(source: Source) -> Source:
    if not source.active:
        raise Unauthenticated(f"source {source.code} is switched off")
    return source


def _source(session: Session, code: str) -> Source:
    found = session.scalar(select(Source).where(Source.code == code))
    if found is None:
        raise NotFound(f"no source {code!r}")
    return found


def _site_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    site = sites_service.get(session, code=code)
    if site is None:
        raise ValidationFailed(f"unknown site {code!r}")
    return site.id


def _new_credential(source: Source) -> Credential:
    if source.auth == "token":
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        source.token_hash = hashlib.sha256(token.encode()).hexdigest()
        source.hmac_secret = None
        return Credential(source=source.code, auth="token", token=token)
    secret = secrets.token_urlsafe(32)
    source.hmac_secret, source.token_hash = secret, None
    return Credential(source=source.code, auth="hmac", secret=secret)


def _out(session: Session, source: Source) -> SourceOut:
    site = (
        sites_service.get_by_ids(session, [source.site_id])[source.site_id].code
        if source.site_id
        else None
    )
    count = session.scalar(
        select(func.count()).select_from(Signal).where(Signal.source_id == source.id)
    )
    return SourceOut(
        code=source.code,
        name=source.name,
        site=site,
        auth=source.auth,
        mapping=source.mapping,
        windows=WindowsIn(**source.windows),
        topics=list(source.topics or []),
        active=source.active,
        created_at=source.created_at,
        signals=int(count or 0),
    )


@lru_cache(maxsize=256)
def _config_text(
    source_id: int, code: str, site_id: int | None, mapping_text: str, windows_text: str
) -> Config:
    """A source's Config from its columns as stored (JSON text): made once per version."""
    return Config(
        id=source_id,
        code=code,
        site_id=site_id,
        mapping=mapping.Mapping.model_validate_json(mapping_text),
        windows=rules.Windows(**json.loads(windows_text)),
    )


_BY_TOKEN = select(
    Source.id,
    Source.code,
    Source.site_id,
    cast(Source.mapping, Text).label("mapping"),
    cast(Source.windows, Text).label("windows"),
    Source.auth,
    Source.active,
).where(Source.token_hash == bindparam("digest"))


def _view(row: Row[Any], states: dict[int, intake.State]) -> rules.SignalView:
    state = states.get(row.incident_id) if row.incident_id else None
    return rules.SignalView(
        id=row.id,
        received_at=row.received_at,
        last_seen_at=row.last_seen_at,
        is_clear=row.is_clear,
        incident_id=row.incident_id,
        incident_open=state is not None and state.open,
        flapping=row.flapping,
    )


def _open_nearby(
    session: Session,
    site_id: int,
    zone: str | None,
    type_code: str,
    now: datetime,
    seconds: int,
) -> rules.IncidentView | None:
    """The newest open incident a signal opened at this site (and zone) with this type,
    within the correlation window."""
    stmt = (
        select(Signal.incident_id, Signal.fingerprint, Signal.received_at)
        .where(
            Signal.site_id == site_id,
            Signal.type_code == type_code,
            Signal.decision == rules.Decision.NEW.value,
            Signal.incident_id.is_not(None),
            Signal.received_at >= now - timedelta(seconds=seconds),
        )
        .order_by(Signal.id.desc())
        .limit(5)
    )
    if zone is not None:
        stmt = stmt.where(Signal.zone == zone)
    rows = session.execute(stmt).all()
    states = intake.states(session, ids=[r.incident_id for r in rows])
    for row in rows:
        state = states.get(row.incident_id)
        if state is not None and state.open:
            return rules.IncidentView(
                id=row.incident_id,
                number=state.number,
                reported_at=row.received_at,
                signals=_attached(session, row.incident_id),
                opened_by_fingerprint=row.fingerprint,
            )
    return None


def _incident_view(session: Session, incident_id: int) -> rules.IncidentView:
    incident = incidents_service.get(session, incident_id=incident_id)
    first = session.scalar(
        select(Signal.fingerprint)
        .where(Signal.incident_id == incident_id, Signal.decision == rules.Decision.NEW.value)
        .limit(1)
    )
    return rules.IncidentView(
        id=incident.id,
        number=incident.number,
        reported_at=incident.reported_at,
        signals=_attached(session, incident_id),
        opened_by_fingerprint=first,
    )


def _attached(session: Session, incident_id: int) -> int:
    found = session.scalar(
        select(func.count()).select_from(Signal).where(Signal.incident_id == incident_id)
    )
    return int(found or 0)


# --- for the admin page: what a source sent, and trying a mapping -----------------------


def last_signals(session: Session, *, principal: Principal) -> dict[str, datetime]:
    """When each source last sent a signal (a counted repeat included), by code; a
    source that sent none is absent."""
    _admin(principal)
    rows = session.execute(
        select(Source.code, func.max(Signal.last_seen_at))
        .join(Signal, Signal.source_id == Source.id)
        .group_by(Source.code)
    ).all()
    return {code: at for code, at in rows if at is not None}


def recent_signals(
    session: Session, *, principal: Principal, code: str, limit: int = 20
) -> builtins.list[SignalRow]:
    """A source's newest signals (by first receipt), newest first, each with the number
    of the incident it opened or went to."""
    _admin(principal)
    source = _source(session, code)
    rows = session.scalars(
        select(Signal).where(Signal.source_id == source.id).order_by(Signal.id.desc()).limit(limit)
    ).all()
    ids = {r.incident_id for r in rows if r.incident_id is not None}
    numbers = {i: state.number for i, state in intake.states(session, ids=ids).items()}
    return [
        SignalRow(
            id=r.id,
            received_at=r.received_at,
            last_seen_at=r.last_seen_at,
            count=r.count,
            title=r.title,
            priority=r.priority,
            is_clear=r.is_clear,
            flapping=r.flapping,
            decision=r.decision,
            rule=r.rule,
            incident=numbers.get(r.incident_id) if r.incident_id is not None else None,
        )
        for r in rows
    ]


def last_payload(session: Session, *, principal: Principal, code: str) -> Any | None:
    """The payload of a source's newest signal as received (to try a mapping on); None
    when it sent none yet."""
    _admin(principal)
    source = _source(session, code)
    return session.scalar(
        select(Signal.payload)
        .where(Signal.source_id == source.id)
        .order_by(Signal.id.desc())
        .limit(1)
    )


def parse_mapping(text: str) -> mapping.Mapping:
    """A mapping written as YAML (as the admin page takes it), or ValidationFailed
    saying where it is wrong and what to write instead."""
    if not text.strip():
        raise ValidationFailed('the mapping is empty: it needs a title, e.g. title: "{event}"')
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "it cannot be read"
        raise ValidationFailed(
            f"the mapping is not valid YAML{where}: {problem}. Put a template in quotes when "
            'it starts with {, e.g. title: "{event} at {door}", and indent with spaces'
        ) from None
    if not isinstance(loaded, dict):
        raise ValidationFailed("the mapping is keys with values: title, type, severity, ...")
    try:
        return mapping.Mapping.model_validate(loaded)
    except ValidationError as exc:
        raise ValidationFailed("; ".join(_mapping_errors(exc))) from None


def _mapping_errors(exc: ValidationError) -> builtins.list[str]:
    messages = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            keys = ", ".join(mapping.Mapping.model_fields)
            messages.append(f"unknown key {where!r} in the mapping (the keys are {keys})")
        elif err["type"] == "missing":
            messages.append(f"the mapping needs {where!r}")
        elif isinstance(err.get("input"), dict) and where in mapping.TEMPLATES:
            messages.append(f'{where}: put the template in quotes, e.g. {where}: "{{event}}"')
        else:
            error = err.get("ctx", {}).get("error")
            messages.append(f"{where or 'the mapping'}: {error or err['msg']}")
    return messages


def try_mapping(
    session: Session,
    *,
    principal: Principal,
    rule_set: mapping.Mapping,
    payload: object,
    source: str,
    site: str | None,
) -> MappingTrial:
    """What `rule_set` makes of `payload` for a source whose default site is `site`, and
    whether such a signal would be refused; stores nothing."""
    _admin(principal)
    found = mapping.apply(rule_set, payload, source=source)
    kind = taxonomy_service.get(session, code=found.type) if found.type else None
    refused = None
    if found.site and sites_service.get(session, code=found.site) is None:
        refused = f"unknown site {found.site!r}: map a site code, or leave 'site' out"
    elif not found.site and not site:
        refused = "the signal names no site and the source has none: choose a default site"
    return MappingTrial(
        title=found.title,
        type=found.type,
        type_name=kind.name if kind else None,
        severity=found.severity,
        priority=found.priority,
        site=found.site or site,
        site_from="payload" if found.site else ("source" if site else "none"),
        zone=found.zone,
        place=found.place,
        fingerprint=found.fingerprint,
        fingerprint_from=list(rule_set.fingerprint),
        is_clear=found.is_clear,
        description=found.description,
        refused=refused,
        missing=mapping.missing(rule_set, payload),
    )
