"""Every message a user can read exists in zh_CN and en; language negotiation."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from integrations.errors import IntegrationError
from services.common.errors import DomainError
from services.common.i18n import SUPPORTED_LOCALES, catalog, negotiate, translate

ROOT = Path(__file__).resolve().parents[2]
MESSAGE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def _import_everything() -> None:
    for package in ("services", "citizen_api", "integrations"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def used_message_ids() -> dict[str, str]:
    """message id -> where it is used, from class attributes and call sites in our code."""
    _import_everything()
    # Classes a test defines for itself (tests.*) are never shown to a user: only shipped code counts.
    error_classes = {c for c in _subclasses(DomainError) if not c.__module__.startswith("tests.")} | {
        DomainError
    }
    error_names = {cls.__name__ for cls in error_classes}
    used: dict[str, str] = {}
    for cls in error_classes:
        used.setdefault(cls.code, cls.__module__)
    for cls in _subclasses(IntegrationError):
        if cls.public_code:
            used.setdefault(cls.public_code, cls.__module__)
    for folder in ("services", "citizen_api", "integrations"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or "sandbox" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                candidates = []
                if name in error_names or name == "translate":
                    candidates += node.args[:1]
                candidates += [kw.value for kw in node.keywords if kw.arg == "code"]
                candidates += [
                    kw.value
                    for kw in node.keywords
                    if kw.arg == "kind"
                    and isinstance(kw.value, ast.Constant)
                    and str(kw.value.value).startswith("notify.")
                ]
                for value in candidates:
                    if (
                        isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and MESSAGE_ID.match(value.value)
                    ):
                        used.setdefault(value.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return used


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogs__every_message_used_in_code_is_translated(locale: str) -> None:
    messages = catalog(locale)
    missing = {msgid: where for msgid, where in used_message_ids().items() if msgid not in messages}
    assert not missing, f"untranslated in {locale}: {missing}"


def test_catalogs__both_languages_have_the_same_ids() -> None:
    zh, en = set(catalog("zh_CN")), set(catalog("en"))
    assert zh - en == set(), f"only in zh_CN: {sorted(zh - en)}"
    assert en - zh == set(), f"only in en: {sorted(en - zh)}"


def test_catalogs__placeholders_agree_between_languages() -> None:
    field = re.compile(r"{(\w+)}")
    en = catalog("en")
    mismatched = {
        msgid: (text, en[msgid])
        for msgid, text in catalog("zh_CN").items()
        if msgid in en and set(field.findall(text)) != set(field.findall(en[msgid]))
    }
    assert not mismatched


def test_translate__fills_parameters_and_falls_back() -> None:
    assert translate("integration.unavailable", "en", system="his").startswith("A department's system (his)")
    assert translate("auth.required", "fr") == translate("auth.required", "zh_CN")
    assert translate("no.such.message", "en") == "no.such.message"


@pytest.mark.parametrize(
    ("preferences", "accept", "expected"),
    [
        ((None,), None, "zh_CN"),
        ((None,), "en-US,en;q=0.9", "en"),
        ((None,), "fr-FR, en;q=0.5, zh;q=0.8", "zh_CN"),
        (("en",), "zh-CN", "en"),
        (("xx", None), "en-GB", "en"),
        ((None,), "zh-Hant-TW", "zh_CN"),
        ((None,), ";;;q=abc,,", "zh_CN"),
    ],
)
def test_negotiate__preference_then_accept_language_then_default(preferences, accept, expected) -> None:
    assert negotiate(*preferences, accept_language=accept) == expected
