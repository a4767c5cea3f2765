#!/usr/bin/env bash
# The GPU checks, run from the repository root on a machine with an NVIDIA GPU, CuPy, PyTorch
# with CUDA, NumPy and pytest (nothing else is installed): the GPU tests, every op and layer
# compared between CuPy and NumPy, and the benchmark beside PyTorch CUDA. Results go to $OUT.
#
#     OUT=/tmp/gpu-results bash tests/gpu/run_on_device.sh [fashion-mnist folder]
set -u
OUT=${OUT:-/tmp/gpu-results}
DATA=${1:-}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" GLASSNET_TEST_DEVICE=gpu
PYTEST=(python3 -m pytest -q -p no:cacheprovider -o addopts= --import-mode=importlib
        --rootdir=. -c pyproject.toml --continue-on-collection-errors -rfE)
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import cupy, numpy, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__, 'cuda', torch.version.cuda)"
} > "$OUT/environment.txt" 2>&1
# 1. the GPU tests: CUDA kernels against the readable ops, training, saving, transfers
timeout 150 "${PYTEST[@]}" tests/gpu > "$OUT/gpu_tests.txt" 2>&1
echo "gpu tests: exit $?" >> "$OUT/summary.txt"
# 2. every op and layer: forward and backward on CuPy against the NumPy result (check_op and
#    check_layer run each on the GPU too when GLASSNET_TEST_DEVICE=gpu)
timeout 240 "${PYTEST[@]}" --maxfail=200 tests/autograd/ops tests/nn/layers \
  > "$OUT/ops_and_layers.txt" 2>&1
echo "ops and layers: exit $?" >> "$OUT/summary.txt"
# 3. the benchmark, side by side with PyTorch CUDA
timeout 200 python3 benchmarks/gpu_training.py --epochs 2 --json "$OUT/benchmark.json" \
  ${DATA:+--data "$DATA"} > "$OUT/benchmark.txt" 2>&1
echo "benchmark: exit $?" >> "$OUT/summary.txt"
tail -n 3 "$OUT"/gpu_tests.txt "$OUT"/ops_and_layers.txt >> "$OUT/summary.txt"
cat "$OUT/summary.txt" "$OUT/benchmark.txt"
