from __future__ import annotations

from services.common.i18n import localized, message, translate


def test_translate__a_localized_name_is_shown_in_the_readers_language() -> None:
    name = localized({"zh_CN": "奉仙观", "en": "Fengxian Temple"})
    english = translate("notify.booking.confirmed", "en", resource=name, start="2026-12-02 09:00")
    chinese = translate("notify.booking.confirmed", "zh_CN", resource=name, start="2026-12-02 09:00")
    assert "Fengxian Temple" in english and "奉仙观" not in english
    assert "奉仙观" in chinese


def test_translate__a_name_without_english_falls_back_to_chinese() -> None:
    text = translate("notify.booking.confirmed", "en", resource=localized({"zh_CN": "奉仙观"}), start="x")
    assert "奉仙观" in text


def test_translate__a_message_parameter_is_translated_too() -> None:
    assert translate("request.malformed", "en") in translate(
        "request.malformed", "en", nested=message("request.malformed")
    )
    rendered = translate("notify.booking.confirmed", "en", resource=message("request.malformed"), start="x")
    assert translate("request.malformed", "en") in rendered
