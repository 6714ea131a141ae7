"""Shapes shared by every domain's schemas."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CURSOR_FORMAT",
    "ID_NUMBER_FORMAT",
    "WX_LOGIN_CODE_FORMAT",
    "WX_PHONE_CODE_FORMAT",
    "token_format",
    "id_number_schema",
    "NONBLANK",
    "FileForm",
    "MaterialForm",
    "PhotoForm",
    "ErrorBody",
    "ErrorEnvelope",
    "ListQuery",
    "Page",
    "StrictModel",
]

T = TypeVar("T")

# The OpenAPI `format` of server-issued opaque tokens a client passes back unchanged (cursors).
CURSOR_FORMAT = "cursor"
# The OpenAPI `format` of a mainland resident ID number (GB 11643-1999: 18 characters, region, a real
# past birth date, the ISO 7064 MOD 11-2 check character; services/common/idcard.py checks it).
ID_NUMBER_FORMAT = "gb11643"
# Single-use codes WeChat gives the mini-program (wx.login, the getPhoneNumber button): only WeChat
# makes them, so the format is the whole constraint (at most 128 characters).
WX_LOGIN_CODE_FORMAT = "wx-login-code"
WX_PHONE_CODE_FORMAT = "wx-phone-code"


def token_format(name: str) -> Any:
    """json_schema_extra for a string only an outside system issues: the `format` replaces lengths."""

    def apply(schema: dict[str, Any]) -> None:
        targets = [b for b in schema.get("anyOf", ()) if b.get("type") == "string"] or [schema]
        for target in targets:
            for key in ("pattern", "minLength", "maxLength"):
                target.pop(key, None)
            target["format"] = name

    return apply


def id_number_schema(schema: dict[str, Any]) -> None:
    """An ID number field's schema: the format says all the shape does, and more (the check character)."""
    for key in ("pattern", "minLength", "maxLength"):
        schema.pop(key, None)
    schema["format"] = ID_NUMBER_FORMAT


def _cursor_schema(schema: dict[str, Any]) -> None:
    schema.pop("maxLength", None)
    for branch in schema.get("anyOf", ()):
        if branch.get("type") == "string":
            branch.pop("maxLength", None)
            branch["format"] = CURSOR_FORMAT


class StrictModel(BaseModel):
    """Request bodies: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ListQuery(StrictModel):
    """`?limit=&cursor=`; the cap is enforced here so no list can be asked for all at once."""

    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100, description="page size (at most 100)")
    cursor: str | None = Field(
        None,
        max_length=512,
        description="next_cursor from the previous page, unchanged (opaque, at most 512 characters)",
        # Only the server makes cursors: the `format` says so (and a generator cannot guess one).
        json_schema_extra=_cursor_schema,
    )


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


# A string that is not blank once stripped (Python's str.strip also strips U+001C-U+001F and U+0085,
# which JSON Schema's \s does not name).
NONBLANK = r"[^\s\x1c-\x1f\x85]"


# Files the upload routes take, judged by their content (services/common/files.py sniffs them).
DOCUMENT_MEDIA_TYPES = "application/pdf, image/jpeg, image/png, image/webp"
PHOTO_MEDIA_TYPES = "image/jpeg, image/png, image/webp"


class FileForm(BaseModel):
    """multipart/form-data with one file in `file` (documentation of what the handler reads)."""

    file: bytes = Field(
        description="the file (at most 5 MB)", json_schema_extra={"contentMediaType": DOCUMENT_MEDIA_TYPES}
    )


class PhotoForm(BaseModel):
    """multipart/form-data with a photo (or, with ?kind=attachment, a PDF) in `file`."""

    file: bytes = Field(
        description="JPEG, PNG or WebP; ?kind=attachment also PDF",
        json_schema_extra={"contentMediaType": PHOTO_MEDIA_TYPES},
    )


class MaterialForm(FileForm):
    """multipart/form-data: which listed material this is, and the file."""

    material_code: str = Field(
        min_length=1,
        description="the material's code in the item's list (first 48 characters)",
        json_schema_extra={"pattern": "^[!-~]+$"},  # the codes are ASCII (e.g. id_card)
    )


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None
    request_id: str | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody
