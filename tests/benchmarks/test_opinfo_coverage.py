"""benchmarks.opinfo_coverage resolves OpInfo names the way the project lays them out."""

from benchmarks import opinfo_coverage


def test_names_resolve_by_namespace():
    present, missing = opinfo_coverage.coverage(
        ["sort", "sort", "addcmul", "nn.functional.relu", "nn.functional.no_such_op",
         "no_such_op", "masked.no_such_op"])
    assert present == ["addcmul", "nn.functional.relu", "sort"]
    assert missing == ["masked.no_such_op", "nn.functional.no_such_op", "no_such_op"]
    assert opinfo_coverage.has("T") and opinfo_coverage.has("byte")  # Tensor attributes
