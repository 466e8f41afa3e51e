"""JSON routes for signals: a source posts any JSON, an admin manages the sources.

A signal is answered only after its transaction committed (the writer), so an answer
means it is stored. Under overload the writer's queue is full: the answer is then 429
with Retry-After, and a source retries with the same Idempotency-Key.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from murphy.core.errors import ServiceUnavailable, TooManyRequests
from murphy.signals import cap_intake, service
from murphy.signals.schemas import (
    CapAnswer,
    Credential,
    SignalAnswer,
    SourceIn,
    SourceOut,
    SourceUpdate,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep, get_writer

router = APIRouter(prefix="/api/v1", tags=["signals"])


@router.post(
    "/signals",
    status_code=status.HTTP_201_CREATED,
    summary="Send a signal (alarm panel, access control, camera analytics, SIEM)",
    response_model=SignalAnswer,
)
async def signal(request: Request) -> Response:
    """Any JSON body; the source's mapping picks title, type, severity, place, fingerprint
    and the clear flag. Authenticate with `Authorization: Bearer TOKEN`, or sign:
    `X-Murphy-Source: CODE`, `X-Murphy-Timestamp: UNIX_SECONDS`, `X-Murphy-Signature:
    sha256=HEX` (HMAC-SHA256 of `TIMESTAMP.BODY` with the source's secret; stale after 5
    minutes, and the same signature twice is a replay). With `Idempotency-Key`, a retry
    gets the first answer (200, `Idempotent-Replayed: true`) and stores nothing twice."""
    writer = await get_writer(request)  # not a dependency: solving one costs a storm 5 %
    body = await request.body()
    key = request.headers.get("idempotency-key")

    def work(session: Session) -> tuple[SignalAnswer, bool]:
        source = _source(session, request, body)
        return service.receive(session, source=source, raw=body, idempotency_key=key)

    try:
        answer, replayed = await writer.run(work)
    except ServiceUnavailable as exc:  # the writer's queue is full: slow down, retry
        raise TooManyRequests(
            "too many signals at once: retry with the same Idempotency-Key",
            retry_after=max(1, exc.retry_after),
        ) from None
    return Response(  # already validated: skip serializing through the response model
        answer.model_dump_json(),
        status_code=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )


@router.post(
    "/cap",
    status_code=status.HTTP_201_CREATED,
    summary="Send an OASIS CAP 1.2 alert (XML)",
    response_model=CapAnswer,
    responses={202: {"description": "Received and not acted on (Test, System, Draft, Ack...)"}},
)
async def cap_alert(request: Request) -> Response:
    """An OASIS CAP 1.2 `alert` document, authenticated as a source exactly as a signal
    (bearer token or HMAC signature). DTDs and entities are refused; a document that
    breaks a rule of CAP 1.2 is 422 with the offending element in `element`. An Alert is
    a signal through the source's mapping (``{info[0].headline}``, ``{info[0].severity}``,
    ``{info[0].area[0].areaDesc}``...); an Update or Cancel changes the incident of the
    alert it refers to; status Exercise marks the incident an exercise."""
    writer = await get_writer(request)
    body = await request.body()

    def work(session: Session) -> CapAnswer:
        return cap_intake.receive(session, source=_source(session, request, body), raw=body)

    try:
        answer = await writer.run(work)
    except ServiceUnavailable as exc:
        raise TooManyRequests(
            "too many alerts at once: retry in a moment", retry_after=max(1, exc.retry_after)
        ) from None
    return Response(
        answer.model_dump_json(),
        status_code=status.HTTP_201_CREATED if answer.signal else status.HTTP_202_ACCEPTED,
        media_type="application/json",
    )


def _source(session: Session, request: Request, body: bytes) -> service.Config:
    """The source a device request comes from: its bearer token or its signature."""
    headers = request.headers
    auth = headers.get("authorization", "")
    return service.authenticate(
        session,
        bearer=auth[7:].strip() if auth.lower().startswith("bearer ") else None,
        source_code=headers.get("x-murphy-source"),
        timestamp=headers.get("x-murphy-timestamp"),
        signature=headers.get("x-murphy-signature"),
        body=body,
    )


@router.get("/signal-sources", summary="Integration sources (admins)")
async def list_sources(principal: CurrentUser, reader: ReaderDep) -> list[SourceOut]:
    """Every source with its mapping, windows and how many signals it sent."""
    return await reader.run(lambda s: service.sources(s, principal=principal))


@router.post("/signal-sources", status_code=201, summary="Add an integration source (admins)")
async def add_source(data: SourceIn, principal: CurrentUser, writer: WriterDep) -> Credential:
    """The answer holds the source's token or HMAC secret: shown only this once."""
    return await writer.run(lambda s: service.create_source(s, principal=principal, data=data))


@router.get("/signal-sources/{code}", summary="One integration source (admins)")
async def get_source(code: str, principal: CurrentUser, reader: ReaderDep) -> SourceOut:
    """The source, without its credential."""
    return await reader.run(lambda s: service.source(s, principal=principal, code=code))


@router.patch("/signal-sources/{code}", summary="Change a source (admins)")
async def change_source(
    code: str, data: SourceUpdate, principal: CurrentUser, writer: WriterDep
) -> SourceOut:
    """Name, default site, mapping, windows; `{"active": false}` refuses its signals."""
    return await writer.run(
        lambda s: service.update_source(s, principal=principal, code=code, data=data)
    )


@router.post("/signal-sources/{code}/rotate", summary="A new credential for a source (admins)")
async def rotate(code: str, principal: CurrentUser, writer: WriterDep) -> Credential:
    """The old token or secret stops working at once."""
    return await writer.run(lambda s: service.rotate(s, principal=principal, code=code))
