from __future__ import annotations

import json
import logging

import pytest

from citizen_api.logging import JsonFormatter, PiiFilter, scrub
from services.common.context import RequestContext, request_context

ID_NUMBER = "41088119900101123X"
PHONE = "13812345678"


def test_scrub__removes_id_numbers_and_phones_but_keeps_other_numbers() -> None:
    text = f"user {ID_NUMBER} phone {PHONE} +86 13987654321 order 20261129000123456789 ts 1764000000"
    cleaned = scrub(text)
    assert ID_NUMBER not in cleaned and PHONE not in cleaned and "13987654321" not in cleaned
    assert "20261129000123456789" in cleaned and "1764000000" in cleaned


def test_pii_filter__message_args_extra_and_exception(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.pii")
    record = logger.makeRecord(
        "test.pii",
        logging.INFO,
        __file__,
        1,
        "bound %s for %s",
        (PHONE, ID_NUMBER),
        None,
        extra={"phone": PHONE},
    )
    try:
        raise ValueError(f"bad id {ID_NUMBER}")
    except ValueError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    PiiFilter().filter(record)
    output = JsonFormatter().format(record)
    assert PHONE not in output and ID_NUMBER not in output
    assert "[phone]" in output and "[id_number]" in output


def test_json_formatter__carries_request_id() -> None:
    token = request_context.set(RequestContext(request_id="req-12345678"))
    try:
        record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "hello", (), None)
        assert json.loads(JsonFormatter().format(record))["request_id"] == "req-12345678"
    finally:
        request_context.reset(token)
