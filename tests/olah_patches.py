"""Where olah 0.5.4 (PyPI `olah`), run as an offline Hub mirror by tests/hub_server.py, differs from the Hub,
and the server-side patch for each. tests/hub/test_olah_patches.py asks a plain and a patched olah the same
requests: its first assertion in each test fails, naming the patch to remove, once olah behaves as the Hub does.

1. It resolves a branch name (`main`) from its own cache of upstream answers, never from the mirror, so without
   that cache `GET /api/models/<id>` (model_info, the latest revision) and a request for a path that does not
   exist at `main` (`HEAD .../resolve/main/<file>`, `GET .../tree/main/<folder>`) answer 401 RepoNotFound where
   the Hub answers 200 and 404 EntryNotFound; huggingface_hub then raises RepositoryNotFoundError, and
   `pipeline(model=...)` fails on transformers' probe of the (absent) `additional_chat_templates/` folder.
   `cache_branch_answer` (called by `OlahServer.add_repo`) writes, with olah's own cache functions, the answer
   olah would have cached from the Hub for each branch (the mirror's own metadata of that commit).
2. Its mirror file route ignores `Range` and answers 200 with the whole file, which breaks the range reads that
   streaming Parquet relies on; `ServeRanges` answers a range of such a response with 206, as the Hub does.
3. It routes on the decoded path, so a revision with a slash (`refs/convert/parquet`, where the Hub keeps its
   Parquet conversion) matches no route (404 RepoNotFound); `SlashedRevisions` answers that one route from the
   mirror, and an unknown slashed revision with 404 RevisionNotFound.

Not patched, because no client of the round trip meets it: `GET .../resolve/<rev>/<file>` of a missing file
answers 500 (the Hub: 404 EntryNotFound); huggingface_hub asks `HEAD` first, which answers 404 as the Hub does.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from pathlib import Path


def cache_branch_answer(repository: Path, cache: Path, repo_id: str, repo_type: str, ref: str) -> None:
    """Gap 1: write into olah's cache (`cache`, its repos-path) what olah caches when it resolves `ref` on the Hub,
    the revision's metadata, taken from the mirror's git `repository` with olah's own functions."""
    from olah.mirror.repos import LocalMirrorRepo
    from olah.utils.cache_utils import write_cache_request
    from olah.utils.file_utils import make_dirs
    from olah.utils.repo_utils import get_meta_save_path

    org, name = repo_id.split("/")
    meta = json.dumps(LocalMirrorRepo(str(repository), f"{repo_type}s", org, name).get_meta(ref)).encode()
    meta_get = Path(get_meta_save_path(str(cache), f"{repo_type}s", org, name, ref))
    for path in (meta_get, meta_get.with_name("meta_head.json")):
        make_dirs(str(path))
        asyncio.run(write_cache_request(str(path), 200, {"content-type": "application/json"}, meta))


class ServeRanges:
    """ASGI middleware: a `Range: bytes=...` request that the app answers 200 with the whole body gets 206 and
    the requested bytes (single ranges only, which is what huggingface_hub's file system asks)."""

    RANGE = re.compile(r"bytes=(\d*)-(\d*)")

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        wanted = dict(scope.get("headers") or []).get(b"range") if scope["type"] == "http" else None
        match = self.RANGE.fullmatch(wanted.decode("latin-1").strip()) if wanted else None
        if match is None:
            return await self.app(scope, receive, send)
        start_message, chunks = {}, []

        async def keep(message):
            if message["type"] == "http.response.start":
                start_message.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        body, headers = b"".join(chunks), [(k, v) for k, v in start_message.get("headers", [])
                                            if k.lower() not in (b"content-length", b"content-range")]
        status = start_message.get("status", 500)
        if status == 200:
            first, last = match.groups()
            begin = len(body) - int(last) if not first else int(first)
            end = len(body) - 1 if not first or not last else min(int(last), len(body) - 1)
            headers.append((b"content-range", f"bytes {begin}-{end}/{len(body)}".encode()))
            body, status = body[begin:end + 1], 206
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class SlashedRevisions:
    """ASGI middleware: olah routes on the decoded path, so `/api/<type>s/<org>/<name>/revision/<rev>` with a
    slash in the revision (`refs/convert/parquet`, sent as `refs%2Fconvert%2Fparquet`) matches no route and gets
    404 RepoNotFound; this answers that route from the mirror, with olah's own metadata of the revision."""

    ROUTE = re.compile(r"/api/(models|datasets)/([^/]+)/([^/]+)/revision/([^/]*%2F[^/]*)", re.IGNORECASE)

    def __init__(self, app, mirrors: list[str]):
        self.app, self.mirrors = app, mirrors

    async def __call__(self, scope, receive, send):
        raw_path = scope.get("raw_path", b"").decode("latin-1") if scope["type"] == "http" else ""
        match = self.ROUTE.fullmatch(raw_path)
        if match is None:
            return await self.app(scope, receive, send)
        from olah.mirror.repos import LocalMirrorRepo

        repo_type, org, name, revision = match.groups()
        folders = [Path(mirror) / repo_type / org / name for mirror in self.mirrors]
        meta = next((LocalMirrorRepo(str(folder), repo_type, org, name).get_meta(urllib.parse.unquote(revision))
                     for folder in folders if folder.is_dir()), None)
        status, body = (200, meta) if meta else (404, {"error": f"Invalid rev id: {revision}"})
        headers = [(b"content-type", b"application/json")] + ([] if meta else [(b"x-error-code", b"RevisionNotFound")])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})
