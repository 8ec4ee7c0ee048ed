"""A real Hub-API HTTP server on 127.0.0.1 for the tests: olah (a self-hosted Hub mirror, PyPI `olah`) in
offline mode, serving local git repositories as Hub repositories.

olah serves every repository found at `<mirror>/<datasets|models>/<org>/<name>` (a git repository) under the
Hub's routes (`/api/<type>s/<id>/revision/<rev>`, `/tree/`, `/paths-info/`, `/<type>s/<id>/resolve/<rev>/<file>`),
so `huggingface_hub`, `datasets` and `transformers` reach it with `HF_ENDPOINT=http://127.0.0.1:PORT`, as users
reach the Hub. It takes no uploads: tests publish to the in-process fake (fake_hub.py) and mirror what it
received here with `add_repo`.

Three gaps of olah 0.5.4's offline mirror are closed here, on the server side only (the clients run unchanged):
- It resolves a branch name (`main`) from its own cache of upstream answers, never from the mirror, so without
  that cache a request for the latest revision or for a path that does not exist answers 401 RepositoryNotFound
  where the Hub answers 404 EntryNotFound; huggingface_hub then raises RepositoryNotFoundError, and
  `pipeline(model=...)` fails on transformers' probe of the (absent) `additional_chat_templates/` folder.
  `add_repo` writes, with olah's own cache functions, the answer olah would have cached from the Hub for each
  branch (the mirror's own metadata of that commit).
- Its mirror file route ignores `Range` and answers 200 with the whole file, which breaks the range reads that
  streaming Parquet relies on; `ServeRanges` answers a range of such a response with 206, as the Hub does.
- It routes on the decoded path, so a revision with a slash (`refs/convert/parquet`, where the Hub keeps its
  Parquet conversion) matches no route; `SlashedRevisions` answers that one route from the mirror.

Run as a script (`python hub_server.py CONFIG.toml LOG_DIR`), it is the server process that `OlahServer` starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

STARTUP_SECONDS = 60
GIT_IDENTITY = ["-c", "user.name=RuQTopics tests", "-c", "user.email=tests@localhost", "-c", "commit.gpgsign=false"]
# Nothing but the loopback server is reachable from the server and from clients started with `client_env`:
# any other HTTP(S) connection goes to a closed local port.
NOWHERE = "http://127.0.0.1:9"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=folder, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed in {folder}: {done.stderr.strip()}")
    return done.stdout.strip()


class OlahServer:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.mirror, self.cache, self.logs = self.root / "mirror", self.root / "cache", self.root / "logs"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- repositories ------------------------------------------------------------------------------
    def add_repo(self, folder: Path, repo_id: str, repo_type: str = "model", *,
                 branches: tuple[str, ...] = ("main",)) -> Path:
        """Copy `folder` into the mirror as a one-commit git repository whose commit every name in `branches`
        (`main`, `refs/convert/parquet`) points to; return the repository folder."""
        target = self.mirror / f"{repo_type}s" / repo_id
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".git"))
        git(target, "init", "-q", "-b", "main")
        git(target, "add", "-A")
        git(target, "commit", "-q", "-m", f"Mirror of {repo_id}")
        for ref in branches:
            if ref != "main":
                git(target, "update-ref", ref, "HEAD")
        for ref in branches:
            self._cache_revision(target, repo_id, repo_type, ref)
        return target

    def remove_from_branch(self, repo_id: str, repo_type: str, pattern: str) -> None:
        """Commit, on `main` only, the removal of the files matching `pattern` (other branches keep them)."""
        target = self.mirror / f"{repo_type}s" / repo_id
        git(target, "rm", "-r", "-q", "--", pattern)
        git(target, "commit", "-q", "-m", f"Remove {pattern}")
        self._cache_revision(target, repo_id, repo_type, "main")

    def _cache_revision(self, target: Path, repo_id: str, repo_type: str, ref: str) -> None:
        """What olah caches when it resolves `ref` on the Hub: the revision's metadata (see the module doc)."""
        from olah.mirror.repos import LocalMirrorRepo
        from olah.utils.cache_utils import write_cache_request
        from olah.utils.file_utils import make_dirs
        from olah.utils.repo_utils import get_meta_save_path

        org, name = repo_id.split("/")
        meta = json.dumps(LocalMirrorRepo(str(target), f"{repo_type}s", org, name).get_meta(ref)).encode()
        meta_get = Path(get_meta_save_path(str(self.cache), f"{repo_type}s", org, name, ref))
        for path in (meta_get, meta_get.with_name("meta_head.json")):
            make_dirs(str(path))
            asyncio.run(write_cache_request(str(path), 200, {"content-type": "application/json"}, meta))

    # ---- the server process ------------------------------------------------------------------------
    def start(self) -> "OlahServer":
        config = self.root / "olah.toml"
        config.write_text(
            "[basic]\n"
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f"repos-path = {json.dumps(str(self.cache))}\nmirrors-path = [{json.dumps(str(self.mirror))}]\n"
            "[accessibility]\noffline = true\n", encoding="utf-8")
        self.logs.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, HTTP_PROXY=NOWHERE, HTTPS_PROXY=NOWHERE, ALL_PROXY=NOWHERE, NO_PROXY="")
        with open(self.logs / "server.out", "wb") as output:
            self.process = subprocess.Popen([sys.executable, __file__, str(config), str(self.logs)], cwd=self.root,
                                            env=env, stdout=output, stderr=subprocess.STDOUT)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"olah exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/api/models/readiness/probe/revision/main", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers HTTP: it is up
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"olah did not answer on {self.endpoint} within {STARTUP_SECONDS} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        path = self.logs / "server.out"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def requests(self) -> list[str]:
        """Every request line the server logged (`GET /api/... HTTP/1.1" 200`)."""
        return re.findall(r'"((?:GET|HEAD|POST) \S+) HTTP/1.1" (\d{3})', self.log_tail(lines=100_000))

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "OlahServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- clients -----------------------------------------------------------------------------------
    def client_env(self, hf_home: Path) -> dict[str, str]:
        """The environment of a user whose HF_ENDPOINT is this server: online (no HF_HUB_OFFLINE), an empty
        cache, and no route anywhere but 127.0.0.1."""
        env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE",
                                                                "TRANSFORMERS_OFFLINE", "HF_TOKEN")}
        return env | {"HF_ENDPOINT": self.endpoint, "HF_HOME": str(hf_home),
                      "HF_DATASETS_CACHE": str(hf_home / "datasets"), "HF_HUB_DISABLE_XET": "1",
                      "HF_HUB_DISABLE_TELEMETRY": "1",
                      "HTTP_PROXY": NOWHERE, "HTTPS_PROXY": NOWHERE, "ALL_PROXY": NOWHERE,
                      "NO_PROXY": "127.0.0.1,localhost"}


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


def serve(config: str, log_dir: str) -> None:
    """Start olah as its command line does (`olah-cli -c CONFIG --log-path DIR`), behind the two middlewares."""
    import uvicorn
    from olah import server

    sys.argv = ["olah-cli", "--config", config, "--log-path", log_dir]
    args = server.init()
    app = SlashedRevisions(ServeRanges(server.app), server.app.state.app_settings.config.mirrors_path)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    serve(*sys.argv[1:])
