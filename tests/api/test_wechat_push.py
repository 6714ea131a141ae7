"""WeChat message push: the echostr handshake and events, accepted only with a valid signature."""

from __future__ import annotations

import hashlib
import json

import pytest

XML_EVENT = """<xml>
<ToUserName><![CDATA[gh_0000demo]]></ToUserName>
<FromUserName><![CDATA[o-test-user]]></FromUserName>
<CreateTime>1764460800</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[subscribe_msg_popup_event]]></Event>
</xml>"""


def signed(token: str, timestamp: str = "1764460800", nonce: str = "n0nce") -> dict[str, str]:
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
