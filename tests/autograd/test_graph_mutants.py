"""Tests written against the mutants of ``autograd/graph.py`` that survived the rest of
the suite (issue 18, ``python -m benchmarks.mutation autograd/graph.py``): each test's
docstring names the planted changes it catches. They read results through the public API
(``.numpy()``, ``.grad``, ``grad_fn``, messages); ``run_backward`` is called directly only
where the public entry points check the same thing first."""

from __future__ import annotations

import gc
import re

import numpy as np
import pytest

import autograd as ag
from autograd import graph
from autograd.graph import AnomalyError, BackwardError, increment_version, run_backward


def _leaf(values, dtype=np.float64):
    return ag.tensor(np.asarray(values, dtype), requires_grad=True)


# --- custom Functions used below ---------------------------------------------------------


class _TwoOut(ag.Function):
    """(2x, 3x): two outputs; backward uses both gradients, so a missing one must be
    zero-filled with the output's dtype."""

    seen_dtypes: list = []

    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g0, g1):
        _TwoOut.seen_dtypes.append((g0.dtype, g1.dtype))
        return g0 * 2 + g1 * 3


class _SaveBoth(ag.Function):
    """(x^2, x^3), saving the input and the second output: backward reads them as
    Tensors connected to the graph (double backward) and checks their versions."""

    @staticmethod
    def forward(ctx, x):
        cube = x * x * x
        ctx.save_for_backward(x, cube)
        return x * x, cube

    @staticmethod
    def backward(ctx, g0, g1):
        x, cube = ctx.saved_tensors
        return g0 * 2 * x + g1 * 3 * cube / x


class _ValuesAndIndex(ag.Function):
    """(values, a float "index" marked non-differentiable, an int64 count)."""

    @staticmethod
    def forward(ctx, x):
        idx = np.argsort(x).astype(x.dtype)
        ctx.mark_non_differentiable(idx)
        return x * 1, idx, np.array(x.size)

    @staticmethod
    def backward(ctx, g, gi, gc_):
        return g


