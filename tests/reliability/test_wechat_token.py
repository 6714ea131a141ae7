"""The WeChat access token across processes: one stable_token fetch, however many refreshers race.

Each refresher is its own OS process with its own event loop, sharing only the real Redis and one
WeChat sandbox on loopback, as API processes and workers do in production.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from integrations.sandbox import SandboxOptions, create_sandbox_app
from services.common.cache import Keys, create_redis
from tests.conftest import free_port, start_server, stop_server

pytestmark = pytest.mark.server_only

ROOT = Path(__file__).resolve().parents[2]
APPID, SECRET = "wx0000000000demo", "s3cret"
PROCESSES, TASKS_PER_PROCESS = 6, 8

# Runs in each child: wait for the common start time, then race `tasks` callers in one event loop.
CHILD = """
import asyncio, json, sys, time
import httpx
from integrations.wechat.client import MiniProgramApi
from services.common.cache import Keys, create_redis

async def main(base, redis_url, prefix, start_at, tasks, action, appid, secret):
    redis = create_redis(redis_url)
    async with httpx.AsyncClient(timeout=30) as http:
        client = MiniProgramApi(base_url=base, http=http, appid=appid, secret=secret,
                              redis=redis, keys=Keys(prefix))
        await asyncio.sleep(max(0.0, start_at - time.time()))
        if action == "token":
            results = await asyncio.gather(*(client.get_access_token() for _ in range(tasks)))
        else:
            checks = await asyncio.gather(*(client.msg_sec_check(openid="o-x", content="hi") for _ in range(tasks)))
            results = [c.suggest for c in checks] + [await client.get_access_token()]
    await redis.aclose()
    print(json.dumps(results))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8]))
"""


@pytest.fixture
async def wechat_sandbox():
    port = free_port()
    server = await start_server(
        create_sandbox_app("wechat", SandboxOptions(appid=APPID, secret=SECRET)), port
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as control:
        yield base, control
    await stop_server(server)


@pytest.fixture
async def shared_redis(redis_url):
    redis = create_redis(redis_url)
    keys = Keys(f"twxp-{uuid.uuid4().hex[:10]}:")
    yield redis, keys
    stale = [key async for key in redis.scan_iter(match=keys.prefix + "*")]
    if stale:
        await redis.delete(*stale)
    await redis.aclose()


async def _race(base: str, redis_url: str, keys: Keys, action: str) -> list[list[str]]:
    start_at = time.time() + 2.0  # interpreter start-up takes a while; all begin together after it
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            base,
            redis_url,
            keys.prefix,
            str(start_at),
            str(TASKS_PER_PROCESS),
            action,
            APPID,
            SECRET,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(child.communicate() for child in children)), timeout=60)
    results = []
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


async def test_access_token__concurrent_processes_fetch_exactly_once(
    wechat_sandbox, shared_redis, redis_url
) -> None:
    base, control = wechat_sandbox
    redis, keys = shared_redis
    # A slow WeChat widens the race: every process finds the cache empty at the same moment.
    await control.post("/__faults", json={"latency_ms": 300})
    results = await _race(base, redis_url, keys, "token")
    tokens = {token for result in results for token in result}
    state = (await control.get("/__control/state")).json()
    assert state["counters"]["stable_token"] == 1, state["counters"]
    assert len(tokens) == 1
    stored = await redis.get(keys("wechat", "access_token"))
    assert stored.decode() == tokens.pop()


async def test_access_token__expired_token_refreshed_once_across_processes(
    wechat_sandbox, shared_redis, redis_url
) -> None:
    base, control = wechat_sandbox
    redis, keys = shared_redis
    await _race(base, redis_url, keys, "token")
    assert (await control.get("/__control/state")).json()["counters"]["stable_token"] == 1
    old = (await redis.get(keys("wechat", "access_token"))).decode()
    # WeChat expires the token while it is still in our cache: every process gets 42001 at once.
    await control.post("/__control/expire-token")
    await control.post("/__faults", json={"latency_ms": 100})
    results = await _race(base, redis_url, keys, "sec_check")
    state = (await control.get("/__control/state")).json()
    assert state["counters"]["stable_token"] == 2, state["counters"]
    assert all(suggest == "pass" for result in results for suggest in result[:-1])
    new_tokens = {result[-1] for result in results}
    assert len(new_tokens) == 1 and old not in new_tokens
