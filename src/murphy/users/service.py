"""Use cases for users and credentials. Never commits: the caller owns the transaction."""

from __future__ import annotations

import builtins
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from murphy.core import security
from murphy.core.clock import utcnow
from murphy.core.errors import Conflict, NotFound, ValidationFailed
from murphy.sites import service as sites_service
from murphy.users import rules
from murphy.users.models import ApiToken, User, UserClearance, UserSite, WebSession
from murphy.users.rules import ROLE_PERMISSIONS
from murphy.users.schemas import Principal, Role, TokenOut, UserIn, UserOut, UserRef

TOKEN_PREFIX = "mur_"  # noqa: S105 - a label, not a secret

# Bearer tokens are checked on every API call; a verified token is remembered for a few
# seconds so a busy integration does not pay a database round trip per request. A
# revocation made in this process takes effect at once; one made elsewhere (another
# worker, the CLI) within TOKEN_CACHE_SECONDS.
TOKEN_CACHE_SECONDS = 5.0
_token_cache: dict[str, tuple[float, Principal]] = {}
_token_cache_lock = threading.Lock()


@dataclass(frozen=True)
class WebLogin:
    """A new browser session: the cookie secret (shown once) and its CSRF token."""

    cookie: str
    csrf_token: str
    expires_at: datetime


def create(
    session: Session,
    *,
    data: UserIn,
    now: datetime | None = None,
    password_hash: str | None = None,
) -> User:
    """Add a user with a role, a site scope and a password that meets the policy.

    `password_hash`, when given, is the argon2 hash of `data.password` computed once
    for many users with the same password (the demo, tests); it is checked, not trusted.
    """
    username = rules.normalize_username(data.username)
    if get(session, username=username) is not None:
        raise Conflict(f"user {username} already exists")
    rules.check_password(data.password, username=username)
    site_ids = sites_service.ids_for_codes(session, data.sites) if data.sites else {}
    if not site_ids and not data.all_sites and data.role != Role.ADMIN:
        raise ValidationFailed(
            f"user {username} needs at least one site (or all sites) to see anything"
        )
    user = User(
        username=username,
        display_name=data.display_name or username,
        email=data.email,
        role=data.role.value,
        password_hash=_hash_for(data.password, password_hash),
        is_active=True,
        all_sites=data.all_sites or data.role == Role.ADMIN,
        created_at=now or utcnow(),
    )
    session.add(user)
    session.flush()
    session.add_all(UserSite(user_id=user.id, site_id=sid) for sid in site_ids.values())
    for clearance in sorted(set(data.clearances)):
        grant_clearance(session, user=user, clearance=clearance)
    session.flush()
    return user


def grant_clearance(session: Session, *, user: User, clearance: str) -> None:
    """Let `user` see incidents of types restricted to `clearance`."""
    name = rules.normalize_clearance(clearance)
    if name not in _clearances(session, user.id):
        session.add(UserClearance(user_id=user.id, clearance=name))
        session.flush()
    forget_tokens()


def revoke_clearance(session: Session, *, user: User, clearance: str) -> None:
    """Take a clearance away; it takes effect on the user's next request."""
    session.execute(
        delete(UserClearance).where(
            UserClearance.user_id == user.id,
            UserClearance.clearance == rules.normalize_clearance(clearance),
        )
    )
    forget_tokens()


def get(session: Session, *, username: str) -> User | None:
    """The user with this name, or None."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def get_by_id(session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_or_raise(session: Session, *, username: str) -> User:
    """The user with this name, or NotFound."""
    user = get(session, username=username)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def list(session: Session) -> Sequence[User]:
    """Every user, by name."""
    return session.scalars(select(User).order_by(User.username)).all()


def count(session: Session) -> int:
    """How many users exist."""
    return session.scalar(select(func.count()).select_from(User)) or 0


def to_out(session: Session, user: User) -> UserOut:
    """The API shape of a user, with site codes."""
    site_ids = _site_ids(session, user.id)
    codes = sorted(s.code for s in sites_service.get_by_ids(session, site_ids).values())
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=Role(user.role),
        sites=codes,
        all_sites=user.all_sites,
        clearances=sorted(_clearances(session, user.id)),
        is_active=user.is_active,
    )


def refs(session: Session, ids: Iterable[int]) -> dict[int, UserRef]:
    """User names for many user ids at once."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.connection().execute(_USER_REFS, {"ids": wanted})
    return {r.id: UserRef(username=r.username, display_name=r.display_name) for r in rows}