class _Marked(ag.Function):
    """One float output marked non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        out = x + 1
        ctx.mark_non_differentiable(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g


class _ToInt(ag.Function):
    """A float input, an int64 output (never differentiable)."""

    @staticmethod
    def forward(ctx, x):
        return np.floor(x).astype(np.int64)

    @staticmethod
    def backward(ctx, g):
        return None


# --- roots -------------------------------------------------------------------------------


def test_a_leaf_as_root_gets_its_gradient_its_hooks_and_its_post_hook():
    """A leaf passed as the root (``x.backward(g)``): catches ``_run_backward``'s root
    loop delivering the wrong tensor / gradient / capture / held dict (#21-#29), skipping
    the post-accumulate bookkeeping (#30-#32), and ``_PostAccumulate.flush`` not running
    the hook of a leaf no node feeds (flush #3-#11)."""
    x = _leaf([1.0, 2.0])
    x.backward(ag.tensor([3.0, 4.0], dtype=ag.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])

    calls = []
    y = _leaf([1.0, 2.0])
    y.register_hook(lambda g: g * 10)
    y.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.numpy().copy()))
    y.backward(ag.tensor([1.0, 1.0], dtype=ag.float64))
    np.testing.assert_array_equal(y.grad.numpy(), [10.0, 10.0])
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [10.0, 10.0])

    (g,) = ag.grad(x, x, ag.tensor([5.0, 6.0], dtype=ag.float64))  # captured, not .grad
    np.testing.assert_array_equal(g.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_a_leaf_root_does_not_end_the_root_loop():
    """Roots after a leaf root still run: catches ``continue`` -> ``break`` (#33)."""
    x = _leaf([2.0])
    (g,) = ag.grad([x, x * 3], [x], [ag.ones(1, dtype=ag.float64)] * 2)
    assert g.item() == 4.0


def test_two_roots_on_one_node_output_add_their_gradients():
    """The same output passed twice as a root: its seeds add up in one pending slot.
    Catches ``_accumulate`` dropping the first seed or subtracting (#8, #11, #13) and the
    root loop making a second slot for a pending node (#34, #35)."""
    x = _leaf([1.0, 2.0])
    y = x * x
    g1 = ag.tensor([1.0, 1.0], dtype=ag.float64)
    g2 = ag.tensor([10.0, 100.0], dtype=ag.float64)
    (gx,) = ag.grad([y, y], [x], [g1, g2])
    np.testing.assert_allclose(gx.numpy(), 2 * np.array([1.0, 2.0]) * [11.0, 101.0])


def test_roots_run_newest_first():
    """Roots at different depths: the older root's node must wait for the newer one's
    gradient (it runs once, after). Catches ``heappush(heap, (+fn.seq, fn))`` (#43), which
    runs the older node first and then a second time on a freed graph."""
    x = _leaf([1.5])
    a = x * 2
    b = a * 3
    (g,) = ag.grad([a, b], [x], [ag.ones(1, dtype=ag.float64)] * 2)
    assert g.item() == 2 + 6


def test_a_view_root_replays_its_history_after_its_base_changed():
    """``v.backward()`` where ``v`` is a view whose base was changed in place after ``v``
    was made: its grad_fn is regenerated first. Catches ``_refreshed(None)`` at the
    roots (#18) and the root loop not refreshing."""
    x = _leaf([1.0, 2.0])
    y = x * 1.0
    v = y[:1]
    y.mul_(3.0)
    v.backward(ag.ones(1, dtype=ag.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0])


def test_run_backward_checks_root_gradient_shapes_itself():
    """``Tensor.backward`` and ``ag.grad`` check the seed's shape before calling
    ``run_backward``; ``run_backward`` checks it again (for its other callers) with a
    ``BackwardError`` naming both shapes. Catches the arguments of ``_raise_shape`` in
    ``_accumulate`` (#2-#7), its message (``_raise_shape`` #1-#3) and ``_deliver_leaf``'s
    message for a leaf root (``by`` #4, #6, #7)."""
    x = _leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(BackwardError, match=re.escape(
            "gradient of shape (3,) reached output 0 of MulScalar, whose shape is (2,)")):
        run_backward([y], [ag.ones(3, dtype=ag.float64)], True)
    with pytest.raises(BackwardError, match=re.escape(
            "backward produced a gradient of shape (3,) for a leaf of shape (2,)")):
        run_backward([x], [ag.ones(3, dtype=ag.float64)])


def test_run_backward_defaults_free_the_graph_and_record_nothing():
    """``run_backward(roots, grads)`` frees the graph and records no graph of the
    gradient, like PyTorch's defaults: catches ``retain_graph=True`` / ``create_graph=True``
    defaults (``run_backward`` #1, #2)."""
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()
    run_backward([y], [ag.ones((), dtype=ag.float64)])
    assert not x.grad.requires_grad and x.grad.grad_fn is None
    with pytest.raises(BackwardError, match="second time"):
        y.backward()


def test_backward_restores_the_cyclic_gc_state():
    """Backward pauses the cyclic GC and restores the state it found: catches
    ``gc_was_enabled = None`` (``run_backward`` #3), which leaves the GC off."""
    x = _leaf([1.0])
    was = gc.isenabled()
    try:
        gc.enable()
        (x * 2).sum().backward()
        assert gc.isenabled()
        gc.disable()
        (x * 2).sum().backward()
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


# --- the node loop -----------------------------------------------------------------------


class _GradForConstant(ag.Function):
    """x * c, whose backward returns a gradient for ``c`` even when ``c`` needs none."""

    @staticmethod
    def forward(ctx, x, c):
        ctx.save_for_backward(x, c)
        return x * c

    @staticmethod
    def backward(ctx, g):
        x, c = ctx.saved_tensors
        return g * c, g * x


def test_a_gradient_for_an_input_that_needs_none_is_dropped():
    """A backward may return a gradient for an input that does not require grad (PyTorch
    ignores it): catches ``if t is None or g is None`` -> ``and`` (#78)."""
    x = _leaf([2.0])
    c = ag.tensor([5.0], dtype=ag.float64)
    _GradForConstant.apply(x, c).sum().backward()
    assert x.grad.item() == 5.0 and c.grad is None


class _WrongShape(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum(keepdims=True)

    @staticmethod
    def backward(ctx, g):
        return ag.ones(3, dtype=ag.float64)


def test_a_wrong_gradient_shape_for_an_inner_node_is_named():
    """A backward returning the wrong shape for an input made by another op: catches the
    arguments of ``_raise_shape`` in the node loop (#109-#114)."""
    x = _leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(BackwardError, match=re.escape(
            "gradient of shape (3,) reached output 0 of MulScalar, whose shape is (2,)")):
        _WrongShape.apply(y).sum().backward()


def test_leaf_hooks_under_ag_grad_go_to_the_captured_result():
    """``ag.grad`` of a leaf with a tensor hook: the hooked total goes to the result, not
    to ``.grad``. Catches ``_release_held(entry, None)`` at the end of backward (#124) and
    ``_accumulate_leaf(t, g, None)`` in ``_release_held`` (#8)."""
    x = _leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 2)
    (g,) = ag.grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [4.0, 8.0])
    assert x.grad is None


