"""Request and response shapes of the platform-wide search."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import StrictModel

__all__ = ["SearchItem", "SearchPage", "SearchQuery"]

_KIND = "[a-z][a-z_]{0,31}"


class SearchQuery(StrictModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    q: str = Field(
        ..., min_length=1, max_length=100, description="Chinese, pinyin (wangwushan) or initials (wws)"
    )
    kinds: str | None = Field(
        None,
        max_length=200,
        description="comma-separated kinds, e.g. scenic_area,service_item",
        # Each kind is a lower-case name (services/search/service.py); empty items are skipped.
        json_schema_extra={"pattern": f"^ *(?:{_KIND})? *(?:, *(?:{_KIND})? *)*$"},
    )
    limit: int = Field(20, ge=1, le=50)
    lang: str | None = Field(None, max_length=16)


class SearchItem(BaseModel):
    id: str = Field(description="the object's id in its own domain")
    kind: str
    title: str
    summary: str | None
    url: str


class SearchPage(BaseModel):
    items: list[SearchItem]
    next_cursor: str | None = None

    @classmethod
    def from_hits(cls, hits) -> SearchPage:
        return cls(
            items=[
                SearchItem(id=h.ref, kind=h.kind, title=h.title, summary=h.summary, url=h.url) for h in hits
            ]
        )
