"""Simulators of WeChat and every departmental system, faithful to their protocols.

Each sandbox is a module here with `create_blueprint(options: SandboxOptions) -> Blueprint`. The
embedded profile mounts them under /sandbox/<name> of the API itself; tests and
`citizen-api sandbox NAME` run each as its own server on loopback. Every sandbox accepts fault
injection at POST /__faults (latency, error status, timeouts, down) via integrations.sandbox.faults.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from sanic import Blueprint, Sanic

from integrations.sandbox.faults import SandboxOptions

__all__ = ["SANDBOXES", "SandboxOptions", "create_sandbox_app", "mount_sandboxes", "sandbox_blueprint"]

SANDBOXES = ("wechat", "identity", "gov_platform", "ticketing", "his", "eldercare")


def sandbox_blueprint(name: str, options: SandboxOptions) -> Blueprint:
    module = importlib.import_module(f"{__name__}.{name}")
    return module.create_blueprint(options)


def available() -> list[str]:
    return [name for name in SANDBOXES if importlib.util.find_spec(f"{__name__}.{name}") is not None]


def mount_sandboxes(app: Sanic, *, settings: Any) -> None:
    """Mount every available sandbox under /sandbox/<name> (embedded profile)."""
    for name in available():
        options = SandboxOptions.from_settings(settings, name)
        app.blueprint(sandbox_blueprint(name, options), url_prefix=f"/sandbox/{name}")


def create_sandbox_app(name: str, options: SandboxOptions, *, app_name: str | None = None) -> Sanic:
    """A standalone server for one sandbox (tests, `citizen-api sandbox NAME`)."""
    if name not in available():
        raise ValueError(f"unknown sandbox {name!r}; choose from {', '.join(available())}")
    app = Sanic(app_name or f"sandbox_{name}_{id(options)}")
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.ACCESS_LOG = False
    app.blueprint(sandbox_blueprint(name, options))
    return app
