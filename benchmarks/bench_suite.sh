#!/usr/bin/env bash
# Wall time of the test suite (`python -m pytest`, the README's second command) against the suite of an older
# commit (BASE, default a31b098: the 852 tests before issue #20, which asks for "no slower"), interleaved ROUNDS
# times (default 2), on an idle machine. The older suite runs from a git worktree with this checkout's .venv, its
# sources first on PYTHONPATH, with its own pytest options (pytest-xdist on every core since a31b098; give
# BASE_OPTIONS="-p no:xdist" for a commit before it, such as 310d2af).
#   bash benchmarks/bench_suite.sh            # figures in docs/benchmarks.md, "Test suite"
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
base=${BASE:-a31b098}
base_options=${BASE_OPTIONS:-}
rounds=${ROUNDS:-2}
work=$(mktemp -d)
git worktree add -q --detach "$work/before" "$base"
trap 'git worktree remove --force "$work/before"; rm -rf "$work"' EXIT

timed() {  # timed NAME FOLDER COMMAND...: run COMMAND in FOLDER, print its wall time and pytest's last line
    local name=$1 folder=$2 start end
    shift 2
    start=$(date +%s.%N)
    (cd "$folder" && "$@") > "$work/run.log" 2>&1 || { tail -20 "$work/run.log"; exit 1; }
    end=$(date +%s.%N)
    printf '%-34s %6.1f s   %s\n' "$name" "$(echo "$end - $start" | bc)" "$(tail -1 "$work/run.log")"
}

for round in $(seq "$rounds"); do
    timed "before ($base), round $round" "$work/before" \
        env PYTHONPATH="$work/before" "$here/.venv/bin/python" -m pytest -q -p no:cacheprovider $base_options
    timed "now, round $round" "$here" .venv/bin/python -m pytest -q -p no:cacheprovider
done
