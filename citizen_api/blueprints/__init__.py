"""Blueprints, one module per domain. Each module that exists and defines `bp` is mounted."""

from __future__ import annotations

import importlib
import importlib.util

from sanic import Blueprint

__all__ = ["all_blueprints"]

MODULES = (
    "platform",
    "accounts",
    "wechat_push",
    "notifications",
    "bookings",
    "gov",
    "tourism",
    "community",
    "open311",
    "search",
    "ops",
    "staff_auth",
    "console",
)


def all_blueprints() -> list[Blueprint]:
    blueprints: list[Blueprint] = []
    for name in MODULES:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        # A fresh blueprint per app: Sanic binds a blueprint to the apps it is registered on.
        blueprints.append(module.create_blueprint())
    return blueprints
