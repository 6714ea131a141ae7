"""Platform-wide search over documents every domain contributes: Chinese, pinyin and pinyin initials.

Domains call `index_document` when one of their objects is created or changed and `remove_document`
when it goes away; `search` finds documents by any locale's title, summary or keywords, by the full
pinyin of the Chinese title ("wangwushan") and by its initials ("wws"). Matching is a LIKE over one
lower-cased column (works the same on PostgreSQL and SQLite); ranking is done in Python on the
candidates, which is ample for a city's catalogue of places, services and notices.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.expressions import Q

from services.common.i18n import DEFAULT_LOCALE
from services.search.errors import QueryEmpty, UnknownKind
from services.search.models import SearchDocument
from services.search.synonyms import SYNONYM_GROUPS

if TYPE_CHECKING:
    import jieba

__all__ = [
    "KINDS",
    "SearchHit",
    "index_document",
    "pinyin_forms",
    "remove_document",
    "search",
]

# Kinds in use; any lower-case name of up to 32 letters is accepted so a domain can start indexing
# without a change here.
KINDS: tuple[str, ...] = (
    "scenic_area",
    "service_item",
    "hall",
    "school",
    "hospital",
    "community",
    "notice",
)

_CANDIDATES = 500
_MAX_TERMS = 6

# Word -> every word of its group (itself included); the words also go into jieba's dictionary so a
# query such as "办医保卡" segments into 办 / 医保 / 卡.
_SYNONYMS: dict[str, tuple[str, ...]] = {word: group for group in SYNONYM_GROUPS for word in group}


@functools.cache
def _tokenizer() -> jieba.Tokenizer:
    # Loading the dictionary takes about a second: done on the first query that needs words, not at import.
    # jieba and pypinyin (~65 MB of dictionaries together) are imported on first use, so a worker that
    # never searches or indexes does not carry them (issue 12, RSS per worker).
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for word in _SYNONYMS:
        tokenizer.add_word(word, freq=200_000)
    return tokenizer


_KIND = re.compile(r"^[a-z][a-z_]{0,31}$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_SEPARATORS = re.compile(r"[\s'’·\-_]+")


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: str
    ref: str
    title: str
    summary: str | None
    url: str
    score: int


def pinyin_forms(text: str) -> tuple[str, str]:
    """('wangwushan', 'wws') for '王屋山'; Latin letters and digits are kept as they are."""
    han_only = "".join(ch for ch in text if _HAN.match(ch) or ch.isalnum())
    if not han_only:
        return "", ""
    from pypinyin import Style, lazy_pinyin  # on first use (see _tokenizer)

    syllables = [s.lower() for s in lazy_pinyin(han_only, errors="default") if s.strip()]
    initials = [
        s.lower() for s in lazy_pinyin(han_only, style=Style.FIRST_LETTER, errors="default") if s.strip()
    ]
    return "".join(syllables), "".join(initials)


def _normalise(text: str) -> str:
    return text.strip().lower()


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text.strip().lower())


async def index_document(
    *,
    kind: str,
    ref: str,
    title: dict[str, str],
    summary: dict[str, str] | None,
    keywords: list[str],
    url: str,
) -> SearchDocument:
    """Add or replace the document for (kind, ref); `title` must have zh_CN (the fallback)."""
    if not _KIND.match(kind):
        raise UnknownKind(kind=kind)
    if not title.get(DEFAULT_LOCALE):
        raise ValueError("a search document needs a zh_CN title")
    summary = summary or {}
    full, initials = pinyin_forms(title[DEFAULT_LOCALE])
    keyword_pinyin = [pinyin_forms(word) for word in keywords]
    parts = [
        *title.values(),
        *summary.values(),
        *keywords,
        full,
        initials,
        *(p for pair in keyword_pinyin for p in pair),
    ]
    search_text = "\n".join(_normalise(p) for p in parts if p)
    values = {
        "title": dict(title),
        "summary": dict(summary),
        "keywords": list(keywords),
        "pinyin_full": full[:512],
        "pinyin_initials": initials[:128],
        "search_text": search_text,
        "url": url,
    }
    document, _ = await SearchDocument.update_or_create(defaults=values, kind=kind, ref=str(ref))
    return document


async def remove_document(*, kind: str, ref: str) -> bool:
    """Forget (kind, ref); True when there was such a document."""
    return bool(await SearchDocument.filter(kind=kind, ref=str(ref)).delete())


def _text(values: dict[str, str], locale: str) -> str | None:
    return values.get(locale) or values.get(DEFAULT_LOCALE) or None


def _score(document: SearchDocument, q: str, compact: str) -> int:
    titles = [_normalise(t) for t in document.title.values() if t]
    pinyin = [document.pinyin_full, document.pinyin_initials]
    if q in titles or compact in pinyin:
        return 100
    if any(t.startswith(q) for t in titles):
        return 80
    if compact and any(p.startswith(compact) for p in pinyin if p):
        return 70
    if any(q in t for t in titles):
        return 60
    if compact and any(compact in p for p in pinyin if p):
        return 50
    if any(q in _normalise(k) for k in document.keywords):
        return 40
    return 20


def _expand(word: str) -> tuple[str, ...]:
    """The word and its synonyms; a word containing a synonym also stands for the others (医保卡)."""
    if word in _SYNONYMS:
        return _SYNONYMS[word]
    forms = [word]
    for synonym, group in _SYNONYMS.items():
        if len(synonym) >= 2 and synonym in word:
            forms += [word.replace(synonym, other) for other in group if other != synonym]
    return tuple(dict.fromkeys(forms))


def _any_of(words: tuple[str, ...]) -> Q:
    condition = Q(search_text__contains=words[0])
    for word in words[1:]:
        condition |= Q(search_text__contains=word)
    return condition


def _tokens(query: str) -> list[str]:
    """The query's words (jieba), without one-character particles when longer words remain."""
    words = [w.strip() for w in _tokenizer().lcut(query) if w.strip() and not _SEPARATORS.fullmatch(w)]
    long_words = [w for w in words if len(w) > 1]
    return (long_words or words)[:_MAX_TERMS]


