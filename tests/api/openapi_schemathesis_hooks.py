"""Schemathesis hooks for tests/api/test_openapi_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

They teach the generator the custom `format`s the document declares, never relax a check:

- `cursor`: an opaque token only the server issues (`next_cursor`). The only cursor a client can
  make up is none at all, so positive cases start at the first page; negative cases still send
  arbitrary strings, which must be refused.
- `gb11643`: a mainland ID number; values pass the check character and have a real birth date.
- `wx-login-code` / `wx-phone-code`: single-use WeChat codes, each fresh from the app's sandbox.
- file media types: a well-formed file of each kind the upload routes accept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.file_samples import FILE_SAMPLES

from citizen_api.schemas.common import (
    CURSOR_FORMAT,
    ID_NUMBER_FORMAT,
    WX_LOGIN_CODE_FORMAT,
    WX_PHONE_CODE_FORMAT,
)

schemathesis.openapi.format(CURSOR_FORMAT, st.just(""))

# Upload routes judge files by their content and take these kinds (the document's `encoding`):
# a well-formed file of each, not arbitrary bytes labelled as one.
for _media_type, _sample in (
    ("application/pdf", "pdf"),
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
):
    schemathesis.openapi.media_type(_media_type, st.just(FILE_SAMPLES[_sample]))

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(region: str, born: dt.date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


# `gb11643`: a mainland resident ID number that passes GB 11643 (region, past birth date, check
# character), as a real person's would; who it belongs to is the identity system's business.
schemathesis.openapi.format(
    ID_NUMBER_FORMAT,
    st.builds(
        _id_number,
        st.sampled_from(["419001", "410881", "110101"]),
        st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2020, 12, 31)),
        st.integers(0, 999),
    ),
)


def _fresh_code(kind: str) -> str:
    """A new single-use code from the app's WeChat sandbox, as wx.login / getPhoneNumber would give."""
    base = os.environ["CITIZEN_SCHEMATHESIS_BASE_URL"]
    request = urllib.request.Request(
        f"{base}/sandbox/wechat/__control/{kind}",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["code"]


# `wx-login-code` / `wx-phone-code`: only WeChat issues them; each draw asks the sandbox for one.
schemathesis.openapi.format(WX_LOGIN_CODE_FORMAT, st.builds(lambda: _fresh_code("login-codes")))
schemathesis.openapi.format(WX_PHONE_CODE_FORMAT, st.builds(lambda: _fresh_code("phone-codes")))
