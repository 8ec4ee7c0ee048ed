"""Publishing a finished local folder to the Hugging Face Hub with `huggingface_hub`.

The folder is complete before anything is sent, and `upload_folder` makes one commit, so a failed upload
changes nothing on the Hub and leaves the folder as it was: run the same call again to retry.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Literal

from huggingface_hub import HfApi
from huggingface_hub.utils import HFValidationError, validate_repo_id

from ruqtopics_kit.core.config_files import card_tags
from ruqtopics_kit.core.errors import InvalidParameterError, KitError

LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+-]*")  # the Hub's licence ids: apache-2.0, cc-by-nc-sa-4.0, other, ...


def check_repo_id(option: str, repo_id: str) -> str:
    """`repo_id` if it is a valid Hub id ORG/NAME, else InvalidParameterError naming `option` (checked before any
    work: an id such as `a b/x` or `a/b/x` would otherwise fail only at the upload, or end up in the cards)."""
    try:
        if repo_id.count("/") != 1:
            raise HFValidationError("expected ORG/NAME")
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise InvalidParameterError(f"{option} {repo_id!r} is no Hub repository id ORG/NAME: {error}") from None
    return repo_id


def check_license_id(option: str, license_id: str) -> str:
    """`license_id` if it looks like a Hub licence id (lowercase, no spaces: `cc-by-4.0`, `other`, `unknown`)."""
    if not LICENSE_ID.fullmatch(license_id):
        raise InvalidParameterError(f"{option} {license_id!r} is no Hub licence id (lowercase letters, digits, "
                                    f"'.', '+' and '-', e.g. cc-by-4.0, apache-2.0, other)")
    return license_id


class PushError(KitError, RuntimeError):
    """An upload failed; the local folder is complete and unchanged, and the same command retries it."""


# Local working state that must never reach the Hub (checkpoints are resumable state, not releases), and hidden
# files below the top level (temporary shards). Hidden top-level entries are left out too (staging folders),
# except those the Hub itself reads: `.eval_results/` holds evaluation results shown on the model page.
NEVER_UPLOAD = ["checkpoints/*", "step_*", "epoch_*", "runs/*", "*.tmp", "*/.*"]
HUB_HIDDEN = {".eval_results"}
# huggingface_hub's client warns on every .parquet or .arrow file committed to a model repository (its heuristic
# against a dataset pushed as a model, huggingface_hub PR #2403); it does not look at the folder, and the Hub has no
# place in a model repository where it expects data. A model's test_predictions.parquet is published there on
# purpose (the model's own outputs, from which comparisons between models are recomputed), so the kit's push
# silences that one warning; the Hub serves the file as any other.
DATA_FILE_WARNING = "It seems that you are about to commit a data file"


def ignore_patterns(folder: Path) -> list[str]:
    """`upload_folder`'s ignore_patterns for `folder`: NEVER_UPLOAD and its hidden top-level entries but HUB_HIDDEN."""
    hidden = [f"{entry.name}/*" if entry.is_dir() else entry.name for entry in sorted(folder.iterdir())
              if entry.name.startswith(".") and entry.name not in HUB_HIDDEN]
    return NEVER_UPLOAD + hidden


def upload_folder(folder: str | Path, repo_id: str, *, repo_type: Literal["model", "dataset"],
                  commit_message: str, private: bool = False, token: str | None = None,
                  endpoint: str | None = None, refuse_tag: str | None = None) -> str:
    """Create `repo_id` if needed and upload `folder` in one commit; return the commit URL.

    A folder whose card carries `refuse_tag` (the kit passes its synthetic-sample tag) is refused before anything
    is sent, with a `PushError`.

    The token comes from the argument, else `HF_TOKEN` or the saved login; it is never printed or stored.
    Any failure of the Hub or the network is a `PushError`, one line saying what failed and how to retry.
    """
    folder = Path(folder)
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(f"{folder} has no README.md: export or train into it before uploading")
    if refuse_tag and refuse_tag in card_tags(folder / "README.md"):
        raise PushError(f"{folder} is not uploaded: its card is tagged {refuse_tag!r}, so it was made from the "
                        f"kit's synthetic sample, whose models and numbers must not pass for real ones")
    api = HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT"), token=token)
    try:
        repo_id = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True).repo_id
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=DATA_FILE_WARNING)
            commit = api.upload_folder(repo_id=repo_id, repo_type=repo_type, folder_path=folder,
                                       commit_message=commit_message, ignore_patterns=ignore_patterns(folder))
    except Exception as error:  # the Hub client's errors have no common base beyond Exception
        reason = " ".join(str(error).split()) or type(error).__name__
        raise PushError(f"uploading {folder} to {repo_id} failed: {reason}. The local folder is "
                        f"complete and unchanged; uploading it again retries (nothing was sent).") from error
    return commit.commit_url