def refs_by_name(session: Session, names: Iterable[str]) -> dict[str, UserRef]:
    """User refs for many user names at once (unknown names are left out)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = session.execute(
        select(User.username, User.display_name).where(User.username.in_(wanted))
    ).all()
    return {r.username: UserRef(username=r.username, display_name=r.display_name) for r in rows}


def principal(session: Session, user: User) -> Principal:
    """The Principal for an active user."""
    return Principal(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        permissions=ROLE_PERMISSIONS[Role(user.role)],
        site_ids=None if user.all_sites else frozenset(_site_ids(session, user.id)),
        clearances=frozenset(_clearances(session, user.id)),
    )


def audience(
    session: Session, *, role: str, site_id: int | None, clearance: str | None
) -> builtins.list[User]:
    """The active users of `role` who see `site_id` (None: any site) and, when
    `clearance` is given, hold it: who a message to a role reaches. By user name."""
    stmt = select(User).where(User.role == role, User.is_active.is_(True))
    if site_id is not None:
        local = select(UserSite.user_id).where(UserSite.site_id == site_id)
        stmt = stmt.where(User.all_sites.is_(True) | User.id.in_(local))
    if clearance is not None:
        cleared = select(UserClearance.user_id).where(UserClearance.clearance == clearance)
        stmt = stmt.where(User.id.in_(cleared))
    return builtins.list(session.scalars(stmt.order_by(User.username)))


PUBLIC_ACCOUNT = "public"  # who public reports are by
SIGNALS_ACCOUNT = "signals"  # who incidents opened by device signals are by


def public_principal(session: Session) -> Principal:
    """The principal public reports are made as: a reporter of every site."""
    return system_principal(session, PUBLIC_ACCOUNT, "Public report", Role.REPORTER)


def signals_principal(session: Session) -> Principal:
    """The principal device signals act as: a dispatcher of every site, since a source's
    mapping classifies what it opens."""
    return system_principal(session, SIGNALS_ACCOUNT, "Device signals", Role.DISPATCHER)


def system_principal(session: Session, username: str, display_name: str, role: Role) -> Principal:
    """A system account of every site with no password and no token, so that nobody can
    sign in as it; made on first use. Remembered for the rest of the session's
    transaction (a storm of signals asks once per batch, not once per signal)."""
    cache: dict[str, Principal] = session.info.setdefault("system_principals", {})
    if username in cache:
        return cache[username]
    user = get(session, username=username)
    if user is not None:
        cache[username] = principal(session, user)
        return cache[username]
    user = User(
        username=username,
        display_name=display_name,
        email="",
        role=role.value,
        password_hash=None,
        is_active=True,
        all_sites=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()  # not remembered: a savepoint rolled back could take the new row
    return principal(session, user)


def authenticate_password(session: Session, *, username: str, password: str) -> User | None:
    """The active user if the password matches, else None (same work either way)."""
    user = get(session, username=username)
    ok = security.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if user.password_hash and security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    """Replace a user's password and end their browser sessions."""
    rules.check_password(password, username=user.username)
    forget_tokens()
    user.password_hash = security.hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def create_token(
    session: Session,
    *,
    user: User,
    name: str = "api",
    ttl: timedelta | None = None,
    now: datetime | None = None,
) -> TokenOut:
    """A new API token for `user`; the secret is returned here and never again."""
    now = now or utcnow()
    token = security.new_token(TOKEN_PREFIX)
    expires = now + ttl if ttl else None
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            prefix=token[:12],
            digest=security.digest(token),
            created_at=now,
            expires_at=expires,
        )
    )
    session.flush()
    return TokenOut(token=token, name=name, prefix=token[:12], expires_at=expires)


