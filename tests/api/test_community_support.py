"""Shared set-up for the community tests: two communities, staff and residents, and a WeChat
content-security double built on the real adapter over httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from services.accounts.enums import Role, VerificationLevel
from services.community.enums import CommunityKind, MembershipStatus, RegionKind
from services.community.models import Community, Membership, Region
from tests.factories import auth_headers, make_user

__all__ = [
    "RISKY_WORD",
    "REVIEW_WORD",
    "community_pair",
    "headers_for",
    "resident",
    "staff_of",
    "wechat_checks",
]

RISKY_WORD = "赌博"  # the double answers risky / 20006 (illegal) for text containing it
REVIEW_WORD = "待审"  # ... and review / 21000 for this one

# Two neighbouring communities in 沁园街道, ~700 m apart.
A = ("t-qinyuan-a", "测试甲社区", 35.0952, 112.5868)
B = ("t-qinyuan-b", "测试乙社区", 35.0911, 112.5931)


async def community_pair() -> tuple[Community, Community]:
    region, _ = await Region.get_or_create(
        code="t-qinyuan",
        defaults={
            "name_zh": "沁园街道",
            "name_en": "Qinyuan",
            "kind": RegionKind.SUBDISTRICT,
            "lat": 35.09,
            "lng": 112.59,
        },
    )
    made = []
    for code, name, lat, lng in (A, B):
        community = await Community.create(
            code=code,
            region=region,
            name_zh=name,
            name_en=code,
            kind=CommunityKind.COMMUNITY,
            address=f"河南省济源市沁园街道{name}",
            lat=lat,
            lng=lng,
        )
        made.append(community)
    return made[0], made[1]


async def staff_of(community: Community):
    return await make_user(roles={Role.COMMUNITY_STAFF: [str(community.id)]})


async def resident(
    community: Community | None = None, *, status: MembershipStatus = MembershipStatus.VERIFIED
):
    user = await make_user(level=VerificationLevel.PHONE)
    if community is not None:
        await Membership.create(user_id=user.id, community=community, status=status)
    return user


def headers_for(user, settings) -> dict[str, str]:
    return auth_headers(user, settings)


def _wechat_handler(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/cgi-bin/stable_token"):
        return httpx.Response(200, json={"access_token": "test-token", "expires_in": 7200})
    if request.url.path.endswith("/wxa/msg_sec_check"):
        content = json.loads(request.content)["content"]
        if RISKY_WORD in content:
            result = {"suggest": "risky", "label": 20006}
        elif REVIEW_WORD in content:
            result = {"suggest": "review", "label": 21000}
        else:
            result = {"suggest": "pass", "label": 100}
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "result": result, "trace_id": "t"})
    return httpx.Response(404, json={"errcode": 40066, "errmsg": "invalid url"})


@pytest.fixture
def wechat_checks(runtime) -> Iterator[None]:
    """Point the app's WeChat adapter at a MockTransport that answers msg_sec_check by keyword."""
    from integrations.wechat.client import MiniProgramApi

    client = MiniProgramApi(
        base_url="http://wechat.test",
        http=httpx.AsyncClient(transport=httpx.MockTransport(_wechat_handler)),
        appid="wx-test",
        secret="test-secret",
        redis=runtime.redis,
        keys=runtime.keys,
    )
    original = runtime.adapters.wechat
    runtime.adapters.wechat = client
    yield
    runtime.adapters.wechat = original
