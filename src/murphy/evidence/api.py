"""JSON routes of evidence: files streamed in and out, physical items, custody steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from murphy.evidence import intake, service
from murphy.evidence.schemas import CustodyIn, EvidenceDetail, EvidenceOut, ItemIn
from murphy.web.deps import BlobsDep, CurrentUser, ReaderDep, WriterDep

PATH = "/api/v1/incidents/{number}/evidence"
router = APIRouter(prefix="/api/v1/incidents", tags=["evidence"])


@router.post("/{number}/evidence/files", status_code=201, summary="Add a file as evidence")
async def add_file(
    number: str,
    request: Request,
    principal: CurrentUser,
    reader: ReaderDep,
    writer: WriterDep,
    blobs: BlobsDep,
    filename: Annotated[str, Query(description="The file's name, without a path")],
    description: Annotated[str, Query(max_length=2000)] = "",
) -> EvidenceOut:
    """The body is the file itself, streamed to the store while its SHA-256 is computed
    (never held in memory); `Content-Type` says what it is and its first bytes must agree.
    Its size and digest go on the incident's timeline."""
    declared = request.headers.get("content-type", "")
    name, kind = await reader.run(
        lambda s: service.check_upload(
            s, principal=principal, number=number, filename=filename, declared=declared
        )
    )
    stored = await intake.receive(request.stream(), blobs, kind)
    try:
        return await writer.run(
            lambda s: service.add_file(
                s,
                principal=principal,
                number=number,
                filename=name,
                media_type=kind,
                stored=stored,
                description=description,
            )
        )
    except Exception:
        blobs.delete(stored.key)  # not recorded: not kept
        raise


@router.post("/{number}/evidence/items", status_code=201, summary="Log a physical item")
async def add_item(
    number: str, data: ItemIn, principal: CurrentUser, writer: WriterDep
) -> EvidenceOut:
    """A physical item taken into custody by the caller: what, where kept, the seal."""
    return await writer.run(
        lambda s: service.add_item(s, principal=principal, number=number, data=data)
    )


@router.get("/{number}/evidence", summary="An incident's evidence")
async def list_evidence(
    number: str, principal: CurrentUser, reader: ReaderDep
) -> list[EvidenceOut]:
    """Files and items with where they are; reading this list is not logged."""
    return await reader.run(lambda s: service.list(s, principal=principal, number=number))


@router.get("/{number}/evidence/{evidence_id}", summary="One evidence and its chain of custody")
async def evidence(
    number: str, evidence_id: int, principal: CurrentUser, reader: ReaderDep
) -> EvidenceDetail:
    """Every step that touched it, from the incident's timeline."""
    return await reader.run(
        lambda s: service.detail(s, principal=principal, number=number, evidence_id=evidence_id)
    )


@router.post("/{number}/evidence/{evidence_id}/custody", summary="Record a custody step")
async def custody(
    number: str, evidence_id: int, data: CustodyIn, principal: CurrentUser, writer: WriterDep
) -> EvidenceOut:
    """Handed over, stored, transferred (to the police), returned or disposed."""
    return await writer.run(
        lambda s: service.record_custody(
            s, principal=principal, number=number, evidence_id=evidence_id, data=data
        )
    )


@router.get("/{number}/evidence/{evidence_id}/content", summary="A file's bytes (logged)")
async def content(
    number: str,
    evidence_id: int,
    principal: CurrentUser,
    writer: WriterDep,
    blobs: BlobsDep,
    download: bool = True,
) -> StreamingResponse:
    """The file as stored. Each fetch is on the timeline first: `evidence_downloaded`, or
    `evidence_viewed` with `download=false` (shown in the page)."""
    found, key = await writer.run(
        lambda s: service.open_file(
            s, principal=principal, number=number, evidence_id=evidence_id, download=download
        )
    )
    return intake.stream(blobs, key, found, download=download)
