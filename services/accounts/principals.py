"""Principals kept in the worker between requests, valid while the user's version in Redis is unchanged.

Authentication needs the caller's level, roles and locale on every request. Instead of reading them
from the database each time (issue 12: "one row or a short cached principal"), a worker keeps the
principals it loaded, each under the value the user's version key in Redis had when it was read.
Every request reads that key in the MGET it already makes for revocation (RevocationStore.check), so
a cached principal costs no round trip, and it is used only while

- the version read now is the one it was cached under (every change to what a principal holds —
  role granted or revoked, verification level raised, locale changed, account deleted — writes a
  new random version *after* its commit: `changed`), and
- it is younger than `max_age_s` (so a change whose version write was lost, Redis being down, is
  seen within that time, as a cached "live" session verdict is).

A version is created when a session starts or is refreshed (`service.start_session` calls
`ensure_version`, SET NX: it never replaces one a change wrote). No version in Redis (a Redis flush,
or a session idle longer than the key's day) means "unknown": the principal is read from the database
and not kept, at the same cost as without a cache; the session's next refresh creates the version.

Races are closed by the order of events: a change commits, then writes its version; a request reads
the version, then the database. A request that read the old version before the change's write may
cache what it read under the old version, but the next request reads the new one and misses.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections import OrderedDict
from typing import Any

from redis.exceptions import RedisError

from services.accounts import access
from services.accounts.principal import Principal

__all__ = ["PrincipalCache"]

log = logging.getLogger(__name__)

# A version key outlives any cached principal by far; once it expired, the person's principal is read
# from the database on every request until their session is next refreshed (which creates a new one).
_VERSION_TTL_S = 86_400


class PrincipalCache:
    """The worker's cached principals (an LRU of `size`) and the version keys that invalidate them."""

    def __init__(self, *, redis: Any, keys: Any, max_age_s: float = 30.0, size: int = 4096) -> None:
        self.redis = redis
        self.keys = keys
        self.max_age_s = max_age_s
        self.size = size
        # user id -> (version, loaded at (monotonic), principal)
        self._entries: OrderedDict[uuid.UUID, tuple[bytes, float, Principal]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def version_key(self, user_id: uuid.UUID) -> str:
        return self.keys("principal-version", str(user_id))

    async def get(self, user_id: uuid.UUID, version: bytes | None) -> Principal:
        """The principal of `user_id`, given the version its key held when this request read it."""
        entry = self._entries.get(user_id)
        if (
            entry is not None
            and version is not None
            and entry[0] == version
            and time.monotonic() - entry[1] < self.max_age_s
        ):
            self._entries.move_to_end(user_id)
            return entry[2]
        principal = await access.load_principal(user_id=user_id)
        if version is None:
            self._entries.pop(user_id, None)
        else:
            self._entries[user_id] = (version, time.monotonic(), principal)
            self._entries.move_to_end(user_id)
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return principal

    async def ensure_version(self, user_id: uuid.UUID) -> None:
        """Call when the person signs in or refreshes: from then on their principal can be cached."""
        try:
            await self.redis.set(
                self.version_key(user_id), secrets.token_hex(8).encode(), ex=_VERSION_TTL_S, nx=True
            )
        except RedisError as error:
            log.warning(
                "could not create a principal version in Redis (not cached meanwhile)", exc_info=error
            )

    async def changed(self, user_id: uuid.UUID) -> None:
        """Call after the commit of a change to the user's roles, level, locale or account.

        Every worker's cached principal of them stops being used at its next request. If Redis is
        unreachable the change is seen within `max_age_s` instead (logged).
        """
        self._entries.pop(user_id, None)
        try:
            await self.redis.set(self.version_key(user_id), secrets.token_hex(8).encode(), ex=_VERSION_TTL_S)
        except RedisError as error:
            log.warning(
                "could not record a principal change in Redis; other workers see it within %ss",
                self.max_age_s,
                exc_info=error,
            )
