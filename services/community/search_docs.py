"""Communities and villages as platform search documents (宣化街社区, 北海社区, 村 names)."""

from __future__ import annotations

from typing import Any

from services.community.enums import CommunityKind
from services.community.models import Community

__all__ = ["search_documents"]

_KIND_WORDS = {
    CommunityKind.COMMUNITY: ["社区", "居委会", "community"],
    CommunityKind.VILLAGE: ["村", "village"],
}


async def search_documents() -> list[dict[str, Any]]:
    """One document per community or village (services.search.service.index_document arguments)."""
    documents = []
    for community in await Community.all().select_related("region").order_by("code"):
        region = community.region
        documents.append(
            {
                "kind": "community",
                "ref": str(community.id),
                "title": {"zh_CN": community.name_zh, "en": community.name_en or community.name_zh},
                "summary": {"zh_CN": region.name_zh, "en": region.name_en or region.name_zh},
                "keywords": [region.name_zh, *_KIND_WORDS.get(CommunityKind(community.kind), [])],
                "url": f"/api/v1/communities/{community.id}",
            }
        )
    return documents
