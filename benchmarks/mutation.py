"""Mutation testing of one package with mutmut (issue 18): how many planted bugs the tests kill.

    python -m benchmarks.mutation optim                  # the default [tool.mutmut] package
    python -m benchmarks.mutation nn/module.py
    python -m benchmarks.mutation autograd/ops --source autograd/ops/reduction.py \\
        --tests tests/autograd/test_reduction_indices.py
    python -m benchmarks.mutation --list                 # the packages and their test selection
    python -m benchmarks.mutation optim --rerun-survivors  # after adding tests: survivors only
    python -m benchmarks.mutation autograd/ops/gather.py --rerun-survivors \
        --refresh tests/autograd/test_gather_mutants.py      # refresh only this test file

mutmut 3 mutates a copy of the tree (``mutants/``) and reads its configuration from
``pyproject.toml`` only, so one package at a time is measured in a scratch copy of the tracked
and untracked (not ignored) files, under ``--workdir`` (default: the system's temp folder),
whose ``[tool.mutmut]`` names that package's source and tests. The scratch copy is kept:
``cd`` there and ``mutmut show <name>`` / ``mutmut results`` to read a survivor. The score
printed is killed / (all - skipped), as ``mutmut export-cicd-stats`` counts them; survivors
that cannot change behaviour (equivalent mutants) are listed in ``benchmarks/RESULTS.md``.

Slow on two cores (optim: about 6 minutes; autograd/ops and nn/functional: hours for the
whole package, so pass ``--source`` with a subset of files and ``--tests`` with their tests).
Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Collecting test_onnx.py loads onnxruntime, whose exit handler deadlocks in mutmut's
# forked children (a killed mutant then counts as a timeout): the per-file selections of
# tests/autograd/ leave it out.
_NO_ONNX = ["--ignore", "tests/autograd/test_onnx.py"]

# package -> (source paths to mutate, test selection). Functions numba compiles cannot be
# mutated (mutmut wraps them in a Python trampoline): they carry `# pragma: no mutate block`.
PACKAGES: dict[str, tuple[list[str], list[str]]] = {
    "optim": (["optim/"], ["tests/optim/"]),
    "nn/module.py": (["nn/module.py"], ["tests/nn/test_module.py",
                                      "tests/nn/test_module_contract.py",
                                      "tests/nn/test_summary.py"]),
    "autograd/serialization.py": (["autograd/serialization.py"],
                                  ["tests/autograd/test_serialization.py",
                                   "tests/autograd/test_serialization_errors.py",
                                   "tests/autograd/test_serialization_mutants.py",
                                   "tests/autograd/test_safetensors_spec.py"]),
    "autograd/graph.py": (["autograd/graph.py"],
                          ["tests/autograd/test_graph.py",
                           "tests/autograd/test_graph_mutants.py",
                           "tests/autograd/test_post_accumulate_hook.py",
                           "tests/autograd/test_tensor.py",
                           "tests/autograd/test_inplace.py",  # version checks
                           "tests/autograd/test_views.py",  # _refreshed
                           "tests/autograd/test_functional.py",  # ag.grad's capture
                           "tests/autograd/test_profiler.py",  # observe
                           # under mutmut the innermost frame outside the library is its
                           # trampoline, so the place this test expects is not recorded
                           "--deselect",
                           "tests/autograd/test_inplace.py::test_detect_anomaly_names_both_places"]),
    "autograd/ops": (["autograd/ops/"], ["tests/autograd/"]),
    # one representative file of each large package, with the tests that reach it
    "autograd/ops/reduce.py": (["autograd/ops/reduce.py"],
                               ["tests/autograd/test_reduction_indices.py",
                                "tests/autograd/test_reduce_mutants.py",
                                "tests/autograd/test_tensor_ops_errors.py",
                                "tests/autograd/test_ops.py", "-k",
                                "sum or mean or max or min or prod or logsumexp or var or std "
                                "or argm or reduction or keepdim"]),
    # the registry's create_graph-vs-plain cases are left out (gradgradcheck covers the
    # same double backward): each mutant of cross_entropy otherwise ran ~100 cases
    "nn/functional/loss.py": (["nn/functional/loss.py"],
                              ["tests/nn/test_loss.py", "tests/nn/test_loss_extra.py",
                               "tests/nn/test_loss_mutants.py",
                               "tests/autograd/test_compile_buffers.py",  # the out-forms
                               "tests/autograd/test_ops.py", "-k",
                               "(loss or cross_entropy or nll or binary or kl_div or margin "
                               "or test_compile_buffers) and not create_graph"]),
    "nn/functional": (["nn/functional/"], ["tests/nn/"]),
    # autograd/ops file by file (mut_ops): tests/autograd/ filtered by -k to the file's
    # own tests, its registry cases (test ids "[name]" / "[name/case]") and its
    # *_mutants.py file, so a mutant of a helper every op calls runs a few hundred tests
    "autograd/ops/arithmetic.py": (["autograd/ops/arithmetic.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "arithmetic_mutants or broadcasting or [add/ or [sub/ or [mul/ or [div/ "
        "or [maximum/ or [minimum/ or [pow/ or [where] or [where/ or [neg] or [neg/ "
        "or [exp] or [exp/ or [log] or [log/ or [log1p or [sqrt or [sin] or [sin/ "
        "or [cos] or [cos/ or [tanh] or [tanh/ or [sigmoid or [erf] or [erf/ or [abs] "
        "or [relu] or [clamp or [square]"]),
    "autograd/ops/inplace.py": (["autograd/ops/inplace.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "inplace_mutants or test_inplace.py or test_inplace_torch.py or test_views.py "
        "or [inplace/ or [setitem/",
        # the file:line it expects is mutmut's trampoline under mutmut (see graph.py)
        "--deselect",
        "tests/autograd/test_inplace.py::test_detect_anomaly_names_both_places"]),
    "autograd/ops/gather.py": (["autograd/ops/gather.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "gather_mutants or tensor_ops_errors or [gather or [scatter or [index_ or [take "
        "or [masked_ or [put or [select_scatter or [slice_scatter or [diagonal_scatter "
        "or [inplace/index or [inplace/scatter or [inplace/masked or [setitem/ "
        "or [getitem/"]),
    "autograd/ops/layout.py": (["autograd/ops/layout.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "layout_mutants or tensor_ops_errors or [flip or [roll or [rot90 or [repeat "
        "or [tile or [ri_ or [movedim or [swapaxes or [diag or [tril or [triu or [trace "
        "or [outer or [kron or [cross or [meshgrid or [cartesian or [broadcast "
        "or [atleast or [hstack or [vstack or [dstack or [column_stack or [select] "
        "or [ravel or [tensor_split or [hsplit or [vsplit or [dsplit or [split_with "
        "or [block_diag or [combinations or [sum_to_size or [gradient or [constant_pad "
        "or [tril_indices or [triu_indices"]),
    # mut_ops2 (issue 18): the other files of autograd/ops, same scheme as mut_ops's above
    "autograd/ops/elementwise.py": (["autograd/ops/elementwise.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(elementwise_mutants or tensor_ops_errors or [tan or [asin or [acos or [atan "
        "or [sinh or [cosh or [asinh or [acosh or [atanh or [log2 or [log10 or [exp2 "
        "or [expm1 or [deg2rad or [rad2deg or [sgn or [fmod or [remainder or [floor_divide "
        "or [fdiv or [hypot or [copysign or [nextafter or [logaddexp or [lerp or [addcmul "
        "or [addcdiv or [clamp_m or [float_power or [fmax or [fmin or [bitwise "
        "or [heaviside or [gcd or [lcm or [ldexp or [frexp or [positive or [rsub or [isin "
        "or [fill or [signbit or [isposinf or [isneginf or [isreal or floordiv_op or [mod_op "
        "or [rmod) and not create_graph"]),
    "autograd/ops/shape.py": (["autograd/ops/shape.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(shape_mutants or tensor_ops_errors or [reshape or [permute or [transpose "
        "or [T] or [T/ or [expand or [squeeze or [unsqueeze or [flatten or [unflatten "
        "or [cat or [stack or [split or [chunk or [unbind or [pad or [broadcast_to "
        "or [constant_pad or pad_mode or cat_skips or expand_minus or fractional_sizes "
        "or integer_like_sizes or split_chunk) and not create_graph"]),
    "autograd/ops/stats.py": (["autograd/ops/stats.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(stats_mutants or tensor_ops_errors or [norm or [dist or [cdist or [renorm "
        "or [var_mean or [std_mean or [aminmax or [nansum or [nanmean or [nan_to_num "
        "or [diff or [trapezoid or [cumulative_trapezoid or [cov or [corrcoef or [quantile "
        "or [nanquantile) and not create_graph"]),
    "autograd/ops/search.py": (["autograd/ops/search.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(search_mutants or tensor_ops_errors or [nonzero or [argwhere or [unique "
        "or [bincount or [histc or [searchsorted or [bucketize or [all or [any "
        "or [count_nonzero or [isclose or [histogram or [unravel_index) "
        "and not create_graph"]),
    "autograd/ops/complex.py": (["autograd/ops/complex.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(complex_mutants or tensor_ops_errors or complex or view_as_real or polar "
        "or angle or conj or test_fft.py) and not create_graph"]),
    "autograd/ops/linalg.py": (["autograd/ops/linalg.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(linalg_mutants or tensor_ops_errors or [matmul or [mm or [einsum or [diag_embed "
        "or [bmm or [mv or [linalg.diagonal) and not create_graph"]),
    "autograd/ops/views.py": (["autograd/ops/views.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(views_mutants or tensor_ops_errors or test_views.py or [Tensor. or [view "
        "or [narrow or [diagonal or [unfold or [contiguous) and not create_graph"]),
    "autograd/ops/sorting.py": (["autograd/ops/sorting.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(sorting_mutants or tensor_ops_errors or test_reduction_indices or [sort "
        "or [argsort or [msort or [topk or [kthvalue or [median or [nanmedian or [mode) "
        "and not create_graph"]),
    "autograd/ops/products.py": (["autograd/ops/products.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(products_mutants or tensor_ops_errors or [mm or [bmm or [mv or [dot or [vdot "
        "or [inner or [tensordot or [chain_matmul or [addmm or [addmv or [addbmm "
        "or [baddbmm or [addr) and not create_graph"]),
    "autograd/ops/scan.py": (["autograd/ops/scan.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(scan_mutants or tensor_ops_errors or [cumsum or [cumprod or [cummax or [cummin "
        "or [logcumsumexp or [cumulative_trapezoid) and not create_graph"]),
    "autograd/ops/indexing.py": (["autograd/ops/indexing.py"], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(indexing_mutants or tensor_ops_errors or [getitem or [setitem "
        "or integer_and_array_indices or 0d_integer_tensor_index or setitem_without_graph "
        "or setitem_casts) and not create_graph"]),
    # the seven small files together (compare, rounding, convert, softmax, copies, _util,
    # __init__): one run
    "autograd/ops/small": ([f"autograd/ops/{n}.py" for n in (
        "compare", "rounding", "convert", "softmax", "copies", "_util", "__init__")], [
        "tests/autograd/", *_NO_ONNX, "-k",
        "(small_mutants or tensor_ops_errors or equal_and_allclose or [step or [frac "
        "or round or [softmax or [log_softmax or softmax_over or softmax_family or clone "
        "or _copy or casts or test_tensor.py or [sum_to or [expand or broadcasting) "
        "and not create_graph"]),
    # mut_nn (issue 18): the optim files not in the four above, files of nn/functional
    "optim/others": ([f"optim/{n}.py" for n in ("adadelta", "adagrad", "adamax", "asgd",
                                                "lbfgs", "nadam", "radam", "rmsprop",
                                                "rprop", "zero_redundancy")],
                     ["tests/optim/"]),
    "nn/functional/normalization.py": (
        ["nn/functional/normalization.py"],
        ["tests/nn/test_normalization.py", "tests/nn/test_normalization_mutants.py",
         "tests/nn/test_layers_extra.py", "tests/autograd/test_ops.py", "-k",
         "(test_normalization or test_layers_extra or batch_norm or layer_norm "
         "or group_norm or instance_norm or rms_norm "
         "or local_response_norm or Norm or norm_) and not create_graph"]),
    "nn/functional/activation.py": (
        ["nn/functional/activation.py"],
        ["tests/nn/test_activation.py", "tests/nn/test_activation_mutants.py",
         "tests/autograd/test_ops.py", "-k",
         "(F.celu or F.elu or F.gelu or F.glu or F.hardsigmoid or F.hardswish or F.hardtanh "
         "or F.leaky_relu or F.logsigmoid or F.mish or F.relu or F.selu or F.silu "
         "or F.softmin or F.softplus or F.softsign or F.tanhshrink or F.threshold "
         "or test_activation) and not create_graph"]),
    "nn/functional/conv.py": (
        ["nn/functional/conv.py"],
        ["tests/nn/test_conv.py", "tests/nn/test_conv_mutants.py",
         "tests/nn/test_layers_extra.py",  # conv3d, conv_transpose*d against torch
         "tests/autograd/test_ops.py", "-k",
         "(conv or fold or test_conv) and not create_graph"]),
    "nn/functional/dropout.py": (
        ["nn/functional/dropout.py"],
        ["tests/nn/test_activation.py", "tests/nn/test_dropout_mutants.py",
         "tests/autograd/test_ops.py", "-k",
         "(dropout or test_activation or test_dropout) and not create_graph"]),
    "nn/functional/distance.py": (
        ["nn/functional/distance.py"],
        ["tests/nn/test_layers_extra.py", "tests/nn/test_distance_mutants.py",
         "tests/autograd/test_ops.py", "-k",
         "(cosine_similarity or pairwise_distance or normalize or test_layers_extra "
         "or test_distance) and not create_graph"]),
    "nn/functional/linear.py": (
        ["nn/functional/linear.py"],
        ["tests/nn/test_linear.py", "tests/nn/test_linear_mutants.py",
         "tests/autograd/test_compile_buffers.py",  # the out-forms (out= buffers)
         "tests/autograd/test_ops.py", "-k",
         "(F.linear or F.bilinear or test_linear or test_compile_buffers) "
         "and not create_graph"]),
    # mut_nn2 (issue 18): the other files of nn/functional, each with its own tests, its
    # *_mutants.py file and its registry cases
    "nn/functional/pooling.py": (
        ["nn/functional/pooling.py"],
        ["tests/nn/test_pooling.py", "tests/nn/test_pooling_mutants.py",
         "tests/nn/test_layers_extra.py", "tests/nn/test_max_pool_indices_compile.py",
         "tests/autograd/test_ops.py", "-k",
         "(pool or test_pooling) and not create_graph"]),
    "nn/functional/vision.py": (
        ["nn/functional/vision.py"],
        ["tests/nn/test_layers_extra.py", "tests/nn/test_vision_mutants.py",
         "tests/autograd/test_ops.py", "-k",
         "(interpolate or upsample or pixel or grid or nearest or test_vision) "
         "and not create_graph"]),
    "nn/functional/loss_extra.py": (
        ["nn/functional/loss_extra.py"],
        ["tests/nn/test_loss_extra.py", "tests/nn/test_loss_extra_mutants.py",
         "tests/autograd/test_ops.py", "-k",
         "(margin or hinge or triplet or cosine_embedding or poisson or gaussian or ctc "
         "or test_loss_extra) and not create_graph"]),
    "nn/functional/attention.py": (
        ["nn/functional/attention.py"],
        ["tests/nn/test_attention.py", "tests/nn/test_attention_options.py",
         "tests/nn/test_attention_mutants.py", "tests/autograd/test_ops.py", "-k",
         "(sdpa or multi_head or test_attention) and not create_graph"]),
    "nn/functional/embedding.py": (
        ["nn/functional/embedding.py"],
        ["tests/nn/test_embedding.py", "tests/nn/test_embedding_mutants.py",
         "tests/nn/test_layers_extra.py",  # embedding_bag's lookups
         "tests/autograd/test_ops.py", "-k",
         "(embedding or test_embedding) and not create_graph"]),
    "nn/functional/embedding_bag.py": (
        ["nn/functional/embedding_bag.py"],
        ["tests/nn/test_layers_extra.py", "tests/nn/test_embedding_bag_mutants.py",
         "tests/autograd/test_ops.py", "-k",
         "(embedding_bag or test_embedding_bag) and not create_graph"]),
}
ALSO_COPY = ["autograd/", "nn/", "backends/", "optim/", "tests/", "benchmarks/", "examples/"]


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def mutmut_config(source: list[str], tests: list[str]) -> str:
    """The ``[tool.mutmut]`` table for one package."""
    also = [p for p in ALSO_COPY if p not in source]
    return ("[tool.mutmut]\n"
            f"source_paths = {_toml_list(source)}\n"
            f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
            f"also_copy = {_toml_list(also)}\n"
            'pytest_add_cli_args = ["-p", "benchmarks.mutation_preload"]\n')


def _with_config(pyproject: str, table: str) -> str:
    """``pyproject`` with its ``[tool.mutmut]`` table (if any) replaced by ``table``."""
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", pyproject)
    return text.rstrip("\n") + "\n\n" + table


def scratch_copy(dest: Path) -> None:
    """Copy the tree's tracked and untracked, not ignored, files to ``dest`` (fresh)."""
    if dest.exists():
        shutil.rmtree(dest)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _refresh_tests(dest: Path, only: list[str] | None = None) -> None:
    """Copy the tree's current ``tests/`` and ``benchmarks/`` over the scratch copy's
    (and its mutants/); with ``only``, just those files (after a merge the tree's other
    tests may need sources newer than the scratch copy's)."""
    for base in (dest, dest / "mutants"):
        if only:
            for name in only:
                (base / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, base / name)
            continue
        for folder in ("tests", "benchmarks"):
            shutil.copytree(ROOT / folder, base / folder, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))


