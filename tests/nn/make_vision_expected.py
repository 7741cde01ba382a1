"""Write tests/nn/vision_expected.py: the PyTorch results (float64) that
tests/nn/test_vision_mutants.py compares with (run it with torch installed:
``python tests/nn/make_vision_expected.py``; the tests themselves need no torch)."""
# ruff: noqa
import numpy as np, torch, torch.nn.functional as TF

def inp(shape, k=1.3):
    n = int(np.prod(shape))
    return np.cos(np.arange(n) * k).reshape(shape)

def grid(shape, lo=-1.3, hi=1.2):
    n = int(np.prod(shape))
    return np.linspace(lo, hi, n).reshape(shape)

cases = []
def add(name, fn, *arrays, grads=False, **kw):
    ts = [torch.tensor(a, requires_grad=grads) for a in arrays]
    out = getattr(TF, fn)(*ts, **kw)
    entry = dict(name=name, fn=fn, shapes=[a.shape for a in arrays], kw=kw, out=out.detach().numpy())
    if grads:
        g = torch.tensor(inp(tuple(out.shape), 0.7))
        (out * g).sum().backward()
        entry["grads"] = [t.grad.numpy() for t in ts]
    cases.append(entry)

x3, x4, x5 = inp((1, 2, 5)), inp((1, 2, 4, 5)), inp((1, 2, 3, 4, 3))
# interpolate
add("nearest_size_1d", "interpolate", x3, size=7)
add("nearest_scale_2d", "interpolate", x4, scale_factor=(1.7, 0.6))
add("nearest_exact_2d", "interpolate", x4, size=(3, 8), mode="nearest-exact")
add("nearest_3d", "interpolate", x5, scale_factor=(1.5, 0.75, 2.0))
add("linear", "interpolate", x3, size=8, mode="linear")
add("linear_ac", "interpolate", x3, size=3, mode="linear", align_corners=True)
add("linear_scale", "interpolate", x3, scale_factor=1.7, mode="linear")
add("linear_scale_recompute", "interpolate", x3, scale_factor=1.7, mode="linear", recompute_scale_factor=True)
add("bilinear", "interpolate", x4, size=(7, 3), mode="bilinear")
add("bilinear_ac", "interpolate", x4, size=(6, 2), mode="bilinear", align_corners=True)
add("bilinear_scale", "interpolate", x4, scale_factor=(0.6, 1.5), mode="bilinear")
add("bilinear_aa", "interpolate", x4, size=(2, 3), mode="bilinear", antialias=True)
add("bicubic", "interpolate", x4, size=(6, 7), mode="bicubic")
add("bicubic_ac", "interpolate", x4, size=(3, 4), mode="bicubic", align_corners=True)
add("bicubic_same", "interpolate", x4, size=(4, 5), mode="bicubic")
add("bicubic_aa", "interpolate", x4, size=(2, 2), mode="bicubic", antialias=True)
add("bicubic_aa_up", "interpolate", x4, size=(5, 7), mode="bicubic", antialias=True)
add("trilinear", "interpolate", x5, size=(4, 2, 5), mode="trilinear")
add("trilinear_ac", "interpolate", x5, scale_factor=1.5, mode="trilinear", align_corners=True)
add("area", "interpolate", x4, size=(3, 2), mode="area")
add("area_scale", "interpolate", x3, scale_factor=0.7, mode="area")
add("size_one", "interpolate", x4, size=(1, 1), mode="bilinear", align_corners=True)
add("nearest_down", "interpolate", x4, scale_factor=0.7)  # 1/scale differs from in/out
add("bilinear_first_same", "interpolate", x4, size=(4, 3), mode="bilinear")
# affine_grid
th2 = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.3]]])
th3 = np.array([[[0.9, -0.3, 0.1, 0.05], [0.2, 1.1, -0.2, 0.0], [0.1, 0.0, 0.8, -0.1]]])
cases_affine = []
for ac in (False, True):
    for th, size in ((th2, (2, 1, 3, 4)), (th3, (1, 1, 2, 3, 2)), (th2, (2, 1, 1, 3))):
        out = TF.affine_grid(torch.tensor(th), size, align_corners=ac).numpy()
        cases_affine.append(dict(theta=th, size=size, ac=ac, out=out))
