"""The floors the API is measured against, each a single-process Sanic app on 127.0.0.1.

    python bench/floors.py bare --port 8101
    python bench/floors.py booking --port 8102 --database-url postgres://postgres@127.0.0.1:5432/<db>

`bare`: GET /ping answers {"ok": true} — the floor for reads (the framework alone). With `--served` it
is served the way `citizen-api serve --workers 1` serves the API (Sanic's worker manager: a main
process and one worker process, or `--workers N`) instead of in a single process, so the two compare
like for like.
`booking`: POST /book {"slot_id", "user_id"} does the booking's SQL work in one transaction on one
pooled asyncpg connection — a conditional UPDATE of booking_slot.taken (refused when full or closed)
and an INSERT of the booking_booking row — and answers 201 with the booking, or 409 when the slot is
full. No ORM, no auth, no middleware: the floor for writes. GET /ping answers too (readiness).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import uuid

from sanic import Sanic
from sanic.response import json as json_response

CLAIM = """
UPDATE booking_slot SET taken = taken + 1
WHERE id = $1 AND status = 'open' AND taken + 1 <= capacity
RETURNING resource_id, start, "end", day
"""
INSERT = """
INSERT INTO booking_booking (id, slot_id, resource_id, user_id, subject_id, party_size, status,
    check_in_code, purpose, visit_date, slot_start, slot_end, confirmed_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $4, 1, 'confirmed', $5, '{}', $6, $7, $8, $9, $9, $9)
"""


def bare_app() -> Sanic:
    app = Sanic("bench_floor_bare")

    @app.get("/ping")
    async def ping(request):
        return json_response({"ok": True})

    return app


def booking_app(database_url: str) -> Sanic:
    import asyncpg

    app = Sanic("bench_floor_booking")

    @app.before_server_start
    async def open_pool(app):
        app.ctx.pool = await asyncpg.create_pool(database_url, min_size=4, max_size=10)

    @app.after_server_stop
    async def close_pool(app):
        await app.ctx.pool.close()

    @app.get("/ping")
    async def ping(request):
        return json_response({"ok": True})

    @app.post("/book")
    async def book(request):
        body = json.loads(request.body)
        slot_id, user_id = uuid.UUID(body["slot_id"]), uuid.UUID(body["user_id"])
        async with app.ctx.pool.acquire() as conn, conn.transaction():
            slot = await conn.fetchrow(CLAIM, slot_id)
            if slot is None:
                return json_response({"error": {"code": "slot_full"}}, status=409)
            booking_id, now = uuid.uuid4(), dt.datetime.now(dt.UTC)
            code = secrets.token_urlsafe(16)
            await conn.execute(
                INSERT,
                booking_id,
                slot_id,
                slot["resource_id"],
                user_id,
                code,
                slot["day"],
                slot["start"],
                slot["end"],
                now,
            )
        return json_response(
            {
                "id": str(booking_id),
                "slot_id": str(slot_id),
                "status": "confirmed",
                "check_in_code": code,
                "slot_start": slot["start"].isoformat(),
                "slot_end": slot["end"].isoformat(),
            },
            status=201,
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["bare", "booking"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--served", action="store_true", help="under Sanic's worker manager")
    parser.add_argument("--workers", type=int, default=1, help="with --served: worker processes")
    args = parser.parse_args()
    if args.kind == "booking" and not args.database_url:
        raise SystemExit("booking floor needs --database-url")
    if args.served:
        from functools import partial

        from sanic.worker.loader import AppLoader

        loader = AppLoader(factory=partial(_configured, args.kind, args.database_url))
        app = loader.load()
        app.prepare(host="127.0.0.1", port=args.port, workers=args.workers, access_log=False, motd=False)
        Sanic.serve(primary=app, app_loader=loader)
        return
    app = _configured(args.kind, args.database_url)
    app.run(host="127.0.0.1", port=args.port, single_process=True, access_log=False, debug=False, motd=False)


def _configured(kind: str, database_url: str | None) -> Sanic:
    if kind == "booking":
        app = booking_app((database_url or "").replace("postgres://", "postgresql://", 1))
    else:
        app = bare_app()
    app.config.ACCESS_LOG = False
    return app


if __name__ == "__main__":
    main()
