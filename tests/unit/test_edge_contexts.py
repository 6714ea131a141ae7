"""The request middleware builds its context tuples with tuple.__new__ (no generated __new__ call):
each must have exactly the fields it is given, or a field added later would silently be missing."""

from __future__ import annotations

from integrations.http import CallContext
from services.common.audit import RequestOrigin
from services.common.context import RequestContext


def test_context_tuples__built_as_the_middleware_builds_them_equal_the_named_ones() -> None:
    assert tuple.__new__(RequestContext, ("rid", None)) == RequestContext("rid", None)
    assert tuple.__new__(CallContext, ("rid", None, None)) == CallContext("rid", None, None)
    assert tuple.__new__(RequestOrigin, ("1.2.3.4", "rid")) == RequestOrigin("1.2.3.4", "rid")
    # The arity the middleware passes (citizen_api/middleware.py _begin).
    assert (len(RequestContext._fields), len(CallContext._fields), len(RequestOrigin._fields)) == (2, 3, 2)