def run(package: str, source: list[str], tests: list[str], workdir: Path,
        max_children: int, rerun_survivors: bool = False,
        refresh: list[str] | None = None) -> dict:
    """Run mutmut over ``source`` with ``tests`` in a scratch copy; returns the counts.

    ``rerun_survivors``: keep the previous run's scratch copy and results, take the
    tree's current tests, and rerun only the mutants that survived, had no test or were
    not checked (a killed mutant stays killed when tests are added). The scratch copy's
    sources are not refreshed: rerun only while the sources and the other tests are as
    they were at the full run (after a merge, run the full measurement again, or pass
    ``refresh``: only those test files are copied, e.g. the file's ``*_mutants.py``)."""
    dest = workdir / ("ndgrad-mutation-" + package.replace("/", "_").replace(".py", ""))
    names: list[str] = []
    if rerun_survivors:
        listed = subprocess.run(["mutmut", "results"], cwd=dest, check=True,
                                capture_output=True, text=True).stdout
        names = [line.split(":")[0].strip() for line in listed.splitlines()
                 if line.strip().endswith(("survived", "no tests", "not checked"))]
        _refresh_tests(dest, refresh)
    else:
        scratch_copy(dest)
    pyproject = dest / "pyproject.toml"
    pyproject.write_text(_with_config(pyproject.read_text(), mutmut_config(source, tests)))
    start = time.perf_counter()
    if not rerun_survivors or names:
        subprocess.run(["mutmut", "run", "--max-children", str(max_children), *names],
                       cwd=dest, check=False, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    subprocess.run(["mutmut", "export-cicd-stats"], cwd=dest, check=True,
                   stdout=subprocess.DEVNULL)
    stats = json.loads((dest / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = subprocess.run(["mutmut", "results"], cwd=dest, check=True,
                               capture_output=True, text=True).stdout
    (dest / "survivors.txt").write_text(survivors)
    counted = stats["total"] - stats["skipped"]
    stats.update(package=package, source=source, tests=tests, seconds=round(elapsed),
                 score=stats["killed"] / counted if counted else float("nan"), workdir=str(dest))
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package", nargs="?", choices=sorted(PACKAGES))
    parser.add_argument("--source", nargs="+", help="mutate these paths (a subset of files)")
    parser.add_argument("--tests", nargs="+", help="run these tests (default: the package's)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the packages and exit")
    parser.add_argument("--rerun-survivors", action="store_true",
                        help="after adding tests: rerun only the last run's survivors")
    parser.add_argument("--refresh", nargs="+", metavar="TEST_FILE",
                        help="with --rerun-survivors: copy only these test files into the "
                             "scratch copy (default: all of tests/ and benchmarks/)")
    args = parser.parse_args(argv)
    if args.list or args.package is None:
        for name, (source, tests) in PACKAGES.items():
            print(f"{name:28s} source {' '.join(source)}  tests {' '.join(tests)}")
        return
    source, tests = PACKAGES[args.package]
    stats = run(args.package, args.source or source, args.tests or tests, args.workdir,
                args.max_children, args.rerun_survivors, args.refresh)
    print(json.dumps(stats, indent=1))
    print(f"{args.package}: {stats['killed']} killed of {stats['total'] - stats['skipped']} "
          f"({100 * stats['score']:.1f}%), {stats['survived']} survived, "
          f"{stats['no_tests']} without a covering test, {stats['timeout']} timed out, "
          f"{stats['seconds']} s; survivors in {stats['workdir']}/survivors.txt",
          file=sys.stderr)


if __name__ == "__main__":
    main()
