"""modeling/backbones.py asks huggingface_hub whether it is offline (`is_offline_mode`) instead of reading
HF_HUB_OFFLINE itself: the same answer for every value of HF_HUB_OFFLINE that the old check read."""

import subprocess
import sys

import pytest

OLD_CHECK = 'os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")'


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", "On", "0", "false", "no", "off", "", "2"])
def test_is_offline_mode_answers_as_the_old_check(value):
    code = f"import os; from huggingface_hub import is_offline_mode; print({OLD_CHECK}, is_offline_mode())"
    environment = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": value}
    old, new = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                              check=True).stdout.split()
    assert old == new


SAVE = ("import sys\nfrom ruqtopics_kit.facts.backbones import resolve_backbone\n"
        "from ruqtopics_kit.modeling.backbones import load_tokenizer\n"
        "load_tokenizer(resolve_backbone(sys.argv[1])).save_pretrained(sys.argv[2])\n")


def test_a_saved_tokenizer_is_the_same_bytes_online_and_offline(tiny_backbone, tmp_path):
    """transformers records local_files_only (forced on by HF_HUB_OFFLINE) among the tokenizer's init options and
    save_pretrained writes them: a published tokenizer_config.json must not depend on the environment. Offline is
    this process (tests/conftest.py sets HF_HUB_OFFLINE=1 before any Hugging Face import); online, a fresh one."""
    from huggingface_hub import is_offline_mode

    from ruqtopics_kit.facts.backbones import resolve_backbone
    from ruqtopics_kit.modeling.backbones import load_tokenizer

    assert is_offline_mode()
    load_tokenizer(resolve_backbone(str(tiny_backbone))).save_pretrained(tmp_path / "offline")
    environment = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf")}
    subprocess.run([sys.executable, "-c", SAVE, str(tiny_backbone), str(tmp_path / "online")], env=environment,
                   capture_output=True, text=True, check=True)
    offline, online = ((tmp_path / name / "tokenizer_config.json").read_bytes() for name in ("offline", "online"))
    assert offline == online
    assert b"local_files_only" not in offline and b"is_local" not in offline
