"""Benchmark probe: count database and Redis round trips in a server process (bench/ only).

bench/wrk.py puts this directory first on PYTHONPATH of the servers it starts and sets BENCH_PROBE_DIR;
Python then imports this module at start-up. It wraps the client calls that each cost one round trip:

  * asyncpg: `Connection._execute` (fetch/fetchrow/fetchval/execute with arguments), `execute` without
    arguments (simple query: BEGIN, COMMIT, the pool's reset query on release), `_executemany`, and a
    statement prepare that missed the connection's statement cache;
  * redis-py asyncio: `send_packed_command` (one call per command, or per pipeline);
  * and, not a round trip, the time the cyclic garbage collector runs (`gc_us`, and `gc2` full
    collections), through `gc.callbacks`.

On SIGUSR2 the process writes its totals to $BENCH_PROBE_DIR/<pid>.json; bench/wrk.py signals the
server's process tree before and after each wrk run and divides the difference by the requests. Never
active outside the benchmarks (no BENCH_PROBE_DIR, nothing is patched).
"""

from __future__ import annotations

import os

_DIR = os.environ.get("BENCH_PROBE_DIR")


def _install(directory: str) -> None:
    import gc
    import json
    import signal
    import time

    counts = {"pg": 0, "pg_prepare": 0, "redis": 0, "gc_us": 0, "gc2": 0}
    gc_started = [0.0]

    def timed_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
            return
        counts["gc_us"] += int((time.perf_counter() - gc_started[0]) * 1e6)
        if info.get("generation") == 2:
            counts["gc2"] += 1

    gc.callbacks.append(timed_gc)

    def dump(_signum: int, _frame: object) -> None:
        path = os.path.join(directory, f"{os.getpid()}.json")
        with open(path + ".tmp", "w") as out:
            json.dump(counts, out)
        os.replace(path + ".tmp", path)

    signal.signal(signal.SIGUSR2, dump)

    try:
        from asyncpg import connection as pg
    except ImportError:  # pragma: no cover - a server without asyncpg
        pg = None
    if pg is not None:
        Connection = pg.Connection
        execute, _execute, _executemany = Connection.execute, Connection._execute, Connection._executemany
        get_statement = Connection._get_statement

        async def counted_execute(self, query, *args, **kwargs):
            if not args:
                counts["pg"] += 1  # with arguments it goes through _execute, counted there
            return await execute(self, query, *args, **kwargs)

        async def counted__execute(self, *args, **kwargs):
            counts["pg"] += 1
            return await _execute(self, *args, **kwargs)

        async def counted__executemany(self, *args, **kwargs):
            counts["pg"] += 1
            return await _executemany(self, *args, **kwargs)

        async def counted_get_statement(self, query, *args, **kwargs):
            cache = getattr(self, "_stmt_cache", None)
            before = len(cache) if cache is not None else None
            statement = await get_statement(self, query, *args, **kwargs)
            if cache is not None and len(cache) != before:
                counts["pg_prepare"] += 1  # a new prepared statement: one more round trip
            return statement

        Connection.execute = counted_execute
        Connection._execute = counted__execute
        Connection._executemany = counted__executemany
        Connection._get_statement = counted_get_statement

    try:
        from redis.asyncio import connection as rc
    except ImportError:  # pragma: no cover
        rc = None
    if rc is not None:
        send = rc.AbstractConnection.send_packed_command

        async def counted_send(self, *args, **kwargs):
            counts["redis"] += 1
            return await send(self, *args, **kwargs)

        rc.AbstractConnection.send_packed_command = counted_send


if _DIR:
    _install(_DIR)