def test_a_non_leaf_hook_replaces_the_gradient():
    """A hook on an intermediate returning a Tensor replaces its gradient: catches
    ``slot[idx] = None`` in ``_node_backward`` (#8)."""
    x = _leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])


def test_a_non_leaf_hook_handle_removes_the_hook():
    """``y.register_hook(h).remove()``: catches the handle made with ``None`` for the
    hook list or the hook (``Node.register_hook`` #9, #10)."""
    x = _leaf([1.0])
    y = x * 2
    calls = []
    handle = y.register_hook(lambda g: calls.append(1))
    handle.remove()
    y.sum().backward()
    assert calls == [] and x.grad.item() == 2.0


def test_an_unused_output_of_a_two_output_op_gets_zeros_of_its_dtype():
    """A two-output op with one output unused: its gradient is zeros of that output's
    dtype (float32 here). Catches ``len(slot) > 2`` (#23) and zeros made without the
    output's dtype (#33, #35)."""
    _TwoOut.seen_dtypes.clear()
    x = ag.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    a, _ = _TwoOut.apply(x)
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    assert _TwoOut.seen_dtypes == [(ag.float32, ag.float32)]


# --- leaves ------------------------------------------------------------------------------


class _Float64Grad(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return ag.ones(g.shape, dtype=ag.float64) * 2


def test_a_gradient_of_another_dtype_is_cast_to_the_leafs():
    """A backward returning float64 for a float32 leaf: ``.grad`` is float32. Catches the
    cast in ``_accumulate_leaf`` removed, inverted or given no dtype (#12-#14)."""
    x = ag.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    _Float64Grad.apply(x).sum().backward()
    assert x.grad.dtype == ag.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_create_graph_accumulation_adds_paths_differentiably():
    """A leaf reached by two paths under ``create_graph=True``: ``.grad`` is the sum and is
    differentiable. Catches ``t.grad = g`` always or ``prev - g`` (``_accumulate_leaf``
    #18, #20)."""
    x = _leaf([3.0])
    ((x * x) + (x * 5)).sum().backward(create_graph=True)
    assert x.grad.item() == 2 * 3.0 + 5 and x.grad.requires_grad


def test_accumulating_onto_a_differentiable_grad_is_out_of_place():
    """After a ``create_graph`` backward, ``.grad`` is part of a graph; a later plain
    backward adds out of place (the old ``.grad`` Tensor is unchanged, the new one does not
    require grad, on the leaf's device), as PyTorch's AccumulateGrad. Catches the branch
    test ``prev.requires_grad and ...`` (#21), ``prev is None or True`` (#27) and the new
    Tensor's value or device (#33-#37)."""
    x = _leaf([3.0])
    (x * x).sum().backward(create_graph=True)
    first = x.grad
    (x * 5).sum().backward()
    assert first.item() == 6.0 and first.requires_grad
    assert x.grad is not first and x.grad.item() == 11.0
    assert not x.grad.requires_grad and x.grad.device == x.device


def test_plain_accumulation_is_in_place_on_the_same_grad_tensor():
    """Two plain backwards: the second adds into the first's ``.grad`` Tensor in place
    (PyTorch keeps the same ``.grad``). Catches ``prev.array.shape == g.array.shape``
    (``_accumulate_leaf`` #24), which allocates a new Tensor instead."""
    x = _leaf([3.0])
    (x * 2).sum().backward()
    first = x.grad
    (x * 5).sum().backward()
    assert x.grad is first and first.item() == 7.0


# --- recording: Function.apply, saved tensors, outputs ------------------------------------


def test_next_functions_name_a_leaf_with_minus_one():
    """An edge to a leaf is ``(leaf, -1)``, the form ``next_functions`` documents (DDP
    walks it): catches ``idx.append(-2)`` for leaves (``apply`` #36)."""
    x = _leaf([1.0])
    y = x * 2
    (edge,) = [e for e in y.grad_fn.next_functions if e is not None]
    assert edge[0] is x and edge[1] == -1


def test_apply_without_a_tensor_names_the_function():
    """``Function.apply`` with no Tensor: catches the message replaced (``apply`` #45)."""
    with pytest.raises(TypeError, match="_Marked: expected at least one Tensor argument"):
        _Marked.apply(np.ones(2))


class _Needs(ag.Function):
    seen: list = []

    @staticmethod
    def forward(ctx, x, y):
        _Needs.seen.append(ctx.needs_input_grad)
        return x * y

    @staticmethod
    def backward(ctx, g):
        return g, g


def test_needs_input_grad_when_nothing_is_recorded():
    """Inputs that do not require grad: ``ctx.needs_input_grad`` is all False (as
    PyTorch's); catches ``(True,) * len(args)`` in the unrecorded path (``apply`` #52)."""
    _Needs.seen.clear()
    _Needs.apply(ag.ones(2), ag.ones(2))
    x = ag.ones(2, requires_grad=True)
    _Needs.apply(x, ag.ones(2))
    assert _Needs.seen == [(False, False), (True, False)]


class _Fails(ag.Function):
    @staticmethod
    def forward(ctx, x):
        raise ValueError("boom")

    @staticmethod
    def backward(ctx, g):
        return g


def test_a_forward_value_error_keeps_its_text_and_cause():
    """A ValueError raised in a recorded forward is re-raised naming the op and the shapes,
    with the original text and as its cause: catches ``_raise_forward_error(cls, args,
    None)`` (``apply`` #104)."""
    x = _leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape(
            "_Fails: boom (tensor arguments: (2,) float64)")) as info:
        _Fails.apply(x)
    assert isinstance(info.value.__cause__, ValueError)


