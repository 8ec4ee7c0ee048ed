"""An in-process fake of the Hugging Face Hub's HTTP API, enough for `HfApi.create_repo` and `upload_folder`.

The real `huggingface_hub` client code runs; only its HTTP transport is swapped for an `httpx2.MockTransport`
(huggingface_hub's `set_client_factory`), so nothing can reach the network. Files small enough are sent
inline ("regular" upload mode), so no LFS or Xet storage is involved. Commits land in `root/<type>s/<repo_id>/`.

`fail_next_commits` makes the next N commit calls answer HTTP 500, to test uploads that break midway.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx2
import huggingface_hub

ENDPOINT = "https://hub.fake"


class FakeHub:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.repos: dict[tuple[str, str], Path] = {}
        self.commits: list[dict] = []
        self.fail_next_commits = 0
        self.authorization_headers: list[str] = []

    # ---- what tests inspect -------------------------------------------------------------------------
    def repo_dir(self, repo_id: str, repo_type: str = "model") -> Path:
        return self.root / f"{repo_type}s" / repo_id

    def files(self, repo_id: str, repo_type: str = "model") -> set[str]:
        base = self.repo_dir(repo_id, repo_type)
        return {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}

    # ---- HTTP routes ---------------------------------------------------------------------------------
    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.authorization_headers.append(request.headers.get("authorization", ""))
        path = request.url.path
        if path == "/api/repos/create" and request.method == "POST":
            return self._create_repo(json.loads(request.content))
        if path == "/api/validate-yaml":
            return httpx2.Response(200, json={"warnings": [], "errors": []})
        parts = path.split("/")  # ['', 'api', 'models', org, name, verb, revision]
        if len(parts) >= 7 and parts[1] == "api" and parts[2] in ("models", "datasets"):
            repo_type, repo_id, verb = parts[2][:-1], f"{parts[3]}/{parts[4]}", parts[5]
            if (repo_type, repo_id) not in self.repos:
                return httpx2.Response(404, json={"error": f"Repository {repo_id} not found"},
                                       headers={"X-Error-Code": "RepoNotFound"})
            if verb == "preupload":
                return self._preupload(json.loads(request.content))
            if verb == "commit":
                return self._commit(repo_type, repo_id, request.content)
        return httpx2.Response(404, json={"error": f"fake hub has no route for {request.method} {path}"})

    def _create_repo(self, body: dict) -> httpx2.Response:
        repo_type = body.get("type") or "model"
        repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
        self.repos[(repo_type, repo_id)] = self.repo_dir(repo_id, repo_type)
        self.repo_dir(repo_id, repo_type).mkdir(parents=True, exist_ok=True)
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        return httpx2.Response(200, json={"url": f"{ENDPOINT}/{prefix}{repo_id}", "name": repo_id})

    @staticmethod
    def _preupload(body: dict) -> httpx2.Response:
        files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                 for f in body["files"]]
        return httpx2.Response(200, json={"files": files})

    def _commit(self, repo_type: str, repo_id: str, payload: bytes) -> httpx2.Response:
        if self.fail_next_commits:
            self.fail_next_commits -= 1
            return httpx2.Response(500, json={"error": "fake hub: injected failure"})
        lines = [json.loads(line) for line in payload.decode().splitlines() if line.strip()]
        header = next(line["value"] for line in lines if line["key"] == "header")
        written = []
        for line in lines:
            if line["key"] == "file":
                target = self.repo_dir(repo_id, repo_type) / line["value"]["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(line["value"]["content"]))
                written.append(line["value"]["path"])
            elif line["key"] == "deletedFile":
                (self.repo_dir(repo_id, repo_type) / line["value"]["path"]).unlink(missing_ok=True)
        oid = f"{len(self.commits) + 1:040x}"
        self.commits.append({"repo_id": repo_id, "repo_type": repo_type, "summary": header.get("summary"),
                             "files": written, "oid": oid})
        return httpx2.Response(200, json={"commitUrl": f"{ENDPOINT}/{repo_id}/commit/{oid}", "commitOid": oid})

    # ---- installing it -------------------------------------------------------------------------------
    def __enter__(self) -> "FakeHub":
        huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(self.handle)))
        huggingface_hub.close_session()
        return self

    def __exit__(self, *exc) -> None:
        huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)
        huggingface_hub.close_session()
