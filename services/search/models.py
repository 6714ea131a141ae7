"""Tables of the search domain: one document per searchable thing of any domain."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id

__all__ = ["SearchDocument"]


class SearchDocument(Model):
    """What search knows about one object of another domain (a scenic area, a service item, a notice...)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    kind = fields.CharField(max_length=32)
    ref = fields.CharField(max_length=64)
    # {"zh_CN": "王屋山", "en": "Wangwu Mountain"}; zh_CN is the fallback.
    title: dict = fields.JSONField(default=dict)
    summary: dict = fields.JSONField(default=dict)
    keywords: list = fields.JSONField(default=list)
    # Pinyin of the Chinese title and keywords without tones or spaces ("wangwushan") and initials ("wws").
    pinyin_full = fields.CharField(max_length=512, default="")
    pinyin_initials = fields.CharField(max_length=128, default="")
    # Lower-cased titles, summaries, keywords and pinyin in one column: the LIKE target.
    search_text = fields.TextField(default="")
    url = fields.CharField(max_length=255)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "search_document"
        unique_together = (("kind", "ref"),)