def test_non_differentiable_outputs_of_single_output_ops():
    """An output marked non-differentiable, and an int output, do not require grad and
    keep the input's device. Catches ``mark_non_differentiable`` storing None (#1), the
    output test ``... or True`` / ``or`` (``apply`` #136, #149) and the plain wrap given
    no device (#153)."""
    x = _leaf([1.5, 2.5])
    m = _Marked.apply(x)
    assert not m.requires_grad and m.grad_fn is None and m.device == x.device
    np.testing.assert_array_equal(m.numpy(), [2.5, 3.5])
    i = _ToInt.apply(x)
    assert not i.requires_grad and i.grad_fn is None and i.device == x.device
    np.testing.assert_array_equal(i.numpy(), [1, 2])


def test_non_differentiable_outputs_of_multi_output_ops():
    """Multi-output: the marked float output and the int64 output do not require grad,
    the other does; values and devices kept. Catches ``_record_outputs``' non_diff test
    (#22, #26, #30, #31, #34) and the plain wrap (#46-#49)."""
    x = _leaf([3.0, 1.0, 2.0])
    v, idx, n = _ValuesAndIndex.apply(x)
    assert v.requires_grad and v.grad_fn is not None
    for t in (idx, n):
        assert not t.requires_grad and t.grad_fn is None and t.device == x.device
    np.testing.assert_array_equal(idx.numpy(), [1, 2, 0])
    assert n.item() == 3 and n.dtype == ag.int64
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


class _ScalarOut(ag.Function):
    """Returns a NumPy scalar and an array: the scalar becomes a 0-d array."""

    @staticmethod
    def forward(ctx, x):
        return np.float64(x.sum()), x * 2

    @staticmethod
    def backward(ctx, gs, ga):
        return gs + ga * 2


