"""Running the API under Sanic's worker manager: a bounded, graceful stop on SIGTERM / SIGINT.

What Sanic 25.12 does on its own, and what we change:
- A signal that arrives before every worker has acknowledged its start (a slow host, Ctrl-C right
  after `make run`) left the main process spinning forever in `WorkerManager.wait_for_ack`: it keeps
  re-sending the shutdown message to itself. Here the manager stops waiting for acks once it is
  shutting down.
- The main process then joined its workers without a limit, so a worker stuck in a shutdown step
  kept the server alive until SIGKILL. Here the workers get `GRACE_S` seconds in all; whatever is
  still alive then is killed (and logged), and the server exits.
- Inside a worker, in-flight requests get `DRAIN_S` seconds to finish (Sanic's
  GRACEFUL_SHUTDOWN_TIMEOUT, 15 s by default) before their connections are closed; idle keep-alive
  connections are closed at once. The rest of the grace is for the after-stop listeners (background
  jobs cancelled, pools closed).
- A worker lost a SIGINT / SIGTERM that reached it after it had started listening but before its loop
  ran for good (Ctrl-C right after `make run` answered its first request): it then served on until the
  main process killed it at the end of the grace. Here each worker handles its stop signals itself, so
  such a signal stops it as soon as it serves (see `_keep_early_stop_signals`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from typing import Any

from sanic import Sanic

from citizen_api.app import create_app
from citizen_api.settings import Settings

__all__ = ["DRAIN_S", "GRACE_S", "create_served_app", "install_bounded_shutdown"]

log = logging.getLogger(__name__)

GRACE_S = 10.0
DRAIN_S = 7.0


def create_served_app(settings: Settings, *, name: str) -> Sanic:
    """The app as each worker process builds it, with the shutdown drain bounded."""
    app = create_app(settings, name=name)
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = DRAIN_S
    app.after_server_start(_keep_early_stop_signals)
    return app


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_RECHECK_S = 0.05


async def _keep_early_stop_signals(app: Sanic) -> None:
    """Replace Sanic's loop handlers for the stop signals by a process-level handler that loses none.

    Sanic registers `app.stop` with `loop.add_signal_handler` and then runs the loop twice: once for the
    after-start listeners (the socket already accepts requests), then for good. Between the two runs
    uvloop does not listen for signals (its wakeup pipe exists only while the loop runs), so a signal
    arriving then was recorded nowhere and the worker never stopped; and `app.stop` called during the
    first run stops that run instead of the server. A plain `signal.signal` handler runs whether the
    loop runs or not; it hands the stop to the loop, which acts on it once it serves for good.
    """
    loop = asyncio.get_running_loop()
    stopping = False

    def stop_when_serving() -> None:
        nonlocal stopping
        if stopping:
            return  # a second Ctrl-C while draining changes nothing (the main process decides)
        if not app.state.is_running:  # still starting: `app.stop` now would end the wrong loop run
            loop.call_later(_RECHECK_S, stop_when_serving)
            return
        stopping = True
        app.stop(terminate=False)

    def on_signal(signum: int, frame: object) -> None:
        try:
            loop.call_soon_threadsafe(stop_when_serving)
        except RuntimeError:  # the loop is already closed: the worker is exiting anyway
            pass

    # Blocked while the handlers change hands: a signal now waits for ours instead of hitting the default.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        for stop in _STOP_SIGNALS:
            loop.remove_signal_handler(stop)
            signal.signal(stop, on_signal)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def install_bounded_shutdown(grace_s: float = GRACE_S) -> None:
    """Patch Sanic's WorkerManager (main process only) as described in the module docstring."""
    from sanic.worker.manager import WorkerManager
    from sanic.worker.process import ProcessState

    if getattr(WorkerManager, "_citizen_bounded", False):
        return
    acked = WorkerManager._all_workers_ack

    def all_workers_ack(self: Any) -> bool:
        # Shutting down: nobody will ack any more; stop waiting and go on to join the workers.
        return bool(self._shutting_down) or acked(self)

    def join(self: Any) -> None:
        deadline = time.monotonic() + grace_s
        for process in list(self.processes):
            if process.state < ProcessState.JOINED:
                process.set_state(ProcessState.JOINED)
            current = process._current_process
            current.join(max(0.0, deadline - time.monotonic()) if self._shutting_down else None)
            if current.is_alive():
                log.warning(
                    "worker did not stop within the grace; killing it",
                    extra={"worker": process.name, "pid": current.pid, "grace_s": grace_s},
                )
                try:
                    os.kill(current.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                current.join(5)

    WorkerManager._all_workers_ack = all_workers_ack
    WorkerManager.join = join
    WorkerManager._citizen_bounded = True
