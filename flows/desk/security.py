"""Who is asking: the session cookie, CSRF tokens, login throttling, safe redirects and the desk's settings."""
from __future__ import annotations

import hmac
import os
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import timedelta

COOKIE = "baocao_desk"
LOGIN_COOKIE = "baocao_login"  # the double-submit CSRF token of the sign-in form, before any session exists
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class DeskSettings:
    """The desk's knobs, from BAOCAO_DESK_* (read when the app is built)."""

    warehouse_url: str
    idle: timedelta
    province_code: str
    attempts_per_user: int = 5
    attempts_per_ip: int = 20
    attempt_window: float = 900.0

    @classmethod
    def from_env(cls) -> "DeskSettings":
        """Settings from the environment: BAOCAO_WAREHOUSE_URL, BAOCAO_DESK_IDLE_MINUTES (30)."""
        from config.settings import load_settings

        s = load_settings()
        return cls(warehouse_url=s.warehouse_url, province_code=s.province_code,
                   idle=timedelta(minutes=float(os.environ.get("BAOCAO_DESK_IDLE_MINUTES", "30"))),
                   attempts_per_user=int(os.environ.get("BAOCAO_DESK_LOGIN_ATTEMPTS", "5")))


class LoginThrottle:
    """Failed sign-ins remembered per user name and per address; past the limit, attempts are refused for a while."""

    def __init__(self, per_user: int, per_ip: int, window: float):
        self.per_user, self.per_ip, self.window = per_user, per_ip, window
        self.failures: dict[str, deque] = defaultdict(deque)

    def _recent(self, key: str) -> int:
        q, edge = self.failures[key], time.monotonic() - self.window
        while q and q[0] < edge:
            q.popleft()
        return len(q)

    def blocked(self, user: str, ip: str) -> bool:
        """Whether this name or this address failed too often lately."""
        return self._recent("u:" + user.lower()) >= self.per_user or self._recent("ip:" + ip) >= self.per_ip

    def failed(self, user: str, ip: str) -> None:
        """Count one failed attempt against the name and the address."""
        at = time.monotonic()
        self.failures["u:" + user.lower()].append(at)
        self.failures["ip:" + ip].append(at)

    def succeeded(self, user: str) -> None:
        """A good password clears the name's count (not the address's)."""
        self.failures.pop("u:" + user.lower(), None)


def new_token() -> str:
    """A random token for a form's CSRF field."""
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token with the session's."""
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


def local_path(target: str | None, default: str = "/queue") -> str:
    """A redirect target that stays on this site (a path, never //host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
