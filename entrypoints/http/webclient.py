"""Serves the AngularJS client shipped in the ``webclient`` package: ``/`` and ``/assets/...``.

Files are read through ``importlib.resources``, so the client is served alike from an editable
and from a regular ``pip install``. Only ``index.html`` and the ``app/`` and ``vendor/`` folders
are public; the npm files beside them (``package.json``, ``vendor.js``) are not served.

Caching: the vendored libraries change only with a release of this package, so they may be
cached for a week; the client's own files and ``index.html`` are revalidated on every use
(``no-cache``). Every response carries a strong ETag, and a matching ``If-None-Match`` gets 304.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

PACKAGE: Final = "webclient"
PUBLIC_FOLDERS: Final = frozenset({"app", "vendor"})
VENDOR_MAX_AGE: Final = 7 * 24 * 3600

MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}


#: What a public file's path may look like: the client's files are named with letters,
#: digits, `.`, `_` and `-`, a few folders deep. Anything else is refused before the file
#: system sees it (a 300-character name raised ENAMETOOLONG, a 500 per request).
_PATH_PART: Final = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}"
_PUBLIC_PATH: Final = re.compile(f"{_PATH_PART}(/{_PATH_PART}){{1,7}}")


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _find(relative: str) -> Traversable | None:
    """The packaged file at ``relative`` (a ``/``-separated path), or None if not public."""
    if _PUBLIC_PATH.fullmatch(relative) is None:
        return None
    parts = relative.split("/")
    if parts[0] not in PUBLIC_FOLDERS or _suffix(parts[-1]) not in MEDIA_TYPES:
        return None
    node: Traversable = resources.files(PACKAGE)
    for part in parts:
        node = node.joinpath(part)
    try:
        return node if node.is_file() else None
    except OSError:  # whatever the file system refuses is not a file we serve
        return None


def _etag(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


@lru_cache(maxsize=64)
def _vendor_file(relative: str) -> tuple[bytes, str] | None:
    # Vendored files only change with the installed package: read and hash them once.
    return _app_file(_find(relative))


def _app_file(node: Traversable | None) -> tuple[bytes, str] | None:
    # Read on every request, so that an editable install serves edits without a restart.
    try:
        if node is None or not node.is_file():
            return None
        content = node.read_bytes()
    except OSError:  # removed or unreadable meanwhile: not served
        return None
    return content, _etag(content)


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    candidates = {candidate.strip().removeprefix("W/") for candidate in header.split(",")}
    return etag in candidates or "*" in candidates


def _respond(request: Request, name: str, found: tuple[bytes, str], cache_control: str) -> Response:
    content, etag = found
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=MEDIA_TYPES[_suffix(name)], headers=headers)


def _not_found() -> HTTPException:
    # Rendered by the app's error catalogue, like every other 404.
    return HTTPException(status_code=404)


def index(request: Request) -> Response:
    found = _app_file(resources.files(PACKAGE) / "index.html")
    if found is None:
        raise _not_found()
    return _respond(request, "index.html", found, "no-cache")


def asset(request: Request) -> Response:
    relative = str(request.path_params["path"])
    if relative.startswith("vendor/"):
        found, cache_control = _vendor_file(relative), f"public, max-age={VENDOR_MAX_AGE}"
    else:
        found, cache_control = _app_file(_find(relative)), "no-cache"
    if found is None:
        raise _not_found()
    return _respond(request, relative, found, cache_control)


def webclient_routes() -> list[BaseRoute]:
    """``GET /`` (the client's page) and ``GET /assets/{path}`` (its scripts and styles)."""
    return [
        Route("/", index, methods=["GET"], name="webclient_index"),
        Route("/assets/{path:path}", asset, methods=["GET"], name="webclient_asset"),
    ]