def test_numpy_scalar_outputs_of_multi_output_ops_become_arrays():
    """``np.float64`` returned among several outputs is stored as a 0-d ndarray (recorded
    and not), so in-place ops and ``numpy()`` work: catches ``_as_array`` returning the
    scalar (#1, #3)."""
    x = _leaf([1.0, 2.0])
    s, a = _ScalarOut.apply(x)
    assert type(s.numpy()) is np.ndarray and s.shape == ()
    with ag.no_grad():
        s2, _ = _ScalarOut.apply(x)
        s2.add_(1.0)
    assert s2.item() == 4.0
    (s + a.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_saved_input_and_output_of_a_multi_output_op_reconnect_for_double_backward():
    """A two-output op saving its input and its second output: the saved Tensors are
    connected (``create_graph`` gives the right second derivative). Catches
    ``_record_outputs`` not resolving the saved arrays or passing the wrong arguments
    (#9-#21, ``apply`` #112, #113)."""
    x = _leaf([2.0])
    sq, cube = _SaveBoth.apply(x)
    (g,) = ag.grad((sq + cube).sum(), x, create_graph=True)
    assert g.item() == pytest.approx(2 * 2.0 + 3 * 4.0)  # 2x + 3x^2
    (gg,) = ag.grad(g.sum(), x)
    assert gg.item() == pytest.approx(2 + 6 * 2.0)  # 2 + 6x


def test_a_saved_output_changed_in_place_is_refused_and_named():
    """The second output of a two-output op is saved and then changed in place: backward
    refuses, naming "its output 1". Catches ``origin = -1 + j`` (``_resolve_saved`` #9),
    the version counters not given to the outputs (``_record_outputs`` #9-#21, #51)."""
    x = _leaf([2.0])
    sq, cube = _SaveBoth.apply(x)
    cube.add_(1.0)
    with pytest.raises(BackwardError, match=re.escape(
            "_SaveBothBackward needs its output 1 (shape (1,), saved at version 0) but it was "
            "modified in place to version 1 by add_.")):
        (sq + cube).sum().backward()


def test_a_saved_input_changed_through_a_view_is_refused():
    """An intermediate with a view is saved by an op, then changed through the view:
    backward refuses. Catches ``vc = None`` for a saved input (``_resolve_saved`` #26),
    which gives it a counter of its own that the view's change does not move."""
    a = _leaf([1.0, 2.0])
    x = a * 1.0
    v = x[:1]
    y = x * a  # saves x
    v.add_(1.0)
    with pytest.raises(BackwardError, match="needs its input 0"):
        y.sum().backward()


# --- messages ----------------------------------------------------------------------------


def test_modified_message_without_anomaly_mode_is_exact():
    """The whole message for a saved input changed in place, outside anomaly mode (no
    places, the hint to clone): catches every mutant of ``_modified_message``'s text and
    branches (#3, #5, #6, #14-#17, #21-#32)."""
    a = _leaf([1.0, 2.0])
    x = a * 1.0
    y = x * a  # Mul saves x (input 0) and a
    increment_version(x)  # by=None: "an in-place op"
    with pytest.raises(BackwardError) as info:
        y.sum().backward()
    assert str(info.value) == (
        "MulBackward needs its input 0 (shape (2,), saved at version 0) but it was "
        "modified in place to version 1 by an in-place op. Clone the tensor before "
        "changing it (x = x.clone()), or change it after backward; run the forward and "
        "backward under ag.detect_anomaly() to see where both happened.")


def test_modified_message_in_anomaly_mode_names_both_places():
    """Under detect_anomaly the node records where it was made and ``increment_version``
    where the change happened; the hint is left out. Catches ``ctx._place = None``
    (``apply`` #97), ``increment_version``'s place never or always recorded (#7-#9) and
    the ``created``/hint branches of ``_modified_message`` (#11, #23)."""
    with ag.detect_anomaly():
        a = _leaf([1.0, 2.0])
        x = a * 1.0
        y = x * a
        increment_version(x, "my_kernel")
        with pytest.raises(BackwardError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert re.fullmatch(
        r"MulBackward \(created at [^()]+:\d+\) needs its input 0 \(shape \(2,\), saved at "
        r"version 0\) but it was modified in place to version 1 by my_kernel "
        r"\([^()]+:\d+\)\.", msg), msg


def test_freed_graph_message_is_exact():
    """Catches the text of ``_freed_message`` (#1, #4, #5)."""
    x = _leaf([1.0])
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(BackwardError) as info:
        y.backward()
    assert str(info.value) == (
        "Trying to backward through the graph a second time (through SumBackward): its "
        "saved arrays were freed after the first backward. Pass retain_graph=True to the "
        "first backward() if you need to backward twice.")


class _NoneThenNan(ag.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return None, g * float("nan")


def test_anomaly_check_looks_past_a_none_gradient_and_says_no_traceback():
    """A node made outside detect_anomaly returns (None, nan) inside it: the NaN of the
    second input is found (catches ``continue`` -> ``break``, ``_check_anomaly`` #3) and the
    message says the creation traceback was not recorded (#10, #11)."""
    x = ag.ones(1)
    y = ag.ones(1, requires_grad=True)
    out = _NoneThenNan.apply(x, y).sum()
    with ag.detect_anomaly(), pytest.raises(AnomalyError) as info:
        out.backward()
    assert "for input 1 (shape (1,))" in str(info.value)
    assert str(info.value).endswith("The op was created at:\n(creation traceback not recorded)\n")


def test_anomaly_traceback_is_a_formatted_stack():
    """The creation traceback is Python's formatted stack joined as is, ending with the
    line that applied the op: catches ``"XXXX".join`` (``apply`` #94); ``[:-2]`` (#96)
    is caught outside mutmut only (under mutmut the last frame is its trampoline)."""
    with ag.detect_anomaly():
        y = ag.ones(1, requires_grad=True)
        out = _NoneThenNan.apply(ag.ones(1), y).sum()  # the creation line
        with pytest.raises(AnomalyError) as info:
            out.backward()
    trace = str(info.value).split("The op was created at:\n", 1)[1]
    assert all(line.startswith(("  File ", "    ")) for line in trace.splitlines()), trace
    assert "XXXX" not in trace and "_NoneThenNan.apply(ag.ones(1), y)" in trace


# --- views ---------------------------------------------------------------------------------


def test_a_view_of_a_leaf_changed_under_no_grad_still_routes_its_gradient():
    """A view of a leaf whose storage was changed in place under no_grad: using the view
    replays its history once and gradients go to the leaf; its grad_fn is then kept
    (same object on the next use). Catches the ``_refreshed`` test ``and`` (#2) and
    ``info.version = None`` (#11), which replays on every use."""
    x = _leaf([1.0, 2.0])
    v = x[:1]
    with ag.no_grad():
        x.mul_(2.0)
    (v * 3).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0])
    first = v.grad_fn
    (v * 1).sum().backward()
    assert v.grad_fn is first
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 0.0])


# --- post-accumulate-grad hooks ----------------------------------------------------------


def test_two_post_accumulate_hooks_on_one_leaf_both_run():
    """Catches ``register_post_accumulate_grad_hook`` replacing the first hook's entry
    (``entry = None``, ``.get(None)``, ``entry[1]()``, ``is t``: #3, #4, #7, #8)."""
    w = _leaf([1.0])
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append("first"))
    w.register_post_accumulate_grad_hook(lambda t: calls.append("second"))
    (w * 2).sum().backward()
    assert calls == ["first", "second"]


class _Record(ag.Function):
    """Identity whose backward notes when it ran."""

    events: list = []

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        _Record.events.append("late")
        return g


def test_post_hook_fires_early_through_diamonds():
    """A hooked leaf below a diamond (``a`` feeds two ops) fires as soon as ``a``'s node
    has run, before an older branch runs, and sees its whole gradient. Catches the graph
    walk of ``_PostAccumulate.__init__`` stopping at the first revisit (``break``, #7)
    or never marking nodes seen (#8), which miscount the edges into the leaf."""
    _Record.events.clear()
    w = _leaf([1.0])
    z = _leaf([1.0])
    seen = []

    def hook(t):
        _Record.events.append("hook")
        seen.append(t.grad.item())

    w.register_post_accumulate_grad_hook(hook)
    s = _Record.apply(z)  # older than a: runs after a's node
    a = w * 2
    b = a * 3
    c = a * 4
    d = b * c + b + c  # more diamonds above a
    (s + d).sum().backward()
    # d = 12 a^2 + 7 a, a = 2w: dd/dw = (24 a + 7) * 2 = 110 at w = 1
    assert seen == [110.0] and _Record.events == ["hook", "late"]

    # the walk pops the diamond's node twice before it reaches the hooked leaf's op
    _Record.events.clear()
    seen.clear()
    x = _leaf([1.0])
    w2 = _leaf([1.0])
    w2.register_post_accumulate_grad_hook(hook)
    s = _Record.apply(z)
    t = w2 * 3
    a = x * 2
    (s + (t + (a + a))).sum().backward()
    assert seen == [3.0] and _Record.events == ["hook", "late"]


def test_post_hook_with_a_plain_leaf_on_the_same_node():
    """A node fed by a hooked leaf and a leaf without post hooks: catches the count test
    ``idx < 0 or id(t) in counts`` (``node_done`` #7), a KeyError for the plain leaf."""
    w = _leaf([2.0])
    u = _leaf([3.0])
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    (w * u).sum().backward()
    assert calls == [3.0] and u.grad.item() == 2.0


class _NoGrad(ag.Function):
    """Identity whose backward gives its input no gradient."""

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return None


def test_post_hook_not_run_for_a_leaf_that_gets_no_gradient_and_run_at_the_end_otherwise():
    """A hooked leaf fed only through a node that returns no gradient is not called
    (catches ``key in self.got or ...``, ``_fire`` #3); one fed by such a node and by
    another path runs once, with the other path's gradient, at the end of backward
    (``flush`` #3-#11)."""
    u = _leaf([1.0])
    calls_u = []
    u.register_post_accumulate_grad_hook(lambda t: calls_u.append(1))
    _NoGrad.apply(u * 2).sum().backward()  # u's node never runs
    _NoGrad.apply(u).sum().backward()  # u's node runs and gives it nothing
    assert calls_u == [] and u.grad is None

    w = _leaf([1.0])
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    (_NoGrad.apply(w * 3) + w * 2).sum().backward()
    assert calls == [2.0]


def test_post_hook_sees_the_tensor_hooks_result():
    """A leaf with a tensor hook and a post-accumulate hook: the tensor hook's result is
    accumulated before the post hook runs (PyTorch's order). Catches ``_fire`` not
    releasing the held gradient first (#7, #8, #12-#14)."""
    w = _leaf([1.0])
    seen = []
    w.register_hook(lambda g: g * 10)
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.item()))
    z = _leaf([1.0])
    s = _Record.apply(z)  # an older branch: w's hooks fire before it runs
    (s + w * 2).sum().backward()
    assert seen == [20.0] and w.grad.item() == 20.0


def test_post_hook_table_forgets_a_dead_leaf():
    """The side table entry goes with its leaf (weak reference callback)."""
    w = _leaf([1.0])
    w.register_post_accumulate_grad_hook(lambda t: None)
    key = id(w)
    assert key in graph._post_hooks
    del w
    gc.collect()
    assert key not in graph._post_hooks


def test_tensor_hook_and_post_hook_at_the_end_of_backward_count_the_gradient_once():
    """A bug these tests found: a leaf with a tensor hook and a post-accumulate hook whose
    hooks run at the end of backward (fed by a node that returned no gradient for it, or
    a root) had its hooked gradient accumulated twice (40 here; PyTorch 2.13 gives 20),
    once by the release of held gradients and again by ``_PostAccumulate.flush``."""
    w = _leaf([1.0])
    seen = []
    w.register_hook(lambda g: g * 10)
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.item()))
    (_NoGrad.apply(w * 3) + w * 2).sum().backward()
    assert w.grad.item() == 20.0 and seen == [20.0]


def test_device_mismatch_names_devices_and_shapes():
    """Two tensors on different devices (a second CPU-backed device stands in for a GPU):
    the message names both devices and both shapes. Catches ``shapes = None`` in
    ``_raise_device_mismatch`` (#3)."""
    import backends

    other = backends.Device("cuda", 7, type(backends.CPU.backend)())
    a = ag.ones(2)
    b = ag.ones(3, 1)
    b.device = other
    with pytest.raises(backends.DeviceMismatchError) as info:
        a + b
    assert "got devices ['cpu', 'cuda:7'] (shapes [(2,), (3, 1)])" in str(info.value)
