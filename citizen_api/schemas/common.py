"""Shapes shared by every domain's schemas."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ErrorBody", "ErrorEnvelope", "ListQuery", "Page", "StrictModel"]

T = TypeVar("T")


class StrictModel(BaseModel):
    """Request bodies: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ListQuery(StrictModel):
    """`?limit=&cursor=`; the cap is enforced here so no list can be asked for all at once."""

    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100, description="page size (at most 100)")
    cursor: str | None = Field(None, max_length=512, description="next_cursor from the previous page")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None
    request_id: str | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody
