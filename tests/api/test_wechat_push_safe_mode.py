"""WeChat message push in safe (安全模式) and compatible (兼容模式) mode, with wechatpy's crypto.

The decryption is checked against WeChat's own published example (WXBizMsgCrypt's demo vector);
the HTTP tests encrypt events the way WeChat does and post them to the real server.
"""

from __future__ import annotations

import json
import time

import pytest
from pydantic import SecretStr
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from integrations.wechat.push import PushDecryptError, decrypt_push
from services.notifications import service as notifications
from services.notifications.models import SubscriptionConsent
from tests.api.test_wechat_push import signed
from tests.factories import make_user

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
# WeChat's published example (消息加解密 sample): token, key, appid, and a message it encrypted.
EXAMPLE = {
    "token": "spamtest",
    "appid": "wx2c2769f8efd9abc2",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "encrypt": "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVtic"
    "bSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77Tsz"
    "TfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9eh"
    "VsNPfUM669WuMyVWQLCzpu9GhglF2PE=",
}


def test_decrypt_push__wechats_published_example() -> None:
    event = decrypt_push(
        envelope={"Encrypt": EXAMPLE["encrypt"]},
        msg_signature=EXAMPLE["msg_signature"],
        timestamp=EXAMPLE["timestamp"],
        nonce=EXAMPLE["nonce"],
        token=EXAMPLE["token"],
        aes_key=AES_KEY,
        appid=EXAMPLE["appid"],
    )
    assert event["Content"] == "abcdteT"
    assert event["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


@pytest.mark.parametrize(
    "change",
    [{"msg_signature": "0" * 40}, {"appid": "wx0000000000other"}, {"token": "another-token"}, {"nonce": "1"}],
)
def test_decrypt_push__wrong_signature_appid_or_token_is_refused(change: dict) -> None:
    values = {**EXAMPLE, **change}
    with pytest.raises(PushDecryptError):
        decrypt_push(
            envelope={"Encrypt": values["encrypt"]},
            msg_signature=values["msg_signature"],
            timestamp=values["timestamp"],
            nonce=values["nonce"],
            token=values["token"],
            aes_key=AES_KEY,
            appid=values["appid"],
        )


@pytest.fixture
def safe_mode(settings):
    saved = (settings.wechat_push_mode, settings.wechat_push_aes_key)
    settings.wechat_push_mode = "safe"
    settings.wechat_push_aes_key = SecretStr(AES_KEY)
    yield settings
    settings.wechat_push_mode, settings.wechat_push_aes_key = saved


def _encrypted(settings, event: dict) -> tuple[dict, dict]:
    """What WeChat sends in safe mode: query with msg_signature, body {"ToUserName", "Encrypt"}."""
    token = settings.wechat_push_token.get_secret_value()
    crypto = WeChatCrypto(token, AES_KEY, settings.wechat_appid)
    timestamp, nonce = str(int(time.time())), "safe-n0nce"
    envelope_xml = crypto.encrypt_message(json.dumps(event), nonce, timestamp)
    encrypt = envelope_xml.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, encrypt)
    params = {**signed(token, timestamp, nonce), "encrypt_type": "aes", "msg_signature": signer.signature}
    return params, {"ToUserName": "gh_0000demo", "Encrypt": encrypt}


async def test_push__safe_mode_decrypts_and_applies_the_event(client, safe_mode) -> None:
    user = await make_user()
    await notifications.record_consents(user_id=user.id, template_ids=["TPL_SAFE"])
    event = {
        "ToUserName": "gh_0000demo",
        "FromUserName": user.openid,
        "CreateTime": int(time.time()),
        "MsgType": "event",
        "Event": "subscribe_msg_popup_event",
        "List": [{"TemplateId": "TPL_SAFE", "SubscribeStatusString": "reject", "PopupScene": "0"}],
    }
    params, body = _encrypted(safe_mode, event)
    response = await client.post("/wechat/push", params=params, json=body)
    assert response.status_code == 200, response.text
    assert response.text == "success"
    consent = await SubscriptionConsent.get(user_id=user.id, template_id="TPL_SAFE")
    assert consent.remaining == 0  # the decrypted event was applied


async def test_push__safe_mode_refuses_plaintext_and_bad_msg_signature(client, safe_mode) -> None:
    token = safe_mode.wechat_push_token.get_secret_value()
    plain = await client.post("/wechat/push", params=signed(token), json={"MsgType": "event", "Event": "x"})
    assert plain.status_code == 403
    assert plain.json()["error"]["code"] == "wechat.push_encryption_required"
    params, body = _encrypted(safe_mode, {"MsgType": "event", "Event": "x"})
    forged = await client.post("/wechat/push", params={**params, "msg_signature": "0" * 40}, json=body)
    assert forged.status_code == 403


async def test_push__compatible_mode_takes_both(client, safe_mode) -> None:
    safe_mode.wechat_push_mode = "compatible"
    token = safe_mode.wechat_push_token.get_secret_value()
    plain = await client.post("/wechat/push", params=signed(token), json={"MsgType": "event", "Event": "x"})
    assert plain.status_code == 200
    params, body = _encrypted(safe_mode, {"MsgType": "event", "Event": "x"})
    assert (await client.post("/wechat/push", params=params, json=body)).status_code == 200
