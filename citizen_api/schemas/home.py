"""The home screen (GET /api/v1/home): standard entry points or the elder-mode set."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import StrictModel

__all__ = ["HomeEntryOut", "HomeOut", "HomeQuery"]


class HomeQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    mode: Literal["standard", "elder"] | None = Field(
        None, description="elder = 适老化 home; omitted: the signed-in user's elder_mode flag decides"
    )


class HomeEntryOut(BaseModel):
    key: str = Field(description="stable id of the entry (e.g. hospital, booking_today)")
    label: str = Field(description="a short plain-language label in the reader's language")
    description: str = Field(description="one plain sentence saying what it does")
    action: str = Field(description="the API path to open (the mini-program page of the same name)")
    status_text: str = Field(description="its state as text: never only an icon or a colour")
    hint: str = Field(description="what to do next, in words")
    priority: int = Field(description="0 = the most important next action; entries come sorted by it")

    @classmethod
    def from_domain(cls, entry: Any) -> HomeEntryOut:
        return cls(
            key=entry.key,
            label=entry.label,
            description=entry.description,
            action=entry.action,
            status_text=entry.status_text,
            hint=entry.hint,
            priority=entry.priority,
        )


class HomeOut(BaseModel):
    mode: Literal["standard", "elder"]
    locale: str
    next_action: HomeEntryOut | None = Field(
        description="the most important thing to do now (signed in only)"
    )
    items: list[HomeEntryOut] = Field(description="next actions first, then the services")

    @classmethod
    def from_domain(cls, view: Any) -> HomeOut:
        return cls(
            mode=view.mode.value,
            locale=view.locale,
            next_action=HomeEntryOut.from_domain(view.next_action) if view.next_action else None,
            items=[HomeEntryOut.from_domain(e) for e in view.entries],
        )
