"""Simulators of WeChat and every departmental system, faithful to their protocols.

Each sandbox is a module here with `create_blueprint(options: SandboxOptions) -> Blueprint`. The
embedded profile mounts them under /sandbox/<name> of the API itself; tests and
`citizen-api sandbox NAME` run each as its own server on loopback. Every sandbox accepts fault
injection at POST /__faults (latency, error status, timeouts, down) via integrations.sandbox.faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanic import Blueprint, Sanic
from sanic.config import Config

from integrations.sandbox import education_bureau, eldercare, gov_platform, his, identity, ticketing, wechat
from integrations.sandbox.faults import SandboxOptions

__all__ = ["SANDBOXES", "SandboxOptions", "create_sandbox_app", "mount_sandboxes", "sandbox_blueprint"]

# Every simulator, by the name it is mounted under (/sandbox/<name>) and run as (`citizen-api sandbox NAME`).
SANDBOXES: dict[str, Callable[[SandboxOptions], Blueprint]] = {
    "wechat": wechat.create_blueprint,
    "identity": identity.create_blueprint,
    "gov_platform": gov_platform.create_blueprint,
    "ticketing": ticketing.create_blueprint,
    "his": his.create_blueprint,
    "eldercare": eldercare.create_blueprint,
    "education_bureau": education_bureau.create_blueprint,
}


def sandbox_blueprint(name: str, options: SandboxOptions) -> Blueprint:
    return SANDBOXES[name](options)


def available() -> list[str]:
    return list(SANDBOXES)


def mount_sandboxes(app: Sanic, *, settings: Any) -> None:
    """Mount every available sandbox under /sandbox/<name> (embedded profile)."""
    for name in available():
        options = SandboxOptions.from_settings(settings, name)
        app.blueprint(sandbox_blueprint(name, options), url_prefix=f"/sandbox/{name}")


def create_sandbox_app(name: str, options: SandboxOptions, *, app_name: str | None = None) -> Sanic:
    """A standalone server for one sandbox (tests, `citizen-api sandbox NAME`)."""
    if name not in available():
        raise ValueError(f"unknown sandbox {name!r}; choose from {', '.join(available())}")
    config = Config()
    config.FALLBACK_ERROR_FORMAT = "json"
    config.ACCESS_LOG = False
    # As the API (citizen_api/app.py): no sanic-ext. An app with it registers signals (http.routing.after)
    # that Sanic's per-process request touch-up then expects in every app of the process, and the API,
    # served beside a sandbox in tests, answered 500 "Could not find signal http.routing.after".
    config.AUTO_EXTEND = False
    app = Sanic(app_name or f"sandbox_{name}_{id(options)}", config=config)
    app.blueprint(sandbox_blueprint(name, options))
    return app