def whole_query(query: str) -> Q:
    """Documents containing the query, or one of its synonyms ("医保" finds 基本医疗保险)."""
    compact = _compact(query)
    condition = _any_of(_expand(query))
    if compact and compact != query:
        condition |= _any_of(_expand(compact))
    return condition


def every_word(query: str) -> Q | None:
    """Documents containing every word of the query, each word or a synonym ("宣化街 居委会")."""
    tokens = _tokens(query)
    if len(tokens) < 2:
        return None
    condition = _any_of(_expand(tokens[0]))
    for token in tokens[1:]:
        condition &= _any_of(_expand(token))
    return condition


async def search(*, q: str, locale: str, kinds: list[str] | None = None, limit: int = 20) -> list[SearchHit]:
    """Documents matching `q` best first, with title and summary in `locale` (zh_CN fallback)."""
    query = _normalise(q)[:100]
    if not query:
        raise QueryEmpty()
    compact = _compact(query)
    for kind in kinds or ():
        if not _KIND.match(kind):
            raise UnknownKind(kind=kind)
    scope = SearchDocument.filter(kind__in=kinds) if kinds else SearchDocument.all()
    candidates = await scope.filter(whole_query(query)).limit(_CANDIDATES)
    if not candidates:
        # Only then segment the query into words (jieba): most searches are one word or a name.
        words = every_word(query)
        if words is not None:
            candidates = await scope.filter(words).limit(_CANDIDATES)
    ranked = sorted(
        candidates,
        key=lambda d: (-_score(d, query, compact), len(d.title.get(DEFAULT_LOCALE, "")), d.ref),
    )
    return [
        SearchHit(
            kind=d.kind,
            ref=d.ref,
            title=_text(d.title, locale) or "",
            summary=_text(d.summary, locale),
            url=d.url,
            score=_score(d, query, compact),
        )
        for d in ranked[:limit]
    ]
