"""The built console is served at /console/; without a build, a page says how to build it."""

from __future__ import annotations

import httpx
import pytest

from citizen_api.blueprints import console


@pytest.fixture
def dist(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div>', encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("not for the web", encoding="utf-8")
    monkeypatch.setattr(console, "CONSOLE_DIST", tmp_path)
    return tmp_path


async def test_console__index_and_hashed_assets_are_served(client: httpx.AsyncClient, dist) -> None:
    index = await client.get("/console/")
    assert index.status_code == 200 and '<div id="app">' in index.text
    assert index.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
    asset = await client.get("/console/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log(1)"
    assert "immutable" in asset.headers["cache-control"]
    assert (await client.get("/console", follow_redirects=False)).headers["location"] == "/console/"


async def test_console__nothing_outside_the_build_is_reachable(client: httpx.AsyncClient, dist) -> None:
    for path in ("/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/assets/missing.js"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "not for the web" not in response.text


async def test_console__without_a_build_says_how_to_make_one(
    client: httpx.AsyncClient, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(console, "CONSOLE_DIST", tmp_path / "missing")
    response = await client.get("/console/")
    assert response.status_code == 503
    assert "make run" in response.text and "Node.js" in response.text
