"""A started worker moves what start-up built out of the garbage collector's sight (issue 12)."""

from __future__ import annotations

import gc

from citizen_api.app import create_app
from tests.conftest import free_port, start_server, stop_server


async def test_started_app__start_up_objects_are_frozen(settings, db: None) -> None:
    # A full collection during a burst of requests scanned every object the worker ever built (one
    # took ~125 ms of a 200-person race); frozen, it scans only what the requests made.
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = create_app(settings.model_copy(update={"port": free_port()}))
    server = await start_server(app, app.ctx.settings.port)
    try:
        assert gc.get_freeze_count() > 10_000  # modules, models, schemas, the runtime
    finally:
        await stop_server(server)
