"""The process copy of tourism documents: concurrent misses of one document make one fetch (no
stampede on the database when a hot document expires), a failure reaches every waiter and is not
kept, and a waiter that goes away does not cancel the fetch for the others."""

from __future__ import annotations

import asyncio

import pytest

from services.tourism.cache import LocalTier, cached


class _Builds:
    def __init__(self, *, delay_s: float = 0.02, fail: bool = False) -> None:
        self.calls = 0
        self.delay_s = delay_s
        self.fail = fail

    async def __call__(self) -> dict:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise LookupError("gone")
        return {"n": self.calls}


async def test_cached__concurrent_misses_build_once() -> None:
    tier = LocalTier(ttl_s=60)
    build = _Builds()
    documents = await asyncio.gather(
        *(cached(None, "doc", ttl_s=10, build=build, local=tier) for _ in range(32))
    )
    assert build.calls == 1
    assert {document.body for document in documents} == {b'{"n":1}'}
    # Stored: the next read is a hit, not another build.
    assert (await cached(None, "doc", ttl_s=10, build=build, local=tier)).body == b'{"n":1}'
    assert build.calls == 1


async def test_cached__each_key_its_own_flight() -> None:
    tier = LocalTier(ttl_s=60)
    build = _Builds()
    await asyncio.gather(
        *(cached(None, f"doc-{n % 4}", ttl_s=10, build=build, local=tier) for n in range(16))
    )
    assert build.calls == 4


async def test_cached__a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    tier = LocalTier(ttl_s=60)
    failing = _Builds(fail=True)
    results = await asyncio.gather(
        *(cached(None, "doc", ttl_s=10, build=failing, local=tier) for _ in range(8)),
        return_exceptions=True,
    )
    assert failing.calls == 1
    assert all(isinstance(result, LookupError) for result in results)
    working = _Builds()
    assert (await cached(None, "doc", ttl_s=10, build=working, local=tier)).body == b'{"n":1}'


async def test_cached__a_waiter_going_away_does_not_cancel_the_others() -> None:
    tier = LocalTier(ttl_s=60)
    build = _Builds(delay_s=0.05)
    first = asyncio.ensure_future(cached(None, "doc", ttl_s=10, build=build, local=tier))
    await asyncio.sleep(0.01)  # the first one is fetching
    second = asyncio.ensure_future(cached(None, "doc", ttl_s=10, build=build, local=tier))
    await asyncio.sleep(0.01)
    first.cancel()  # its client hung up
    with pytest.raises(asyncio.CancelledError):
        await first
    assert (await second).body == b'{"n":1}'
    assert build.calls == 1


async def test_cached__without_a_process_copy_each_call_builds() -> None:
    build = _Builds(delay_s=0)
    await asyncio.gather(*(cached(None, "doc", ttl_s=10, build=build) for _ in range(3)))
    assert build.calls == 3
