"""Every mini-program page the backend links to (message links, push `page`, search results) exists.

A link to a page the mini-program does not have opens WeChat's "page not found": the resident who taps
the news about their parent's appointment lands nowhere. The links are written in the services as
"/pages/<area>/<page>?..." strings; the pages are the mini-program's app.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"""["'/](pages/[a-z0-9_-]+/[a-z0-9_-]+)""")


def _pages() -> set[str]:
    app = json.loads((ROOT / "miniprogram" / "app" / "app.json").read_text(encoding="utf-8"))
    pages = set(app["pages"])
    for package in app.get("subPackages", app.get("subpackages", [])):
        pages |= {f"{package['root'].rstrip('/')}/{page}" for page in package["pages"]}
    return pages


def _links() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder in ("services", "citizen_api", "data"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".json", ".yaml", ".yml", ".csv"} or not path.is_file():
                continue
            for match in LINK.finditer(path.read_text(encoding="utf-8", errors="ignore")):
                found.setdefault(match.group(1), []).append(str(path.relative_to(ROOT)))
    return found


def test_links__every_page_the_backend_links_to_is_a_mini_program_page() -> None:
    links, pages = _links(), _pages()
    assert links, "no links found: the scan is broken"
    missing = {page: where for page, where in links.items() if page not in pages}
    assert not missing, f"links to pages the mini-program does not have: {missing}"
