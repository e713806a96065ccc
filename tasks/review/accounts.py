"""Accounts of the steward's desk: roles, provinces, Argon2 password hashes; every change audited."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update

from tasks.review.audit import record
from warehouse.db import now
from warehouse.models import DeskSession, User

USERS = User.__table__
ROLES = ("viewer", "steward", "approver", "admin")
DECIDERS = ("steward", "approver", "admin")  # who may acknowledge, waive, reopen, assign and comment
NAME = re.compile(r"^[A-Za-z0-9._@-]{2,80}$")
_HASHER = PasswordHasher()
# verifying against this when the name is unknown takes as long as a real check: timing tells no names
_DUMMY = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """An account change that cannot be done (bad name, role or province, a name taken, an unknown user)."""


@dataclass(frozen=True)
class Account:
    """A signed-in user as the desk sees them: no hash."""

    name: str
    role: str
    province_code: str
    disabled: bool = False

    @property
    def can_decide(self) -> bool:
        """Whether this user may change a failure (viewers only read)."""
        return self.role in DECIDERS

    @property
    def province_scope(self) -> str | None:
        """The province whose units this user sees; None for an admin, who sees every unit and the warehouse's own."""
        return None if self.role == "admin" else self.province_code


def add_user(engine: Engine, name: str, role: str, province_code: str, password: str, by: str) -> Account:
    """Create an account with the Argon2 hash of its password; the password itself is kept nowhere."""
    if not NAME.match(name or ""):
        raise AccountError(f"user name {name!r}: use 2-80 letters, digits, '.', '_', '-' or '@'")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if not re.fullmatch(r"\d{2}", province_code or ""):
        raise AccountError(f"province {province_code!r}: give its two-digit GSO code, e.g. 12 for Lai Châu")
    if len(password or "") < 8:
        raise AccountError("the password needs at least 8 characters")
    with engine.begin() as conn:
        if conn.execute(select(USERS.c.name).where(USERS.c.name == name)).first():
            raise AccountError(f"user {name} exists; disable it or choose another name")
        conn.execute(insert(USERS).values(name=name, role=role, province_code=province_code,
                                          password_hash=_HASHER.hash(password), disabled=False, created_at=now()))
        record(conn, by, "user_add", "user", name, after=f"{role} {province_code}")
    return Account(name, role, province_code)


def list_users(engine: Engine) -> list[Account]:
    """Every account, by name."""
    with engine.connect() as conn:
        return [Account(r.name, r.role, r.province_code, bool(r.disabled))
                for r in conn.execute(select(USERS).order_by(USERS.c.name))]


def disable_user(engine: Engine, name: str, by: str) -> None:
    """Disable an account: it can no longer sign in, and its open sessions stop at their next request."""
    with engine.begin() as conn:
        row = conn.execute(select(USERS).where(USERS.c.name == name)).first()
        if row is None:
            raise AccountError(f"no user {name}; see `baocao users list`")
        conn.execute(update(USERS).where(USERS.c.name == name).values(disabled=True))
        record(conn, by, "user_disable", "user", name, before="enabled" if not row.disabled else "disabled",
               after="disabled")


def get_account(engine: Engine, name: str) -> Account | None:
    """The enabled account of that name, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(USERS).where(USERS.c.name == name)).first()
    if row is None or row.disabled:
        return None
    return Account(row.name, row.role, row.province_code)


def authenticate(engine: Engine, name: str, password: str) -> Account | None:
    """The account when the name and password match an enabled user; None otherwise, in about the same time."""
    with engine.connect() as conn:
        row = conn.execute(select(USERS).where(USERS.c.name == (name or ""))).first()
    try:
        _HASHER.verify(row.password_hash if row is not None else _DUMMY, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    return Account(row.name, row.role, row.province_code)


SESSIONS = DeskSession.__table__
TOUCH_EVERY = timedelta(seconds=30)  # last_seen is rewritten at most this often: a page view is not a write


def _digest(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, so a copy of the table signs nobody in."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(engine: Engine, account: Account) -> tuple[str, str]:
    """A new session for a signed-in account: the cookie's random token and the session's CSRF token."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    at = now()
    with engine.begin() as conn:
        conn.execute(insert(SESSIONS).values(token_hash=_digest(token), user_name=account.name, csrf=csrf,
                                             created_at=at, last_seen=at, ended=False))
        record(conn, account.name, "sign_in", "user", account.name)
    return token, csrf


def session_account(engine: Engine, token: str | None, idle: timedelta) -> tuple[Account, str] | None:
    """The account and CSRF token of a live session: not ended, not idle longer than `idle`, its user enabled."""
    if not token or len(token) > 100:
        return None
    at = now()
    with engine.connect() as conn:
        row = conn.execute(select(SESSIONS, USERS.c.role, USERS.c.province_code, USERS.c.disabled)
                           .join(USERS, USERS.c.name == SESSIONS.c.user_name)
                           .where(SESSIONS.c.token_hash == _digest(token))).first()
    if row is None or row.ended or row.disabled or at - row.last_seen > idle:
        return None
    if at - row.last_seen > TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(SESSIONS).where(SESSIONS.c.token_hash == row.token_hash).values(last_seen=at))
    return Account(row.user_name, row.role, row.province_code), row.csrf


def end_session(engine: Engine, token: str | None) -> None:
    """Sign out: the session's token is refused from now on, whoever holds a copy."""
    if not token:
        return
    with engine.begin() as conn:
        row = conn.execute(select(SESSIONS.c.user_name).where(SESSIONS.c.token_hash == _digest(token))).first()
        if row is not None:
            conn.execute(update(SESSIONS).where(SESSIONS.c.token_hash == _digest(token)).values(ended=True))
            record(conn, row.user_name, "sign_out", "user", row.user_name)
