#!/usr/bin/env bash
# The one prepared run for a session that is lent a GPU (device time is short: run it
# once, read, fix on the CPU, rerun at most once). It installs nothing: it uses the
# device machine's own NumPy, numba and CuPy, with this checkout on PYTHONPATH. Results
# (text and JSON) go to $OUT (default ./gpu-results); about 8 minutes on one GPU.
#
#   bash benchmarks/gpu_session.sh            # or: OUT=/some/dir bash benchmarks/gpu_session.sh
#
# What it checks that the CPU suite cannot: every registry op's gradient and forward on
# the GPU against the CPU (gpu_check's gradcheck/parity sections), the CUDA kernels
# (fused optimizers, layer kernels), a few training steps, ag.compile's CUDA-graph path
# (section compile), the GPU-only tests that skip elsewhere, and the CNN step's time.
# NCCL needs two GPUs (two ranks cannot share one device); with one GPU its transport
# stays checked by the CPU stand-in of tests/distributed.
set -u
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
export PYTHONPATH=$PWD
run() {  # run NAME SECONDS CMD...: output to $OUT/NAME.txt, exit status recorded
    local name=$1 secs=$2
    shift 2
    echo "== $name: $*"
    timeout "$secs" "$@" > "$OUT/$name.txt" 2>&1
    echo "$name exit $?" | tee -a "$OUT/status.txt"
}
run environment 30 bash -c 'nvidia-smi; python -c "import sys, numpy, numba, cupy; print(sys.version); print(numpy.__version__, numba.__version__, cupy.__version__)"'
run gpu_check 330 python -m benchmarks.gpu_check --json "$OUT/gpu_check.json"
run pytest_gpu 150 python -m pytest -q -p no:cacheprovider -x \
    tests/backends/test_cupy_backend.py tests/autograd/test_compile_cuda.py \
    tests/optim/test_fused_cuda_launch.py tests/nn/test_layer_kernels.py \
    tests/autograd/test_dlpack.py
run cnn_step_cuda 60 python -m benchmarks.cnn_step --device cuda
tail -n 30 "$OUT/gpu_check.txt"
cat "$OUT/status.txt"
