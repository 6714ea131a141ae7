"""What care's notices say and to whom: hospital, clinic and doctor named in the reader's language,
a proxy ("For your parent") reading the news in theirs, and the emergency call reaching the family
as WeChat subscribe messages (asserted at the WeChat sandbox)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import httpx
import pytest

from citizen_api.settings import Settings
from services.care import catalogue
from tests.api.care_helpers import consent, deliver, find_open_day, grant, patient, reset_outside_systems
from tests.factories import auth_headers
from tests.unit.test_settings import STRONG

DOCTOR = "jy-rmyy-ek-02"  # 陈静, 医师, 儿科, 济源市人民医院 (demo)
COMMUNITY = "qinyuan-xuanhua"
SOS = "TPL_CARE_SOS"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


@pytest.fixture
def templates(runtime) -> Iterator[None]:
    # Which kinds go out as subscribe messages is deployment configuration (CITIZEN_WECHAT_EMERGENCY_TEMPLATE).
    saved = runtime.settings.wechat_templates
    runtime.settings.wechat_templates = Settings(wechat_emergency_template=SOS).wechat_templates
    yield
    runtime.settings.wechat_templates = saved


@pytest.fixture
async def wechat(settings) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=settings.sandbox_url("wechat")) as control:
        await control.post("/__control/reset")
        yield control
        await control.post("/__control/reset")


async def _inbox(client, settings, user) -> list[str]:
    response = await client.get("/api/v1/me/inbox", headers=auth_headers(user, settings))
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


async def test_appointment_notice__names_in_each_readers_language_and_the_proxy_told_for_whom(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    await catalogue.sync_catalogue(his=runtime.adapters.his)  # the periodic mirror of the HIS
    father = await patient(runtime, name="王德顺", born=dt.date(1946, 6, 6))
    son = await patient(runtime, name="王小军")
    son.locale = "en"
    await son.save()
    grant_row = await grant(son, father, scopes=("care", "bookings"))
    grant_row.relation = "parent"
    await grant_row.save()
    as_father = {"X-Acting-For": str(father.id)}
    await consent(client, settings, son, **as_father)
    _, slots = await find_open_day(client, DOCTOR)
    booked = await client.post(
        "/api/v1/bookings", json={"slot_id": slots[0]["id"]}, headers=auth_headers(son, settings, **as_father)
    )
    assert booked.status_code == 201, booked.text
    await deliver(runtime)
    father_texts = [t for t in await _inbox(client, settings, father) if t.startswith("挂号成功")]
    assert len(father_texts) == 1
    assert "济源市人民医院 儿科 陈静（医师）" in father_texts[0] and "就诊序号 1" in father_texts[0]
    son_texts = [t for t in await _inbox(client, settings, son) if "Appointment booked" in t]
    assert son_texts == [son_texts[0]], son_texts  # one copy, not one as the booker and one as the proxy
    assert son_texts[0].startswith("For your parent: Appointment booked: Dr Chen Jing (Resident Physician), ")
    assert "Paediatrics, Jiyuan People's Hospital" in son_texts[0]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in son_texts[0])  # no Chinese left for him


async def test_emergency__the_family_gets_subscribe_messages_at_wechat(
    client: httpx.AsyncClient, runtime, settings, templates, wechat
) -> None:
    elder = await patient(runtime, name="赵桂兰", born=dt.date(1937, 3, 3))
    daughter, neighbour = await patient(runtime), await patient(runtime)
    daughter.locale = "en"
    await daughter.save()
    await grant(daughter, elder, scopes=("care",))
    for person in (elder, daughter, neighbour):
        for _ in range(2):  # one consent per send: "raised" and "accepted"
            accepted = await client.post(
                "/api/v1/me/subscriptions",
                json={"template_ids": [SOS]},
                headers=auth_headers(person, settings),
            )
            assert accepted.status_code in (200, 201), accepted.text
        # What WeChat itself recorded when the person tapped "allow" in wx.requestSubscribeMessage.
        granted = await wechat.post(
            "/__control/consents", json={"openid": person.openid, "template_id": SOS, "count": 2}
        )
        assert granted.status_code in (200, 201), granted.text
    call = await client.post(
        "/api/v1/care/eldercare/emergency",
        json={"community_code": COMMUNITY, "address": "济源市沁园街道宣化街5号"},
        headers=auth_headers(elder, settings),
    )
    assert call.status_code == 201 and call.json()["status"] == "accepted", call.text
    await deliver(runtime)
    sent = (await wechat.get("/__control/state")).json()["sent"]
    by_person: dict[str, list[dict]] = {}
    for item in sent:
        by_person.setdefault(item["touser"], []).append(item)
    assert set(by_person) == {elder.openid, daughter.openid}  # the family, and nobody else
    for person in (elder, daughter):
        assert [m["template_id"] for m in by_person[person.openid]] == [SOS, SOS]
        assert all(m["page"].startswith("pages/care/eldercare?order=") for m in by_person[person.openid])
    assert {m["lang"] for m in by_person[daughter.openid]} == {"en_US"}
    assert by_person[daughter.openid][0]["data"]["thing1"]["value"].startswith("[Emergency]")
    assert by_person[elder.openid][0]["data"]["thing1"]["value"].startswith("【紧急呼叫】")


async def test_emergency__without_a_template_the_family_is_told_by_inbox_and_production_warns(
    client: httpx.AsyncClient, runtime, settings, wechat, caplog
) -> None:
    assert not any(kind.startswith("care.notify.emergency") for kind in runtime.settings.wechat_templates)
    elder = await patient(runtime, name="孙玉兰", born=dt.date(1938, 8, 8))
    daughter = await patient(runtime)
    daughter.locale = "en"
    await daughter.save()
    await grant(daughter, elder, scopes=("care",))
    for person in (elder, daughter):  # they did consent: only the deployment lacks the template
        accepted = await client.post(
            "/api/v1/me/subscriptions", json={"template_ids": [SOS]}, headers=auth_headers(person, settings)
        )
        assert accepted.status_code in (200, 201), accepted.text
        await wechat.post(
            "/__control/consents", json={"openid": person.openid, "template_id": SOS, "count": 2}
        )
    call = await client.post(
        "/api/v1/care/eldercare/emergency",
        json={"community_code": COMMUNITY, "address": "济源市沁园街道宣化街9号"},
        headers=auth_headers(elder, settings),
    )
    assert call.status_code == 201 and call.json()["status"] == "accepted", call.text
    await deliver(runtime)
    assert (await wechat.get("/__control/state")).json()["sent"] == []
    elder_texts = [t for t in await _inbox(client, settings, elder) if t.startswith("【紧急呼叫】")]
    daughter_texts = [t for t in await _inbox(client, settings, daughter) if "[Emergency]" in t]
    assert len(elder_texts) == 2 and len(daughter_texts) == 2, (
        elder_texts,
        daughter_texts,
    )  # raised, accepted

    caplog.set_level(logging.WARNING, logger="citizen_api.settings")
    Settings(**STRONG)
    warned = [r for r in caplog.records if "CITIZEN_WECHAT_EMERGENCY_TEMPLATE" in r.getMessage()]
    assert len(warned) == 1 and "care.notify.emergency_raised" in warned[0].kinds_without_template
    caplog.clear()
    configured = Settings(**STRONG, wechat_emergency_template="tpl-sos-from-console")
    assert not [r for r in caplog.records if "CITIZEN_WECHAT_EMERGENCY_TEMPLATE" in r.getMessage()]
    assert configured.wechat_templates["care.notify.emergency_accepted"] == "tpl-sos-from-console"
    Settings(wechat_emergency_template=None)  # elsewhere (embedded, test) the inbox alone is fine, quietly
    assert not caplog.records
