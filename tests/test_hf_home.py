"""The tests' processes keep the user's Hugging Face caches and token out (tests/conftest.py): the folders the
libraries settled on at import, in pytest's own process, lie in the session's home, not in ~/.cache/huggingface."""

import os
from pathlib import Path

import datasets.config
import evaluate.config
import huggingface_hub.constants
from conftest import HF_HOME, USER_HF_VARIABLES


def test_the_libraries_cache_in_the_sessions_own_home():
    assert Path(os.environ["HF_HOME"]) == HF_HOME and HF_HOME.name.startswith("ruqtopics-tests-hf-home-")
    folders = {"hub": huggingface_hub.constants.HF_HUB_CACHE, "datasets": datasets.config.HF_DATASETS_CACHE,
               "metrics": evaluate.config.HF_METRICS_CACHE, "modules": datasets.config.HF_MODULES_CACHE,
               "token": huggingface_hub.constants.HF_TOKEN_PATH}
    assert {name: folder for name, folder in folders.items() if not Path(folder).is_relative_to(HF_HOME)} == {}
    assert not [variable for variable in USER_HF_VARIABLES if variable in os.environ]
