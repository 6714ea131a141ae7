"""Two worker processes draining one outbox: every row delivered, none by both."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from services.common import outbox
from services.common.models import OutboxMessage, OutboxStatus

WORKER = textwrap.dedent(
    """
    import asyncio, os, sys
    from citizen_api.composition import tortoise_apps
    from services.common.db import init_db, close_db
    from services.common.outbox import DeliveryPolicy, deliver_due

    async def main(url, log_path):
        await init_db(url, apps=tortoise_apps())
        # Start together: announce readiness, then wait for the test's go signal.
        open(log_path + f".ready.{os.getpid()}", "w").close()
        while not os.path.exists(log_path + ".go"):
            await asyncio.sleep(0.01)
        async def handler(event, deps):
            await asyncio.sleep(0.005)  # a slow department widens the race window
            with open(log_path, "a") as fh:
                fh.write(f"{os.getpid()} {event.id}\\n")
        policy = DeliveryPolicy(max_attempts=3, backoff_base_s=0, backoff_cap_s=0, lease_s=30)
        idle = 0
        while idle < 3:
            report = await deliver_due(handlers={"t.proc": handler}, deps=None, policy=policy, limit=5)
            idle = 0 if report.delivered else idle + 1
            await asyncio.sleep(0.01)
        await close_db()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.server_only
@pytest.mark.usefixtures("db")
async def test_outbox__two_processes_deliver_each_row_exactly_once(database_url: str, tmp_path: Path) -> None:
    ids = {str((await outbox.enqueue(topic="t.proc", payload={"n": n})).id) for n in range(60)}
    log = tmp_path / "deliveries.log"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    root = Path(__file__).resolve().parents[2]
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, str(script), database_url, str(log), cwd=root)
        for _ in range(2)
    ]
    for _ in range(1000):
        if len(list(tmp_path.glob("deliveries.log.ready.*"))) == 2:
            break
        await asyncio.sleep(0.02)
    (tmp_path / "deliveries.log.go").touch()
    codes = await asyncio.wait_for(asyncio.gather(*[p.wait() for p in procs]), timeout=120)
    assert codes == [0, 0]
    lines = [line.split() for line in log.read_text().splitlines()]
    delivered = [event_id for _, event_id in lines]
    assert sorted(delivered) == sorted(ids)  # all delivered, none twice
    assert len({pid for pid, _ in lines}) == 2  # both processes really took part
    assert await OutboxMessage.filter(status=OutboxStatus.DELIVERED).count() == len(ids)
