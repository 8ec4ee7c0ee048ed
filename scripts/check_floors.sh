#!/usr/bin/env bash
# Install every floor that pyproject.toml declares (each `name>=X` as `name==X`, the test extras' too) together in a
# fresh venv and run the fast tests there. torch goes first: at 2.13.0, the CPU build that scripts/bootstrap.sh pins,
# or with TORCH_FLOOR=1 at its own floor, from PyPI (a CUDA build: the venv takes about 6 GB).
#
#     bash scripts/check_floors.sh            # the venv in $FLOORS_VENV (default /tmp/ruqtopics-floors), removed first
#     TORCH_FLOOR=1 bash scripts/check_floors.sh -n 2    # torch at its floor too; arguments go to pytest
#
# It tests the committed HEAD, copied (`git archive`) beside the venv, so that edits in the checkout while it runs
# (a quarter of an hour on 2 cores) do not mix in. Record the date and the versions it printed in docs/dependencies.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${FLOORS_VENV:-/tmp/ruqtopics-floors}"
rm -rf "$venv" && python3 -m venv "$venv"
src="$venv/src" && mkdir -p "$src" && git -C "$root" archive HEAD | tar -x -C "$src"
"$venv/bin/python" - "$src/pyproject.toml" > "$venv/floors.txt" <<'PY'
import re, sys, tomllib

project = tomllib.load(open(sys.argv[1], "rb"))["project"]
requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
for requirement in requirements:
    floor = re.match(r"^([A-Za-z0-9_.-]+)(\[[^]]*\])?\s*>=\s*([^,;\s]+)", requirement)
    if floor:
        print(f"{floor[1]}=={floor[3]}")
PY
# kept in the constraints: a floor that this torch refuses fails here instead of pulling another torch
[[ "${TORCH_FLOOR:-0}" == 1 ]] || sed -i 's/^torch==.*/torch==2.13.0/' "$venv/floors.txt"
"$venv/bin/python" -m pip install --quiet "$(grep '^torch==' "$venv/floors.txt")"
"$venv/bin/python" -m pip install --quiet -c "$venv/floors.txt" -e "$src[test]"
echo "check_floors: $(date -u +%Y-%m-%d), Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
"$venv/bin/python" -m pip list --format freeze | grep -iE "^($(cut -d= -f1 "$venv/floors.txt" | paste -sd'|'))=="
cd "$src" && "$venv/bin/python" -m pytest -m "not slow" -q -p no:cacheprovider "$@"
