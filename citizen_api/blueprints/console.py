"""The staff web console: the built single-page app (console/dist) served as static files at /console/."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file, html, redirect

__all__ = ["CONSOLE_DIST", "create_blueprint"]

CONSOLE_DIST = Path(__file__).resolve().parents[2] / "console" / "dist"

_NOT_BUILT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><h1>工作台尚未构建 · The console is not built</h1>
<p>安装 Node.js 20 后运行 <code>make run</code>（或 <code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code>）。</p>
<p>Install Node.js 20, then run <code>make run</code> (or <code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code>).</p>
</body></html>"""

# The app is built with hashed asset names: those may be cached for long, index.html never.
_ASSET_CACHE = "public, max-age=31536000, immutable"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
}


async def console_root(request: Request) -> HTTPResponse:
    return redirect("/console/")


async def console_index(request: Request) -> HTTPResponse:
    index = CONSOLE_DIST / "index.html"
    if not index.is_file():
        return html(_NOT_BUILT, status=503, headers={"Cache-Control": "no-store"})
    return await file(index, headers={"cache-control": "no-cache", **_SECURITY_HEADERS})


async def console_file(request: Request, path: str) -> HTTPResponse:
    # Resolve inside dist/ only: '..' or a symlink out of it is a 404, never a file elsewhere.
    root = CONSOLE_DIST.resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        # The console routes by URL hash, so any other path is simply not there.
        return html("<h1>404</h1>", status=404)
    cache = _ASSET_CACHE if target.parent.name == "assets" else "no-cache"
    return await file(target, headers={"cache-control": cache, **_SECURITY_HEADERS})


def create_blueprint() -> Blueprint:
    bp = Blueprint("console")
    bp.add_route(console_root, "/console", methods=["GET"], strict_slashes=True)
    bp.add_route(console_index, "/console/", methods=["GET"], strict_slashes=True)
    bp.add_route(console_file, "/console/<path:path>", methods=["GET"])
    return bp
