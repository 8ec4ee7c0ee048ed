#!/usr/bin/env bash
# Create .venv and install the kit with its test extras. torch is pinned first so that pip takes the
# CPU build (2.13.0) instead of pulling gigabytes of CUDA packages; on a GPU machine install the torch
# build you want before running this.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[test]"
echo "bootstrap: .venv ready ($(.venv/bin/python -c 'import torch, transformers, datasets; print(f"torch {torch.__version__}, transformers {transformers.__version__}, datasets {datasets.__version__}")'))"
