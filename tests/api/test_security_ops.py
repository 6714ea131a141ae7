"""Operator pages (/metrics, /docs) are restricted by a setting, on by default in production."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from citizen_api.app import create_app
from citizen_api.settings import Settings
from tests.conftest import free_port, start_server, stop_server
from tests.unit.test_security_settings import STRONG

OPS_TOKEN = "ops-" + "t" * 40


@pytest.fixture(scope="module")
async def restricted(settings, app) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process whose operator pages admit no network, only the ops token."""
    port = free_port()
    update = {
        "port": port,
        "ops_restricted": True,
        "ops_allowed_networks": ["10.99.0.0/16"],
        "ops_token": SecretStr(OPS_TOKEN),
    }
    restricted_app = create_app(settings.model_copy(update=update), name=f"ops_{port}")
    server = await start_server(restricted_app, port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http
    await stop_server(server)


@pytest.mark.parametrize("path", ["/metrics", "/docs", "/docs/openapi.json", "/docs/swagger"])
async def test_ops_pages__restricted_refuse_other_networks(restricted: httpx.AsyncClient, path: str) -> None:
    response = await restricted.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ops.restricted"
    wrong = await restricted.get(path, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403


async def test_ops_pages__restricted_admit_the_ops_token(restricted: httpx.AsyncClient) -> None:
    response = await restricted.get("/metrics", headers={"Authorization": f"Bearer {OPS_TOKEN}"})
    assert response.status_code == 200
    assert "http_requests" in response.text or "# HELP" in response.text
    docs = await restricted.get("/docs/openapi.json", headers={"Authorization": f"Bearer {OPS_TOKEN}"})
    assert docs.status_code == 200 and "paths" in docs.json()


async def test_ops_pages__restriction_leaves_citizen_routes_alone(restricted: httpx.AsyncClient) -> None:
    assert (await restricted.get("/health")).status_code == 200
    assert (await restricted.get("/api/v1/gov/items")).status_code == 200


async def test_ops_pages__allowed_network_needs_no_token(settings, app) -> None:
    port = free_port()
    update = {
        "port": port,
        "ops_restricted": True,
        "ops_allowed_networks": ["127.0.0.0/8"],
        "ops_token": None,
    }
    allowed_app = create_app(settings.model_copy(update=update), name=f"ops_net_{port}")
    server = await start_server(allowed_app, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            assert (await http.get("/metrics")).status_code == 200
    finally:
        await stop_server(server)


def test_ops_pages__restricted_by_default_in_production_only() -> None:
    assert Settings(**STRONG).ops_pages_restricted is True
    assert Settings(_env_file=None).ops_pages_restricted is False
    assert Settings(**{**STRONG, "ops_restricted": False}).ops_pages_restricted is False
