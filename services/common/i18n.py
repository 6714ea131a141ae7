"""Message catalogs (Babel .po files under locales/) and translation with parameters.

Every user-visible text is looked up by a message id (error codes double as ids) in
`locales/<lang>/LC_MESSAGES/*.po`; each domain owns its own .po file in each language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "catalog",
    "localized",
    "message",
    "name_in",
    "negotiate",
    "translate",
]

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def catalog(locale: str) -> dict[str, str]:
    """msgid -> msgstr for `locale`, merged from every .po file of that language."""
    messages: dict[str, str] = {}
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=locale):
                if message.id and message.string:
                    messages[str(message.id)] = str(message.string)
    return messages


def localized(names: Mapping[str, str]) -> dict[str, str]:
    """A name in every language it has, as a message parameter: rendered in the reader's language.

    `translate("notify.booking.confirmed", "en", name=localized({"zh_CN": "奉仙观", "en": "Fengxian Temple"}))`
    reads "... Fengxian Temple"; a reader in zh_CN sees 奉仙观. Stored as is in an inbox row's params,
    so the text is rendered at read time, in the language of whoever reads it.
    """
    return {k: v for k, v in names.items() if isinstance(v, str) and v}


def name_in(names: Mapping[str, str], locale: str | None) -> str:
    """The name in `locale`, else in the default language (zh_CN), else any it has."""
    return names.get(locale or DEFAULT_LOCALE) or names.get(DEFAULT_LOCALE) or next(iter(names.values()), "")


def message(msgid: str, /, **params: Any) -> dict[str, Any]:
    """A translatable text as a message parameter (e.g. a status label): {"msgid": ..., "params": ...}."""
    return {"msgid": msgid, "params": params}


def _render_param(value: Any, locale: str, depth: int = 0) -> Any:
    if isinstance(value, Mapping) and depth < 3:
        if isinstance(value.get("msgid"), str):
            params = value.get("params") if isinstance(value.get("params"), Mapping) else {}
            return translate(
                value["msgid"], locale, **{k: _render_param(v, locale, depth + 1) for k, v in params.items()}
            )
        if DEFAULT_LOCALE in value:
            return value.get(locale) or value[DEFAULT_LOCALE]
    return value


def translate(msgid: str, locale: str | None = None, /, **params: Any) -> str:
    """The text for `msgid` in `locale`, falling back to zh_CN, then to the id itself.

    A parameter may be a name in several languages (`localized`) or a message of its own (`message`):
    both are rendered in `locale`.
    """
    locale = locale or DEFAULT_LOCALE
    template = catalog(locale).get(msgid) or catalog(DEFAULT_LOCALE).get(msgid)
    if template is None:
        log.warning("missing translation", extra={"msgid": msgid, "locale": locale})
        return msgid
    try:
        return template.format(**{key: _render_param(value, locale) for key, value in params.items()})
    except (KeyError, IndexError, ValueError):
        return template


def normalize(tag: str | None) -> str | None:
    """'en-US' / 'zh-Hans-CN' / 'zh' -> a supported locale, or None."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_")
    try:
        parsed = Locale.parse(tag)
    except (ValueError, UnknownLocaleError, TypeError):
        return None
    if parsed.language == "zh":
        return "zh_CN"
    if parsed.language == "en":
        return "en"
    return None


def negotiate(*preferences: str | None, accept_language: str | None = None) -> str:
    """First supported locale among explicit preferences, then Accept-Language (by q), else zh_CN."""
    for preference in preferences:
        chosen = normalize(preference)
        if chosen:
            return chosen
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept_language.split(",")[:20]):
            lang, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            ranked.append((-weight, position, lang))
        for weight, _, lang in sorted(ranked):
            if weight < 0:
                chosen = normalize(lang)
                if chosen:
                    return chosen
    return DEFAULT_LOCALE
