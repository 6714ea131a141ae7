"""Revocation of sign-in sessions: the refresh-token rows are the truth, Redis a cache of the answer.

An access token belongs to a sign-in session (its `sid`, the refresh-token family). The session is live
while the family still has an unrevoked, unexpired refresh token; logout, refresh-token reuse and
account deletion revoke every token of the family in the database first. Redis caches the verdict per
session ("live" for a short while, "revoked" until the session's access tokens have expired) and can
always answer "unknown" — after a flush, a restart without persistence or an eviction — in which case
the database decides again. So losing Redis costs one query, never a revoked sign-in coming back.

Races: a verdict "live" is only cached if no verdict is there (SET NX), while "revoked" always
overwrites, so a request that read "live" just before a logout cannot cache it over the revocation.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from redis.exceptions import RedisError

from services.accounts import access
from services.common import clock
from services.common.cache import mget

__all__ = ["RevocationStore"]

log = logging.getLogger(__name__)

_LIVE = b"live"
_REVOKED = b"revoked"


class RevocationStore:
    """The revocation check the endpoint decorator runs on every authenticated request."""

    def __init__(self, *, redis: Any, keys: Any, access_ttl_s: int, live_cache_s: int = 30):
        self.redis = redis
        self.keys = keys
        self.access_ttl_s = access_ttl_s
        self.live_cache_s = live_cache_s

    def _session_key(self, session_id: str) -> str:
        return self.keys("session-state", session_id)

    async def revoke_jti(self, jti: str, expires_at: dt.datetime) -> None:
        """Deny-list one access token until it expires (tokens without a session rely on this alone)."""
        remaining = int((expires_at - clock.now()).total_seconds()) + 1
        if remaining > 0:
            try:
                await self.redis.set(self.keys("revoked-jti", jti), b"1", ex=remaining)
            except RedisError as error:
                log.warning("could not deny-list an access token in Redis", exc_info=error)

    async def revoke_sessions(self, session_ids: list[str]) -> None:
        """Cache "revoked" for sessions already revoked in the database (so the next check is fast)."""
        if not session_ids:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for sid in session_ids:
                    # Access tokens of a session live at most access_ttl_s; after that the marker can go.
                    pipe.set(self._session_key(sid), _REVOKED, ex=self.access_ttl_s + 5)
                await pipe.execute()
        except RedisError as error:
            # The database already says revoked; a cached "live" expires within live_cache_s.
            log.warning("could not cache a session revocation in Redis", exc_info=error)

    async def is_revoked(self, *, jti: str, session_id: str | None) -> bool:
        """True when the token was deny-listed or its session is no longer live."""
        revoked, _ = await self.check(jti=jti, session_id=session_id)
        return revoked

    async def check(
        self, *, jti: str, session_id: str | None, also: str | None = None
    ) -> tuple[bool, bytes | None]:
        """`is_revoked`, and the value of the key `also` read in the same round trip (None when
        absent or when Redis is unreachable): the principal's version (services/accounts/principals.py)."""
        cached: bytes | None = None
        extra: bytes | None = None
        try:
            jti_revoked, cached, extra = await self._read(jti, session_id, also)
            if jti_revoked:
                return True, extra
        except RedisError as error:
            log.warning("revocation cache unavailable; checking the session in the database", exc_info=error)
            if session_id is None:
                # A token without a session has nothing in the database to check.
                return False, None
            return not await access.session_is_live(session_id=session_id), None
        if session_id is None or cached == _LIVE:
            return False, extra
        if cached == _REVOKED:
            return True, extra
        live = await access.session_is_live(session_id=session_id)
        try:
            if live:
                await self.redis.set(self._session_key(session_id), _LIVE, ex=self.live_cache_s, nx=True)
            else:
                await self.redis.set(self._session_key(session_id), _REVOKED, ex=self.access_ttl_s + 5)
        except RedisError:
            pass
        return not live, extra

    async def _read(
        self, jti: str, session_id: str | None, also: str | None
    ) -> tuple[bool, bytes | None, bytes | None]:
        # One MGET, not a pipeline of EXISTS + GET (issue 12: the pipeline's objects cost more than the call).
        names = [self.keys("revoked-jti", jti)]
        if session_id is not None:
            names.append(self._session_key(session_id))
        if also is not None:
            names.append(also)
        values = [v.encode() if isinstance(v, str) else v for v in await mget(self.redis, *names)]
        jti_marker = values[0]
        cached = values[1] if session_id is not None else None
        extra = values[-1] if also is not None else None
        return jti_marker is not None, cached, extra
