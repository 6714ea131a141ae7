"""Rebuild the platform search from what every domain contributes (`Domain.search_documents`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from services.search.service import index_document

__all__ = ["reindex"]

Source = Callable[[], Awaitable[Sequence[dict[str, Any]]]]


async def reindex(sources: Sequence[tuple[str, Source]]) -> dict[str, int]:
    """Index every document each (domain, source) yields; returns documents written per domain."""
    written: dict[str, int] = {}
    for domain, source in sources:
        documents = await source()
        for document in documents:
            await index_document(**document)
        written[domain] = len(documents)
    return written
