"""The layers and losses of issue 12 against PyTorch in float64 (forward and gradients;
skipped without torch), and their parameter names, shapes, init and errors without it.
The registry (autograd/testing/layers_ops.py) adds gradcheck/gradgradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd.testing.comparison import compare_with_torch

RNG = np.random.default_rng(5)


def _compare(fn, tfn, *arrays, consts=(), atol=1e-12):
    pytest.importorskip("torch")
    compare_with_torch(fn, tfn, *arrays, consts=consts, rng=RNG, rtol=1e-10, atol=atol)


def _tf():
    return pytest.importorskip("torch").nn.functional


# --- convolutions and pooling ----------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2),
                                     output_padding=(1, 2)), dict(groups=2, stride=2)])
def test_conv_transpose2d(kw):
    g = kw.get("groups", 1)
    _compare(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
             lambda x, w, b: _tf().conv_transpose2d(x, w, b, **kw),
             RNG.standard_normal((2, 4, 3, 4)), RNG.standard_normal((4, 3, 2, 3)),
             RNG.standard_normal(3 * g))


def test_conv_transpose1d():
    kw = dict(stride=3, padding=1, output_padding=2, dilation=2)
    _compare(lambda x, w: F.conv_transpose1d(x, w, **kw),
             lambda x, w: _tf().conv_transpose1d(x, w, **kw),
             RNG.standard_normal((2, 2, 5)), RNG.standard_normal((2, 3, 3)))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(3, 1, 2), padding=(1, 0, 1), dilation=(2, 1, 1),
                                     output_padding=(2, 0, 1)), dict(groups=2, stride=(2, 1, 1))])
def test_conv_transpose3d(kw):
    g = kw.get("groups", 1)
    _compare(lambda x, w, b: F.conv_transpose3d(x, w, b, **kw),
             lambda x, w, b: _tf().conv_transpose3d(x, w, b, **kw),
             RNG.standard_normal((2, 4, 3, 3, 2)), RNG.standard_normal((4, 3, 2, 2, 3)),
             RNG.standard_normal(3 * g))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1),
                                dict(stride=(2, 1, 1), padding=(1, 0, 1), dilation=(2, 1, 2)),
                                dict(groups=2), dict(padding="same")])
@pytest.mark.filterwarnings("ignore")  # torch warns about 'same' with even kernels
def test_conv3d(kw):
    cin = 4 // kw.get("groups", 1)
    _compare(lambda x, w, b: F.conv3d(x, w, b, **kw),
             lambda x, w, b: _tf().conv3d(x, w, b, **kw),
             RNG.standard_normal((1, 4, 4, 3, 4)), RNG.standard_normal((2, cin, 3, 2, 3)),
             RNG.standard_normal(2))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(3, 2, 2), stride=(2, 1, 2),
                                     padding=(1, 1, 0), ceil_mode=True),
                                dict(kernel_size=2, dilation=(2, 1, 1))])
def test_max_pool3d(kw):
    _compare(lambda x: F.max_pool3d(x, **kw), lambda x: _tf().max_pool3d(x, **kw),
             RNG.standard_normal((2, 2, 5, 4, 5)))


def test_max_pool3d_indices():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((1, 2, 5, 6, 5))
    for kw in (dict(kernel_size=2, dilation=(2, 1, 1)),
               dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)):
        _, idx = F.max_pool3d(ag.tensor(x), return_indices=True, **kw)
        _, tidx = _tf().max_pool3d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1,
                                     count_include_pad=False),
                                dict(kernel_size=(3, 2, 2), stride=(2, 1, 2), padding=(1, 1, 0),
                                     ceil_mode=True, count_include_pad=False),
                                dict(kernel_size=2, divisor_override=3)])
def test_avg_pool3d(kw):
    _compare(lambda x: F.avg_pool3d(x, **kw), lambda x: _tf().avg_pool3d(x, **kw),
             RNG.standard_normal((1, 2, 5, 4, 5)))


# --- resampling -------------------------------------------------------------------------

_INTERP = [("nearest", 1, dict(size=7)), ("nearest", 1, dict(scale_factor=0.6)),
           ("nearest", 2, dict(size=(7, 3))), ("nearest", 3, dict(scale_factor=(2, 1.5, 0.5))),
           ("nearest-exact", 1, dict(scale_factor=1.7)), ("nearest-exact", 2, dict(size=(2, 9))),
           ("area", 1, dict(size=3)), ("area", 2, dict(size=(3, 7))),
           ("linear", 1, dict(scale_factor=2)), ("linear", 1, dict(size=9, align_corners=True)),
           ("bilinear", 2, dict(scale_factor=0.7)),
           ("bilinear", 2, dict(scale_factor=2.5, recompute_scale_factor=True)),
           ("bilinear", 2, dict(size=(9, 2), align_corners=True)),
           ("bicubic", 2, dict(scale_factor=2)), ("bicubic", 2, dict(size=(3, 7),
                                                                   align_corners=True)),
           ("trilinear", 3, dict(scale_factor=0.7)), ("trilinear", 3, dict(size=(4, 2, 3),
                                                                           align_corners=True)),
           ("bilinear", 2, dict(size=(2, 3), antialias=True)),
           ("bilinear", 2, dict(scale_factor=(0.5, 2.0), antialias=True, align_corners=True)),
           ("bicubic", 2, dict(scale_factor=0.5, antialias=True)),  # torch errs at width 1
           ("bicubic", 2, dict(size=(7, 9), antialias=True))]


@pytest.mark.parametrize("mode,nd,kw", _INTERP)
def test_interpolate(mode, nd, kw):
    x = RNG.standard_normal((2, 2) + (5, 4, 3)[:nd])
    _compare(lambda t: F.interpolate(t, mode=mode, **kw),
             lambda t: _tf().interpolate(t, mode=mode, **kw), x)


@pytest.mark.parametrize("mode,nd", [("bilinear", 2), ("nearest", 2), ("bicubic", 2),
                                     ("bilinear", 3), ("nearest", 3)])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample(mode, nd, padding_mode, align_corners):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 2) + (4, 5, 3)[:nd])
    g = RNG.uniform(-1.3, 1.3, (2, 3, 4, 2)[:nd + 1] + (nd,))
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    if mode != "nearest":
        _compare(lambda a, b: F.grid_sample(a, b, **kw),
                 lambda a, b: _tf().grid_sample(a, b, **kw), x, g)
    else:  # no gradient flows to the grid
        _compare(lambda a: F.grid_sample(a, ag.tensor(g), **kw),
                 lambda a: _tf().grid_sample(a, torch.tensor(g), **kw), x)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 3, 2, 4, 5)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    nd = len(size) - 2
    _compare(lambda t: F.affine_grid(t, size, align_corners=align_corners),
             lambda t: _tf().affine_grid(t, size, align_corners=align_corners),
             RNG.standard_normal((2, nd, nd + 1)))


@pytest.mark.parametrize("cls,mode", [("ReflectionPad", "reflect"),
                                      ("ReplicationPad", "replicate"),
                                      ("CircularPad", "circular"), ("ZeroPad", "constant")])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_padding_layers(cls, mode, nd):
    pad = (1, 2, 2, 0, 1, 1)[:2 * nd]
    layer = getattr(nn, f"{cls}{nd}d")(pad)
    _compare(lambda x: layer(x), lambda x: _tf().pad(x, pad, mode=mode),
             RNG.standard_normal((2, 2) + (3, 4, 3)[:nd]))


def test_constant_pad_value_and_unbatched():
    x = ag.tensor(np.ones((2, 3)))
    out = nn.ConstantPad1d((1, 2), 3.5)(x).numpy()
    np.testing.assert_array_equal(out[:, 0], 3.5)
    assert out.shape == (2, 6)
    assert nn.ReflectionPad2d(1)(ag.tensor(np.ones((2, 3, 3)))).shape == (2, 5, 5)
    with pytest.raises(RuntimeError, match="padding must be < the size"):
        nn.ReflectionPad1d(3)(ag.tensor(np.ones((1, 2, 3))))


def test_pixel_shuffle_round_trip():
    x = RNG.standard_normal((2, 8, 3, 2))
    _compare(lambda t: F.pixel_shuffle(t, 2), lambda t: _tf().pixel_shuffle(t, 2), x)
    y = nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(ag.tensor(x)))
    np.testing.assert_array_equal(y.numpy(), x)


def test_upsample_modules():
    x = RNG.standard_normal((1, 2, 3, 4))
    _compare(lambda t: nn.Upsample(scale_factor=2, mode="bilinear")(t),
             lambda t: _tf().interpolate(t, scale_factor=2, mode="bilinear"), x)
    _compare(lambda t: nn.UpsamplingBilinear2d(size=(5, 5))(t),
             lambda t: _tf().interpolate(t, size=(5, 5), mode="bilinear", align_corners=True),
             x)


def test_fold_unfold_modules_are_inverse_on_disjoint_blocks():
    x = ag.tensor(RNG.standard_normal((1, 2, 4, 6)))
    cols = nn.Unfold(2, stride=2)(x)
    assert cols.shape == (1, 8, 6)
    np.testing.assert_allclose(nn.Fold((4, 6), 2, stride=2)(cols).numpy(), x.numpy())


# --- distances, norms and embedding bags -----------------------------------------------

def test_distances():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((1, 4))
    a[1] = 0.0  # a zero vector: gradients stay finite, as in PyTorch
    _compare(lambda x: F.normalize(x), lambda x: _tf().normalize(x), a)
    _compare(lambda x: F.normalize(x, p=3.0, dim=0), lambda x: _tf().normalize(x, p=3.0, dim=0),
             a)
    _compare(lambda x, y: nn.CosineSimilarity()(x, y), lambda x, y: _tf().cosine_similarity(x, y),
             a, b)
    _compare(lambda x, y: nn.PairwiseDistance(p=1.5, keepdim=True)(x, y),
             lambda x, y: _tf().pairwise_distance(x, y, p=1.5, keepdim=True), a, b)


def _copy(mod, tmod):
    mod.double()
    tmod.double()
    mod.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("InstanceNorm2d", (3,), {}, (2, 3, 4, 5)),
    ("InstanceNorm1d", (3,), dict(affine=True, track_running_stats=True), (2, 3, 4)),
    ("InstanceNorm3d", (2,), dict(affine=True), (2, 2, 3, 2, 3)),
    ("RMSNorm", ([3, 4],), {}, (2, 3, 4)),
    ("RMSNorm", (4,), dict(eps=1e-3, elementwise_affine=False), (2, 3, 4)),
    ("LocalResponseNorm", (3,), dict(alpha=0.1, beta=0.6, k=2.0), (2, 5, 3)),
    ("LocalResponseNorm", (2,), {}, (2, 5, 3, 2)),
])
@pytest.mark.parametrize("training", [True, False])
def test_norm_layers(name, args, kwargs, shape, training):
    torch = pytest.importorskip("torch")
    m, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert list(m.state_dict()) == list(tm.state_dict())
    _copy(m, tm)
    m.train(training)
    tm.train(training)
    for _ in range(2):  # running statistics move on the first call
        _compare(lambda x: m(x), lambda x: tm(x), RNG.standard_normal(shape))
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), atol=1e-12, err_msg=k)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("layout", ["2d", "offsets", "last_offset"])
def test_embedding_bag(mode, padding_idx, layout):
    torch = pytest.importorskip("torch")
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 5])
    kw = dict(mode=mode, padding_idx=padding_idx)
    if layout == "2d":
        idx, offsets = idx.reshape(2, 4), None
    elif layout == "offsets":
        offsets = np.array([0, 2, 2, 5])
    else:
        offsets = np.array([0, 2, 2, 5, 8])
        kw["include_last_offset"] = True

    def ours(w):
        return F.embedding_bag(ag.tensor(idx), w, None if offsets is None
                               else ag.tensor(offsets), **kw)

    def theirs(w):
        return _tf().embedding_bag(torch.tensor(idx), w, None if offsets is None
                                   else torch.tensor(offsets), **kw)

    _compare(ours, theirs, RNG.standard_normal((6, 3)))


def test_embedding_bag_per_sample_weights_and_module():
    torch = pytest.importorskip("torch")
    idx, off = np.array([1, 2, 4, 5, 4]), np.array([0, 3])
    _compare(lambda w, p: F.embedding_bag(ag.tensor(idx), w, ag.tensor(off), mode="sum",
                                          per_sample_weights=p),
             lambda w, p: _tf().embedding_bag(torch.tensor(idx), w, torch.tensor(off),
                                              mode="sum", per_sample_weights=p),
             RNG.standard_normal((6, 3)), RNG.uniform(0.5, 2.0, 5))
    m = nn.EmbeddingBag(10, 3, mode="max", padding_idx=0)
    assert [k for k, _ in m.named_parameters()] == ["weight"] and m.weight.shape == (10, 3)
    assert (m.weight.numpy()[0] == 0).all()
    with pytest.raises(ValueError, match="per_sample_weights"):
        m(ag.tensor([[1, 2]]), per_sample_weights=ag.ones(1, 2))


# --- layers: names, shapes, init --------------------------------------------------------

@pytest.mark.parametrize("name,args,kwargs", [
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, groups=2)),
    ("ConvTranspose1d", (2, 3, 4), dict(bias=False)),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(groups=2)),
    ("ConvTranspose3d", (2, 4, (2, 1, 2)), dict(stride=2, groups=2)),
])
def test_conv_layers_match_torch_layout(name, args, kwargs):
    torch = pytest.importorskip("torch")
    m, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    fan_in = m.weight.shape[1] * int(np.prod(m.weight.shape[2:]))
    assert np.abs(m.weight.numpy()).max() <= 1 / np.sqrt(fan_in) + 1e-7  # kaiming(a=sqrt 5)
    _copy(m, tm)
    shape = (2, args[0]) + (4, 5, 3)[:m.weight.ndim - 2]
    _compare(lambda x: m(x), lambda x: tm(x), RNG.standard_normal(shape))


def test_conv_transpose_output_size():
    torch = pytest.importorskip("torch")
    m, tm = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), \
        torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    _copy(m, tm)
    _compare(lambda x: m(x, output_size=(10, 9)), lambda x: tm(x, output_size=(10, 9)),
             RNG.standard_normal((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="not reachable"):
        m(ag.randn(1, 2, 5, 5, dtype=ag.float64), output_size=(12, 9))


def test_pool3d_modules_and_errors():
    x = ag.tensor(RNG.standard_normal((1, 1, 4, 4, 4)))
    assert nn.MaxPool3d(2)(x).shape == (1, 1, 2, 2, 2)
    assert nn.AvgPool3d(2, stride=1)(x).shape == (1, 1, 3, 3, 3)
    with pytest.raises(ValueError, match="max_pool3d"):
        F.max_pool3d(ag.ones(2, 3), 2)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(ag.ones(1, 1, 3, 3), ag.ones(1, 1, 2, 2), stride=2, output_padding=2)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_source_index_rounds_like_torch_in_float32(mode):
    torch = pytest.importorskip("torch")
    for n_in in range(1, 14):
        x = np.arange(n_in, dtype=np.float32).reshape(1, 1, n_in)
        for n_out in range(1, 30):
            ours = F.interpolate(ag.tensor(x), size=n_out, mode=mode).numpy()
            theirs = _tf().interpolate(torch.tensor(x), size=n_out, mode=mode).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{n_in} -> {n_out}")
