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
