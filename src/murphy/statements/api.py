"""JSON routes of statements: take (a draft, or submitted at once), correct a draft, submit
with the person's sign-off, amend a submitted one."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import ConfigDict

from murphy.statements import service
from murphy.statements.schemas import (
    AmendmentIn,
    StatementEdit,
    StatementIn,
    StatementOut,
    SubmitIn,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep
from murphy.web.http import if_match, set_etag

router = APIRouter(prefix="/api/v1/incidents", tags=["statements"])


class TakeIn(StatementIn):
    """A statement, and its sign-off if it is submitted at once."""

    model_config = ConfigDict(extra="forbid")

    submit: SubmitIn | None = None


@router.post("/{number}/statements", status_code=201, summary="Take a statement")
async def take(
    number: str, data: TakeIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> StatementOut:
    """A draft its taker may still correct, or (with `submit`) submitted at once."""
    fields = data.model_dump(exclude={"submit"})
    out = await writer.run(
        lambda s: service.take(
            s,
            principal=principal,
            number=number,
            data=StatementIn(**fields),
            submit=data.submit,
        )
    )
    set_etag(response, out.version)
    return out


@router.get("/{number}/statements", summary="An incident's statements")
async def list_statements(
    number: str, principal: CurrentUser, reader: ReaderDep
) -> list[StatementOut]:
    """Every statement and amendment, oldest first."""
    return await reader.run(lambda s: service.list(s, principal=principal, number=number))


@router.get("/{number}/statements/{statement_id}", summary="One statement")
async def get_statement(
    number: str, statement_id: int, principal: CurrentUser, reader: ReaderDep, response: Response
) -> StatementOut:
    """The statement, its sign-off, digest and amendments."""
    out = await reader.run(
        lambda s: service.get(s, principal=principal, number=number, statement_id=statement_id)
    )
    set_etag(response, out.version)
    return out


@router.patch("/{number}/statements/{statement_id}", summary="Correct a draft")
async def edit(
    number: str,
    statement_id: int,
    data: StatementEdit,
    request: Request,
    principal: CurrentUser,
    writer: WriterDep,
    response: Response,
) -> StatementOut:
    """Only while it is a draft, by its taker; If-Match guards against a lost update.
    A submitted statement answers 409: amend it instead."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.edit(
            s,
            principal=principal,
            number=number,
            statement_id=statement_id,
            data=data,
            version=version,
        )
    )
    set_etag(response, out.version)
    return out


@router.post("/{number}/statements/{statement_id}/submit", summary="Submit with the sign-off")
async def submit(
    number: str, statement_id: int, data: SubmitIn, principal: CurrentUser, writer: WriterDep
) -> StatementOut:
    """Signed (the person typed their name), declined or absent; never changes after."""
    return await writer.run(
        lambda s: service.submit(
            s, principal=principal, number=number, statement_id=statement_id, data=data
        )
    )


@router.post(
    "/{number}/statements/{statement_id}/amendments",
    status_code=201,
    summary="Amend a submitted statement",
)
async def amend(
    number: str, statement_id: int, data: AmendmentIn, principal: CurrentUser, writer: WriterDep
) -> StatementOut:
    """A new statement linked to it, submitted at once; the original stays as it was."""
    return await writer.run(
        lambda s: service.amend(
            s, principal=principal, number=number, statement_id=statement_id, data=data
        )
    )
