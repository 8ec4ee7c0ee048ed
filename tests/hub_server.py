"""A real Hub-API HTTP server on 127.0.0.1 for the tests: olah (a self-hosted Hub mirror, PyPI `olah`) in
offline mode, serving local git repositories as Hub repositories.

olah serves every repository found at `<mirror>/<datasets|models>/<org>/<name>` (a git repository) under the
Hub's routes (`/api/<type>s/<id>/revision/<rev>`, `/tree/`, `/paths-info/`, `/<type>s/<id>/resolve/<rev>/<file>`),
so `huggingface_hub`, `datasets` and `transformers` reach it with `HF_ENDPOINT=http://127.0.0.1:PORT`, as users
reach the Hub. It takes no uploads: tests publish to the in-process fake (fake_hub.py) and mirror what it
received here with `add_repo`.

olah 0.5.4's offline mirror differs from the Hub in three ways that the round trip meets; each is closed on the
server side only (the clients run unchanged), in `olah_patches.py` beside this file, which names the upstream
behaviour each works around.

Run as a script (`python hub_server.py CONFIG.toml LOG_DIR`), it is the server process that `OlahServer` starts.
"""

from __future__ import annotations

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

from olah_patches import ServeRanges, SlashedRevisions, cache_branch_answer

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
    """olah on a free port of 127.0.0.1, with the patches of olah_patches.py (`patched=False`: plain olah 0.5.4,
    for tests/hub/test_olah_patches.py, which shows the behaviour each patch works around)."""

    def __init__(self, root: Path, *, patched: bool = True):
        self.root, self.patched = Path(root).resolve(), patched
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
        for ref in branches if self.patched else ():
            cache_branch_answer(target, self.cache, repo_id, repo_type, ref)
        return target

    def remove_from_branch(self, repo_id: str, repo_type: str, pattern: str) -> None:
        """Commit, on `main` only, the removal of the files matching `pattern` (other branches keep them)."""
        target = self.mirror / f"{repo_type}s" / repo_id
        git(target, "rm", "-r", "-q", "--", pattern)
        git(target, "commit", "-q", "-m", f"Remove {pattern}")
        if self.patched:
            cache_branch_answer(target, self.cache, repo_id, repo_type, "main")

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
            command = [sys.executable, __file__, str(config), str(self.logs)] + ([] if self.patched else ["--plain"])
            self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=output, stderr=subprocess.STDOUT)
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


def serve(config: str, log_dir: str, plain: str = "") -> None:
    """Start olah as its command line does (`olah-cli -c CONFIG --log-path DIR`), behind the two middlewares
    (`--plain`: without them)."""
    import uvicorn
    from olah import server

    sys.argv = ["olah-cli", "--config", config, "--log-path", log_dir]
    args = server.init()
    app = SlashedRevisions(ServeRanges(server.app), server.app.state.app_settings.config.mirrors_path)
    uvicorn.run(server.app if plain == "--plain" else app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    serve(*sys.argv[1:])
