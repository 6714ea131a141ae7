"""The app factory: `sanic citizen_api.app:create_app --factory`, or `citizen-api serve`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging

from sanic import Sanic
from sanic.config import Config

from citizen_api import composition, response_headers
from citizen_api.errors import register_error_handlers
from citizen_api.logging import configure_logging
from citizen_api.metrics import FLUSH_S, Metrics
from citizen_api.middleware import register_middleware
from citizen_api.openapi import register_openapi_routes
from citizen_api.runtime import close_runtime, open_runtime
from citizen_api.settings import Settings
from integrations.sandbox import mount_sandboxes
from services.common.i18n import SUPPORTED_LOCALES, catalog

__all__ = ["create_app"]

log = logging.getLogger(__name__)
_instances = itertools.count()


def create_app(settings: Settings | None = None, *, name: str | None = None) -> Sanic:
    """Build the application. Reads the environment only when `settings` is not given."""
    settings = settings or Settings()
    configure_logging(level=settings.log_level, json_logs=settings.log_json)
    response_headers.install()
    config = Config()
    config.REQUEST_MAX_SIZE = settings.upload_max_bytes + 64 * 1024
    config.FALLBACK_ERROR_FORMAT = "json"
    # The OpenAPI document is ours (citizen_api/openapi.py): exact, and built once per process.
    config.OAS = False
    config.CORS = False
    # sanic-ext is not used by any route (OpenAPI, CORS and validation are ours); auto-loading it would
    # add its injection and HTTP-method extensions to every request and ~10 MB per worker (issue 12).
    config.AUTO_EXTEND = False
    config.ACCESS_LOG = False
    config.KEEP_ALIVE_TIMEOUT = 75
    # Sanic keeps a registry of apps by name; tests build several in one process.
    app = Sanic(name or f"citizen_api_{next(_instances)}", config=config, configure_logging=False)
    app.ctx.settings = settings
    app.ctx.metrics = Metrics()
    register_openapi_routes(app)

    composition.validate()
    register_middleware(app)
    register_error_handlers(app)
    composition.mount_blueprints(app)
    if settings.sandboxes:
        mount_sandboxes(app, settings=settings)

    @app.before_server_start
    async def _open(app: Sanic) -> None:
        app.ctx.runtime = await open_runtime(settings)
        app.ctx.background = []
        if app.ctx.metrics.directory:
            # Several workers: each writes its totals where /metrics (in any worker) sums them.
            app.ctx.background.append(asyncio.create_task(_flush_metrics(app.ctx.metrics)))
        if settings.run_worker_in_process:
            # Embedded profile: one process serves the API and runs the jobs (outbox, expiries).
            from citizen_api.worker import run_ticker

            app.ctx.background.append(asyncio.create_task(run_ticker(app.ctx.runtime)))
        # What start-up built (modules, models, schemas, the runtime) lives as long as the worker: out
        # of the collector's sight, a full collection during a burst scans only what requests made
        # (issue 12: one took ~125 ms of a 200-person race's ~420 ms of CPU).
        # Load the message catalogues now, not in the first refusal each worker answers.
        for locale in SUPPORTED_LOCALES:
            catalog(locale)
        gc.collect()
        gc.freeze()

    @app.after_server_stop
    async def _close(app: Sanic) -> None:
        for task in getattr(app.ctx, "background", []):
            task.cancel()
        await asyncio.gather(*getattr(app.ctx, "background", []), return_exceptions=True)
        runtime = getattr(app.ctx, "runtime", None)
        if runtime is not None:
            await close_runtime(runtime)
        with contextlib.suppress(OSError):
            app.ctx.metrics.flush()  # the last totals of this worker stay in the sum

    return app


async def _flush_metrics(metrics: Metrics) -> None:
    while True:
        await asyncio.sleep(FLUSH_S)
        try:
            metrics.flush()
        except OSError as error:  # a full or missing directory must not stop the worker
            log.warning("metrics flush failed", extra={"error": type(error).__name__})
