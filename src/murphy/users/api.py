"""JSON routes for users."""

from __future__ import annotations

from fastapi import APIRouter

from murphy.core.errors import PermissionDenied
from murphy.users import service
from murphy.users.schemas import Permission, Principal, UserIn, UserOut
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1", tags=["users"])


@router.get("/me", summary="Who am I")
async def me(principal: CurrentUser, reader: ReaderDep) -> UserOut:
    """The caller's own account."""
    return await reader.run(
        lambda s: service.to_out(s, service.get_or_raise(s, username=principal.username))
    )


@router.get("/users", summary="List users")
async def list_users(principal: CurrentUser, reader: ReaderDep) -> list[UserOut]:
    """Every user (admins)."""
    _admin(principal)
    return await reader.run(lambda s: [service.to_out(s, u) for u in service.list(s)])


@router.post("/users", status_code=201, summary="Add a user")
async def create(data: UserIn, principal: CurrentUser, writer: WriterDep) -> UserOut:
    """Add a user with a role and sites (admins)."""
    _admin(principal)
    return await writer.run(lambda s: service.to_out(s, service.create(s, data=data)))


def _admin(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_USERS):
        raise PermissionDenied("only admins may manage users")
