"""Each patch of tests/olah_patches.py, against real olah servers on 127.0.0.1: plain olah (`patched=False`) still
behaves as the patch's docstring says, where the Hub does not, and the patched server answers as the Hub does.

The first assertion of each test is the upstream gap: when an olah release closes it, that assertion fails and
says which patch can go. The requests are the ones the Hub round trip's clients send (huggingface_hub maps the
`X-Error-Code` header to its exceptions: `RepoNotFound` to RepositoryNotFoundError, `EntryNotFound` to
EntryNotFoundError).
"""

import json
import urllib.error
import urllib.request

import pytest
from hub_server import OlahServer, git

REPO = "acme/probe"
DATA = bytes(range(256)) * 4  # 1024 bytes, each offset's value known
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A plain and a patched olah, each mirroring the same one-file model repository with a `main` branch and
    the slashed `refs/convert/parquet`."""
    root = tmp_path_factory.mktemp("olah_patches")
    (root / "repo").mkdir()
    (root / "repo" / "data.bin").write_bytes(DATA)
    plain, patched = OlahServer(root / "plain", patched=False), OlahServer(root / "patched")
    for server in (plain, patched):
        server.add_repo(root / "repo", REPO, branches=("main", "refs/convert/parquet"))
    with plain, patched:
        yield plain, patched


def commit(server: OlahServer) -> str:
    return git(server.mirror / "models" / REPO, "rev-parse", "HEAD")


def ask(server: OlahServer, path: str, method: str = "GET", **headers: str) -> tuple[int, str, dict, bytes]:
    """(status, X-Error-Code, headers, body) of one request, HTTP errors included."""
    request = urllib.request.Request(server.endpoint + path, method=method, headers=headers)
    try:
        with NO_PROXY.open(request, timeout=30) as answer:
            return answer.status, answer.headers.get("x-error-code", ""), dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("x-error-code", ""), dict(error.headers), error.read()


@pytest.mark.parametrize("method, path, hub_answer", [
    ("GET", f"/api/models/{REPO}", (200, "")),  # model_info, the latest revision
    ("HEAD", f"/{REPO}/resolve/main/absent.json", (404, "EntryNotFound")),  # an optional file's probe
    ("GET", f"/api/models/{REPO}/tree/main/additional_chat_templates", (404, "EntryNotFound")),  # transformers'
])
def test_branch_answers_cached_for_main(servers, method, path, hub_answer):
    """Gap 1 (`cache_branch_answer`): plain olah resolves `main` only from its cache of upstream answers."""
    plain, patched = servers
    assert ask(plain, path, method)[:2] == (401, "RepoNotFound"), \
        f"plain olah now answers {method} {path} without its upstream cache: cache_branch_answer can go"
    assert ask(patched, path, method)[:2] == hub_answer


def test_branch_answer_is_the_mirrors_commit(servers):
    """The cached answer is the mirror's own metadata: model_info's `main` is the commit that olah serves."""
    _, patched = servers
    status, _, _, body = ask(patched, f"/api/models/{REPO}")
    assert (status, json.loads(body)["sha"]) == (200, commit(patched))


@pytest.mark.parametrize("wanted, first, last", [("bytes=10-19", 10, 19), ("bytes=1000-", 1000, 1023),
                                                 ("bytes=-5", 1019, 1023), ("bytes=1020-5000", 1020, 1023)])
def test_range_requests_get_206(servers, wanted, first, last):
    """Gap 2 (`ServeRanges`): plain olah answers a Range request with 200 and the whole file; the Hub, and the
    patched server, with 206, the bytes asked for and their Content-Range."""
    plain, patched = servers
    # by commit id, so that gap 1 plays no part
    assert ask(plain, f"/{REPO}/resolve/{commit(plain)}/data.bin", Range=wanted)[0::3] == (200, DATA), \
        "plain olah now honours Range: ServeRanges can go"
    status, _, headers, body = ask(patched, f"/{REPO}/resolve/{commit(patched)}/data.bin", Range=wanted)
    assert (status, body, headers["content-range"]) == (206, DATA[first:last + 1], f"bytes {first}-{last}/1024")
    assert int(headers["content-length"]) == last - first + 1


def test_requests_without_range_pass_through(servers):
    _, patched = servers
    status, _, headers, body = ask(patched, f"/{REPO}/resolve/{commit(patched)}/data.bin")
    assert (status, body, "content-range" in headers) == (200, DATA, False)


def test_slashed_revisions_are_routed(servers):
    """Gap 3 (`SlashedRevisions`): plain olah routes on the decoded path, so `refs%2Fconvert%2Fparquet` matches no
    route (404 RepoNotFound); the patched server answers it from the mirror, and an unknown one as the Hub does."""
    plain, patched = servers
    path = f"/api/models/{REPO}/revision/refs%2Fconvert%2Fparquet"
    assert ask(plain, path)[:2] == (404, "RepoNotFound"), \
        "plain olah now routes a revision with a slash: SlashedRevisions can go"
    status, _, _, body = ask(patched, path)
    assert (status, json.loads(body)["sha"]) == (200, commit(patched))
    assert ask(patched, f"/api/models/{REPO}/revision/refs%2Fconvert%2Fnothing")[:2] == (404, "RevisionNotFound")
