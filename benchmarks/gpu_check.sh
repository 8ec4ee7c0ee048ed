#!/usr/bin/env bash
# The GPU figures of docs/benchmarks.md in one run of at most 8 minutes on one H200 (about 7.5 planned):
#   1. train.py vs Trainer, random BERT-base in bf16, question mode, batch 32 then 64: train.py eager and
#      compiled (--torch-compile), Trainer's default and Trainer with torch_compile; samples/s, MFU, peak memory;
#   2. the grid: the four sample configs on BERT-base-shaped random models, --jobs 1 against --jobs 4;
#   3. if time is left: train.py compiled with mode reduce-overhead (CUDA graphs), batch 32.
# Each piece runs under a timeout cut from what is left of the budget, in that order of importance, and writes
# its table to $OUT as soon as it ends, so a run stopped early still returns what it measured.
#
#   bash benchmarks/gpu_check.sh              # on the GPU machine; tables and log in $OUT (default /tmp/gpu_check)
#   bash benchmarks/gpu_check.sh --smoke      # every piece on the CPU with tiny sizes (a dry run of this script)
#   bash benchmarks/gpu_check.sh --fetch-wheels   # here, with pip and the .venv: the wheels a bare GPU machine lacks
#
# The GPU machine has python3 with torch (CUDA), transformers, accelerate, tokenizers, pandas, pyarrow, psutil,
# but not datasets, evaluate, dill, multiprocess; its transformers may be older than the one tested here. Wheels
# in .whl/ (made by --fetch-wheels, at the versions of .venv) are installed into /tmp/site first.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-gpu}
OUT=${OUT:-/tmp/gpu_check}
BUDGET=${GPU_CHECK_BUDGET_S:-450}
WHEELS="datasets evaluate dill multiprocess transformers"

if [[ "$MODE" == "--fetch-wheels" ]]; then
    rm -rf .whl && mkdir .whl
    for name in $WHEELS; do
        version=$(.venv/bin/python -m pip show "$name" | sed -n 's/^Version: //p')
        .venv/bin/python -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
            --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl \
            "$name==$version" || exit 1
    done
    ls -la .whl
    exit 0
fi

mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
PYTHON=python3
if [[ "$MODE" == "--smoke" ]]; then
    PYTHON=${PYTHON_SMOKE:-.venv/bin/python}
    BUDGET=${GPU_CHECK_BUDGET_S:-100000}
elif [[ -d .whl ]] && compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
$PYTHON -c "import pyarrow, torch, transformers, accelerate, datasets, evaluate, psutil
print('torch', torch.__version__, 'transformers', transformers.__version__, 'accelerate', accelerate.__version__,
      'datasets', datasets.__version__, 'pyarrow', pyarrow.__version__, 'cuda', torch.cuda.is_available())
assert int(pyarrow.__version__.split('.')[0]) >= 24, 'datasets 5 needs pyarrow >= 24: carry a pyarrow wheel'" || exit 1
nvidia-smi -L 2>/dev/null
uptime

left() { echo $(( BUDGET - SECONDS )); }
run_piece() {  # NAME COMMAND...: run under what is left of the budget (at least 10 s)
    local name=$1; shift
    local limit; limit=$(left)
    if (( limit < 10 )); then echo "== $name: skipped, budget spent"; return; fi
    echo "== $name (limit ${limit} s, ${SECONDS} s elapsed)"
    timeout --kill-after 5 "$limit" "$@" || echo "== $name: exit status $? (124: out of time)"
}

if [[ "$MODE" == "--smoke" ]]; then
    TRAIN=(--model-size tiny --steps 8 --warmup 3)
    GRID=(--backbone-size sample --jobs 1,2 --repeats 1 --device cpu)
    GRID_TRAIN=(--max-train-steps 20 --eval-steps 20 --checkpointing-steps none)
else
    # warm-up 65 steps: the sample's train split is 61 batches of 32 (31 of 64), so a compiled model has met the
    # epoch's shorter last batch (and compiled for it) before the clock starts.
    TRAIN=(--device cuda --bf16 --model-size base --steps 165 --warmup 65 --peak-tflops 989.4)
    GRID=(--backbone-size base --jobs 1,4 --repeats 1 --device cuda)
    GRID_TRAIN=(--mixed-precision bf16 --max-train-steps 300 --eval-steps 300 --checkpointing-steps none)
fi
SIDES="train.py,train.py (compiled),Trainer (default),Trainer (torch_compile)"

run_piece "train, batch 32" $PYTHON benchmarks/bench_train.py "${TRAIN[@]}" --modes question --batch-size 32 \
    --sides "$SIDES" --workdir /tmp/bench-train --write-results "$OUT/train-batch32.md"
run_piece "grid" $PYTHON benchmarks/bench_grid.py "${GRID[@]}" --workdir /tmp/bench-grid \
    --write-results "$OUT/grid.md" -- "${GRID_TRAIN[@]}"
run_piece "train, batch 64" $PYTHON benchmarks/bench_train.py "${TRAIN[@]}" --modes question --batch-size 64 \
    --sides "$SIDES" --workdir /tmp/bench-train --write-results "$OUT/train-batch64.md"
run_piece "train, batch 32, reduce-overhead" $PYTHON benchmarks/bench_train.py "${TRAIN[@]}" --modes question \
    --batch-size 32 --sides "train.py (compiled)" --compile-mode reduce-overhead --workdir /tmp/bench-train \
    --write-results "$OUT/train-batch32-reduce-overhead.md"
echo "== done in ${SECONDS} s"
