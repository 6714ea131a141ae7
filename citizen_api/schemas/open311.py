"""Shapes of the Open311 admin API (partner api keys). The GeoReport v2 documents themselves are
built by services.community.open311 and rendered as JSON or XML by the open311 blueprint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import StrictModel

__all__ = ["ApiKeyIn", "ApiKeyOut"]


class ApiKeyIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"partner": "济源市城市管理局"}]})
    partner: str = Field(min_length=1, max_length=128)


class ApiKeyOut(BaseModel):
    id: str
    partner: str
    key_prefix: str
    api_key: str | None = Field(None, description="shown once, at issue")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def from_domain(cls, key: Any, plaintext: str | None = None) -> ApiKeyOut:
        return cls(
            id=str(key.id),
            partner=key.partner,
            key_prefix=key.key_prefix,
            api_key=plaintext,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )
