"""Errors of the search domain.

DomainError (services.common.errors)
 └── InvalidInput
      ├── QueryEmpty         the query is empty after trimming         search.query_empty
      └── UnknownKind        a kind is not a lower-case name          search.unknown_kind
"""

from __future__ import annotations

from services.common.errors import InvalidInput

__all__ = ["QueryEmpty", "UnknownKind"]


class QueryEmpty(InvalidInput):
    code = "search.query_empty"


class UnknownKind(InvalidInput):
    code = "search.unknown_kind"
