"""No ID-number existence oracle: only someone who knows the bound name and number learns it is bound."""

from __future__ import annotations

import httpx

from services.common.models import AuditEntry
from tests.api.accounts_helpers import bearer, bind_phone, make_id_number, sign_in, verified_user


async def _verifications(client: httpx.AsyncClient) -> int:
    return (await client.get("/sandbox/identity/__state")).json()["verifications"]


async def test_identity__someone_elses_number_with_a_wrong_name_is_a_mismatch_not_409(
    client: httpx.AsyncClient, db
) -> None:
    id_number = make_id_number(serial="515")
    await verified_user(client, name="张三丰", id_number=id_number)
    # The identity system says the number does not belong to 王五.
    await client.post("/sandbox/identity/__reject", json={"name": "王五", "id_number": id_number})
    try:
        prober = await sign_in(client)
        await bind_phone(client, prober, "13812345515")
        before = await _verifications(client)
        response = await client.post(
            "/api/v1/me/identity", json={"name": "王五", "id_number": id_number}, headers=bearer(prober)
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "identity.mismatch"
        # The identity system was asked first.
        assert await _verifications(client) == before + 1
    finally:
        await client.delete("/sandbox/identity/__reject")
    # Knowing both the name and the number, the person learns that the number is bound elsewhere.
    response = await client.post(
        "/api/v1/me/identity", json={"name": "张三丰", "id_number": id_number}, headers=bearer(prober)
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "identity.already_bound"
    outcomes = [
        e.details.get("outcome") for e in await AuditEntry.filter(action="identity.rejected").order_by("seq")
    ]
    assert outcomes == ["mismatch", "already_bound"]
