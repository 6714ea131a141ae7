"""Work whose client hung up and which then fails: its failure is settled, never a stray task error."""

from __future__ import annotations

import asyncio
import gc
import logging
import types
import uuid

import pytest

from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
from services.accounts.enums import VerificationLevel
from services.accounts.principal import Principal
from services.bookings.errors import SlotFull
from services.common.models import IdempotencyRecord

pytestmark = pytest.mark.usefixtures("db")


@pytest.mark.parametrize(
    ("failure", "logged"), [(SlotFull(), False), (RuntimeError("bug"), True)], ids=["refusal", "bug"]
)
async def test_idempotent__abandoned_work_that_fails_is_settled(
    caplog: pytest.LogCaptureFixture, failure: Exception, logged: bool
) -> None:
    caplog.set_level(logging.INFO)
    actor = Principal(user_id=uuid.uuid4(), level=VerificationLevel.REAL_NAME)
    key = uuid.uuid4().hex
    request = types.SimpleNamespace(headers={IDEMPOTENCY_HEADER: key})
    started, fail = asyncio.Event(), asyncio.Event()

    async def book() -> dict:
        started.set()
        await fail.wait()
        raise failure

    first = asyncio.create_task(
        idempotent(request, actor=actor, route="t.book", payload={"n": 1}, run=book, status=201)
    )
    await started.wait()
    first.cancel()  # what Sanic does when the client disconnects
    with pytest.raises(asyncio.CancelledError):
        await first
    fail.set()
    for _ in range(100):
        if not await IdempotencyRecord.filter(key=key).exists():
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the failed work's claim was never released")
    await asyncio.sleep(0.05)
    gc.collect()
    await asyncio.sleep(0.05)

    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    ours = [r for r in caplog.records if r.name == "citizen_api.idempotency"]
    assert len(ours) == (1 if logged else 0)
    if logged:
        assert ours[0].levelno == logging.ERROR  # the bug is not lost with its client