# grid_sample
gs_cases = []
g2 = grid((1, 3, 2, 2))
g2[0, 0, 0] = [0.0, 0.5]  # rint ties (align_corners=False, W=5 / H=4)
g3 = grid((1, 2, 2, 2, 3))
for mode in ("bilinear", "nearest", "bicubic"):
    for pad in ("zeros", "border", "reflection"):
        for ac in (False, True):
            x = torch.tensor(x4, requires_grad=True)
            g = torch.tensor(g2, requires_grad=True)
            out = TF.grid_sample(x, g, mode=mode, padding_mode=pad, align_corners=ac)
            w = torch.tensor(inp(tuple(out.shape), 0.7))
            (out * w).sum().backward()
            gs_cases.append(dict(mode=mode, pad=pad, ac=ac, nd=2, out=out.detach().numpy(),
                                 gx=x.grad.numpy(), gg=g.grad.numpy() if mode != "nearest" else None))
for mode in ("bilinear", "nearest"):
    for pad in ("zeros", "border", "reflection"):
        for ac in (False, True):
            x = torch.tensor(x5, requires_grad=True)
            g = torch.tensor(g3, requires_grad=True)
            out = TF.grid_sample(x, g, mode=mode, padding_mode=pad, align_corners=ac)
            w = torch.tensor(inp(tuple(out.shape), 0.7))
            (out * w).sum().backward()
            gs_cases.append(dict(mode=mode, pad=pad, ac=ac, nd=3, out=out.detach().numpy(),
                                 gx=x.grad.numpy(), gg=g.grad.numpy() if mode != "nearest" else None))

# reflection on inputs 1 and 2 pixels wide (spans 0 and 1 with align_corners), and far
# grid points reflected more than once (bicubic's integer taps)
gx_cases = []
far = np.array([[[[3.4, -0.2], [-3.7, 0.9]], [[0.3, 4.6], [-5.2, -2.9]]]])
for shape, g in (((1, 2, 3, 1), grid((1, 2, 2, 2))), ((1, 2, 2, 2), grid((1, 2, 2, 2))),
                 ((1, 2, 4, 5), far)):
    for mode in ("bilinear", "nearest", "bicubic"):
        for ac in (False, True):
            x = torch.tensor(inp(shape))
            out = TF.grid_sample(x, torch.tensor(g), mode=mode, padding_mode="reflection",
                                 align_corners=ac)
            gx_cases.append(dict(shape=shape, grid=g, mode=mode, ac=ac, out=out.numpy()))

def lit(a):
    return "np.array(" + np.array2string(np.asarray(a), separator=", ", floatmode="unique", threshold=10**6, max_line_width=95).replace("\n", "\n    ") + ")"

HEADER = f'''"""PyTorch {torch.__version__.split("+")[0]} results (float64) that tests/nn/test_vision_mutants.py compares with,
written by ``python tests/nn/make_vision_expected.py`` (needs torch): interpolate per mode,
affine_grid, grid_sample (output and the gradients of input and grid for an output
weighting ``cos(0.7 k)``). Inputs are ``cos(1.3 k)`` reshaped, grids ``linspace(-1.3, 1.2)``."""

# ruff: noqa
import numpy as np
'''
lines = [HEADER, "INTERP = {"]
for c in cases:
    lines.append(f"    {c['name']!r}: ({c['shapes'][0]!r}, {c['kw']!r},\n     {lit(c['out'])}),")
lines.append("}")
lines.append("")
lines.append("AFFINE = [")
for c in cases_affine:
    lines.append(f"    ({lit(c['theta'])}, {c['size']!r}, {c['ac']!r},\n     {lit(c['out'])}),")
lines.append("]")
lines.append("")
lines.append("GRID_SAMPLE = [")
for c in gs_cases:
    gg = "None" if c["gg"] is None else lit(c["gg"])
    lines.append(f"    ({c['nd']}, {c['mode']!r}, {c['pad']!r}, {c['ac']!r},\n     {lit(c['out'])},\n     {lit(c['gx'])},\n     {gg}),")
lines.append("]")
lines.append("")
lines.append("GRID_REFLECT = [")
for c in gx_cases:
    lines.append(f"    ({c['shape']!r}, {lit(c['grid'])}, {c['mode']!r}, {c['ac']!r},\n     {lit(c['out'])}),")
lines.append("]")
open(__import__("pathlib").Path(__file__).with_name("vision_expected.py"), "w").write("\n".join(lines) + "\n")
print(len(cases), len(cases_affine), len(gs_cases))
