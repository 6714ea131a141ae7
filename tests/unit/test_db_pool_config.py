"""The PostgreSQL pool as configured: every connection opened with the pool (issue 12)."""

from __future__ import annotations

from services.common.db import tortoise_config


def _credentials(url: str, **kwargs) -> dict:
    return tortoise_config(url, apps={}, **kwargs)["connections"]["default"]["credentials"]


def test_pool__opens_all_its_connections_at_once() -> None:
    credentials = _credentials("postgres://u@127.0.0.1:5432/db", pool_max=7)
    assert (int(credentials["minsize"]), int(credentials["maxsize"])) == (7, 7)


def test_pool__sizes_given_in_the_url_are_kept() -> None:
    credentials = _credentials("postgres://u@127.0.0.1:5432/db?minsize=2&maxsize=5", pool_max=7)
    assert (int(credentials["minsize"]), int(credentials["maxsize"])) == (2, 5)
