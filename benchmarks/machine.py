"""One line on the BLAS NumPy runs, for the header of every benchmark: which library and
which of its kernels, because a figure depends on them as much as on the code.

OpenBLAS's builds for every CPU (NumPy's wheels) pick their kernels by CPUID when they
load, unless the environment variable ``OPENBLAS_CORETYPE`` names a kernel set. The
machine the figures in RESULTS.md come from (AMD EPYC, Zen 5, AVX-512) sets
``OPENBLAS_CORETYPE=Haswell`` in its environment: OpenBLAS's AVX2 kernels, half the
float32 GEMM speed of the AVX-512 (SkylakeX) ones it picks by itself there (121 against
208-230 GFLOP/s for a 12544x288 @ 288x64 product, one thread), while PyTorch's oneDNN
uses AVX-512 regardless. The line says so when it sees a CPU with AVX-512 running
OpenBLAS's AVX2 kernels; ``env -u OPENBLAS_CORETYPE python -m benchmarks...`` measures
with OpenBLAS's own choice.
"""

from __future__ import annotations

import os


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def blas_summary() -> str:
    """E.g. ``BLAS: openblas 0.3.31 (Haswell kernels, OPENBLAS_CORETYPE=Haswell)``, plus
    a note when the CPU has AVX-512 but OpenBLAS runs its AVX2 kernels."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: unknown (threadpoolctl missing)"
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl reports)

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return "BLAS: none found"
    info = blas[0]
    arch = info.get("architecture")
    forced = os.environ.get("OPENBLAS_CORETYPE")
    line = f"BLAS: {info.get('internal_api')} {info.get('version')}"
    if arch:
        line += f" ({arch} kernels" + (f", OPENBLAS_CORETYPE={forced})" if forced else ")")
    if info.get("internal_api") == "openblas" and arch in ("Haswell", "Zen") \
            and "avx512f" in _cpu_flags():
        line += "; this CPU has AVX-512, which OpenBLAS's SkylakeX kernels use"
    return line