def principal_for_token(
    session: Session, *, token: str, now: datetime | None = None
) -> Principal | None:
    """Who holds this bearer token, if it is valid, unexpired and unrevoked.

    Runs on every API call, so it reads columns through the connection (two small
    indexed queries) instead of loading ORM objects.
    """
    conn = session.connection()
    row = conn.execute(_TOKEN_USER, {"digest": security.digest(token)}).first()
    if row is None or not row.is_active:
        return None
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return None
    site_ids = None
    if not row.all_sites:
        site_ids = frozenset(conn.execute(_USER_SITES, {"user_id": row.id}).scalars())
    role = Role(row.role)
    return Principal(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=role,
        permissions=ROLE_PERMISSIONS[role],
        site_ids=site_ids,
        clearances=frozenset(conn.execute(_USER_CLEARANCES, {"user_id": row.id}).scalars()),
    )


_TOKEN_USER = (
    select(
        User.id,
        User.username,
        User.display_name,
        User.role,
        User.is_active,
        User.all_sites,
        ApiToken.expires_at,
    )
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.digest == bindparam("digest"), ApiToken.revoked_at.is_(None))
)
_USER_SITES = select(UserSite.site_id).where(UserSite.user_id == bindparam("user_id"))
_USER_CLEARANCES = select(UserClearance.clearance).where(
    UserClearance.user_id == bindparam("user_id")
)
_USER_REFS = select(User.id, User.username, User.display_name).where(
    User.id.in_(bindparam("ids", expanding=True))
)


def cached_principal(token: str) -> Principal | None:
    """The principal of a token verified in the last few seconds, without a query."""
    key = security.digest(token)
    with _token_cache_lock:
        found = _token_cache.get(key)
    if found is None or time.monotonic() - found[0] > TOKEN_CACHE_SECONDS:
        return None
    return found[1]


def remember_principal(token: str, principal: Principal) -> None:
    """Remember a verified token for TOKEN_CACHE_SECONDS (bounded: oldest dropped)."""
    with _token_cache_lock:
        if len(_token_cache) >= 10_000:
            _token_cache.clear()
        _token_cache[security.digest(token)] = (time.monotonic(), principal)


def forget_tokens() -> None:
    """Drop every remembered token (after a revocation or a change of role or scope)."""
    with _token_cache_lock:
        _token_cache.clear()


def revoke_tokens(session: Session, *, user: User, now: datetime | None = None) -> int:
    """Revoke every live token of `user`; returns how many."""
    forget_tokens()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for t in tokens:
        t.revoked_at = now or utcnow()
    return len(tokens)


def start_web_session(
    session: Session, *, user: User, ttl: timedelta, now: datetime | None = None
) -> WebLogin:
    """A new browser session for `user`."""
    now = now or utcnow()
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            digest=security.digest(cookie),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.flush()
    return WebLogin(cookie=cookie, csrf_token=csrf, expires_at=now + ttl)


def principal_for_web_session(
    session: Session, *, cookie: str, now: datetime | None = None
) -> tuple[Principal, str] | None:
    """The Principal and CSRF token of a live browser session, or None."""
    row = session.execute(
        select(User, WebSession.csrf_token, WebSession.expires_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.digest == security.digest(cookie))
    ).first()
    if row is None:
        return None
    user, csrf, expires_at = row
    if not user.is_active or expires_at <= (now or utcnow()):
        return None
    return principal(session, user), csrf


def end_web_session(session: Session, *, cookie: str) -> None:
    """Sign a browser out."""
    session.execute(delete(WebSession).where(WebSession.digest == security.digest(cookie)))


def ensure_admin(session: Session, *, now: datetime | None = None) -> tuple[str, str] | None:
    """On an empty database, create `admin` with a generated password and return both.

    Returns None when any user exists already, so the password is only ever shown once.
    """
    if session.scalar(select(User.id).limit(1)) is not None:
        return None
    password = secrets.token_urlsafe(15)
    create(
        session,
        data=UserIn(
            username="admin",
            display_name="Administrator",
            role=Role.ADMIN,
            all_sites=True,
            password=password,
        ),
        now=now,
    )
    return "admin", password


def _hash_for(password: str, precomputed: str | None) -> str:
    if precomputed is not None and security.verify_password(precomputed, password):
        return precomputed
    return security.hash_password(password)


def _clearances(session: Session, user_id: int) -> set[str]:
    return set(
        session.scalars(select(UserClearance.clearance).where(UserClearance.user_id == user_id))
    )


def _site_ids(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(UserSite.site_id).where(UserSite.user_id == user_id)))
