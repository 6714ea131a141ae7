"""WeChat message push: the echostr handshake and events, accepted only with a valid signature."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from services.notifications import service as notifications
from tests.factories import make_user

XML_EVENT = """<xml>
<ToUserName><![CDATA[gh_0000demo]]></ToUserName>
<FromUserName><![CDATA[o-test-user]]></FromUserName>
<CreateTime>1764460800</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[subscribe_msg_popup_event]]></Event>
</xml>"""


def signed(token: str, timestamp: str | None = None, nonce: str = "n0nce") -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


@pytest.fixture
def token(settings) -> str:
    return settings.wechat_push_token.get_secret_value()


async def test_push_verify__valid_signature_answers_echostr(client, token) -> None:
    response = await client.get("/wechat/push", params=signed(token) | {"echostr": "7712345678"})
    assert response.status_code == 200
    assert response.text == "7712345678"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p | {"signature": "0" * 40},
        lambda p: p | {"timestamp": "1764460801"},
        lambda p: p | {"nonce": "other"},
        lambda p: {k: v for k, v in p.items() if k != "signature"},
        lambda p: {},
    ],
)
async def test_push_verify__anything_else_is_403(client, token, tamper) -> None:
    params = tamper(signed(token)) | {"echostr": "7712345678"}
    response = await client.get("/wechat/push", params=params)
    assert response.status_code == 403
    body = response.json()
    assert body["error"]["code"] == "wechat.push_signature_invalid"
    assert "7712345678" not in response.text


async def test_push_verify__signed_with_another_token_is_403(client) -> None:
    response = await client.get("/wechat/push", params=signed("someone-elses-token") | {"echostr": "1"})
    assert response.status_code == 403


async def test_push_event__json_with_valid_signature_is_accepted(client, token) -> None:
    event = {
        "ToUserName": "gh_0000demo",
        "FromUserName": "o-test",
        "MsgType": "event",
        "Event": "subscribe_msg_popup_event",
    }
    response = await client.post(
        "/wechat/push",
        params=signed(token),
        content=json.dumps(event),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.text == "success"


async def test_push_event__xml_with_valid_signature_is_accepted(client, token) -> None:
    response = await client.post(
        "/wechat/push", params=signed(token), content=XML_EVENT, headers={"Content-Type": "text/xml"}
    )
    assert response.status_code == 200
    assert response.text == "success"


async def test_push_event__bad_signature_is_403(client, token) -> None:
    response = await client.post(
        "/wechat/push",
        params=signed(token) | {"signature": "f" * 40},
        content=XML_EVENT,
        headers={"Content-Type": "text/xml"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wechat.push_signature_invalid"


@pytest.mark.parametrize(
    "body", ["<xml><unclosed>", "[1, 2]", "not xml at all", '<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>']
)
async def test_push_event__signed_garbage_is_a_4xx(client, token, body) -> None:
    response = await client.post("/wechat/push", params=signed(token), content=body)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


REJECT_XML = """<xml>
<ToUserName><![CDATA[gh_0000demo]]></ToUserName>
<FromUserName><![CDATA[{openid}]]></FromUserName>
<CreateTime>1764460800</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[subscribe_msg_change_event]]></Event>
<SubscribeMsgChangeEvent>
  <List>
    <TemplateId><![CDATA[TPL_A]]></TemplateId>
    <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
  </List>
</SubscribeMsgChangeEvent>
</xml>"""


async def test_push_event__rejected_template_in_xml_leaves_no_consent(client, settings, token) -> None:
    user = await make_user()
    other = await make_user()
    for someone in (user, other):
        await notifications.record_consents(user_id=someone.id, template_ids=["TPL_A", "TPL_B"])
    response = await client.post(
        "/wechat/push",
        params=signed(token),
        content=REJECT_XML.format(openid=user.openid),
        headers={"Content-Type": "text/xml"},
    )
    assert response.text == "success"
    mine = {c.template_id: c.remaining for c in await notifications.list_consents(user_id=user.id)}
    theirs = {c.template_id: c.remaining for c in await notifications.list_consents(user_id=other.id)}
    assert mine == {"TPL_A": 0, "TPL_B": 1}
    assert theirs == {"TPL_A": 1, "TPL_B": 1}


async def test_push_event__json_popup_reject_and_accept(client, settings, token) -> None:
    user = await make_user()
    await notifications.record_consents(user_id=user.id, template_ids=["TPL_A", "TPL_B"])
    event = {
        "ToUserName": "gh_0000demo",
        "FromUserName": user.openid,
        "MsgType": "event",
        "Event": "subscribe_msg_popup_event",
        "List": [
            {"TemplateId": "TPL_A", "SubscribeStatusString": "accept", "PopupScene": "0"},
            {"TemplateId": "TPL_B", "SubscribeStatusString": "reject", "PopupScene": "0"},
        ],
    }
    response = await client.post("/wechat/push", params=signed(token), json=event)
    assert response.text == "success"
    # Accepts are counted from POST /me/subscriptions only, so this event does not add a second one.
    consents = {c.template_id: c.remaining for c in await notifications.list_consents(user_id=user.id)}
    assert consents == {"TPL_A": 1, "TPL_B": 0}


async def test_push_event__unsigned_reject_changes_nothing(client, settings, token) -> None:
    user = await make_user()
    await notifications.record_consents(user_id=user.id, template_ids=["TPL_A"])
    response = await client.post(
        "/wechat/push", params=signed("wrong-token"), content=REJECT_XML.format(openid=user.openid)
    )
    assert response.status_code == 403
    assert [c.remaining for c in await notifications.list_consents(user_id=user.id)] == [1]
