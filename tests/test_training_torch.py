"""numfmt.torch.quantize (straight-through estimator, gradient rounding), numfmt.torch.nn
(QuantLinear, QuantConv2d) and quantize_model: forward values and rounded gradients bit-identical
to numfmt.round on the same numbers; the straight-through gradients exactly as documented."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")
import numfmt as nf  # noqa: E402
import numfmt.torch as nft  # noqa: E402
from numfmt.torch.nn import QuantConv2d, QuantLinear  # noqa: E402
from numfmt.training import as_quant, clip_range  # noqa: E402


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def assert_bits(expected, got) -> None:
    expected = np.asarray(expected)
    got = got.detach().cpu().numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
    assert expected.dtype == got.dtype and expected.shape == got.shape
    np.testing.assert_array_equal(_bits(expected), _bits(got))


def _data(seed: int, shape, scale: float = 100.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _skip_without(fmt: str) -> None:
    """Skip where numfmt.torch does not round fmt yet (block formats until the block backend)."""
    try:
        nft.round(torch.zeros(32), fmt, axis=0, pad=True)     # as the layers call it
    except (TypeError, ValueError) as err:
        pytest.skip(f"numfmt.torch does not round {fmt} yet ({err})")


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), fmt=st.sampled_from(["e4m3", "e5m2", "bfloat16", "e2m1"]),
       rounding=st.sampled_from(["nearest_even", "toward_zero", "stochastic"]))
def test_identity_ste_forward_rounds_backward_passes(seed, fmt, rounding):
    x, upstream = _data(seed, (5, 7), 4.0), _data(seed + 1, (5, 7), 1.0)
    seed_kw = {"seed": seed} if rounding == "stochastic" else {}
    t = torch.from_numpy(x).requires_grad_()
    y = nft.quantize(t, fmt, rounding, overflow="saturate", **seed_kw)
    assert_bits(nf.round(x, fmt, rounding, "saturate", **seed_kw), y)
    y.backward(torch.from_numpy(upstream))
    assert_bits(upstream, t.grad)


def test_clipped_ste_zeroes_the_gradient_outside_the_finite_range():
    x = np.array([-1e9, -448.0, -448.5, 0.0, 1.0, 448.0, 449.0, np.inf, -np.inf, np.nan], np.float32)
    t = torch.from_numpy(x).requires_grad_()
    y = nft.quantize(t, "e4m3", ste="clipped", overflow="saturate", nan="ml_dtypes")
    y.backward(torch.full_like(t, 0.5))
    inside = np.array([0, 1, 0, 1, 1, 1, 0, 0, 0, 0], bool)
    assert_bits(np.where(inside, 0.5, 0.0).astype(np.float32), t.grad)
    # the range is the format's [min, max]: unsigned formats clip negative inputs; block formats
    # (their shared scale follows the data) clip nothing
    assert clip_range(as_quant("uint8", "fmt"), "clipped") == (0.0, 255.0)
    assert clip_range(as_quant("mxfp4", "fmt"), "clipped") is None


@settings(max_examples=10)
@given(seed=st.integers(0, 2**62), grad_fmt=st.sampled_from(["e5m2", "e4m3", "bfloat16"]),
       grad_rounding=st.sampled_from(["nearest_even", "stochastic", "odd"]), clipped=st.booleans())
def test_grad_fmt_rounds_the_gradient_bit_identically(seed, grad_fmt, grad_rounding, clipped):
    """The gradient equals numfmt.round of the incoming gradient (the NumPy path, same seed),
    zeroed where clipped."""
    x, upstream = _data(seed % 2**32, (4, 9), 300.0), _data(seed % 2**32 + 7, (4, 9), 1e-3)
    seed_kw = {"seed": seed} if grad_rounding == "stochastic" else {}
    t = torch.from_numpy(x).requires_grad_()
    y = nft.quantize(t, "e4m3", overflow="saturate", ste="clipped" if clipped else "identity",
                     grad_fmt=grad_fmt, grad_rounding=grad_rounding, grad_seed=seed_kw.get("seed"))
    y.backward(torch.from_numpy(upstream))
    expected = nf.round(upstream, grad_fmt, grad_rounding, **seed_kw)
    if clipped:
        expected = np.where(np.abs(x) <= 448, expected, np.float32(0))
    assert_bits(expected, t.grad)


def test_fmt_none_rounds_only_the_gradient_with_its_options():
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    y = nft.quantize(t, None, grad_fmt="e5m2", grad_options={"overflow": "saturate"})
    assert y.tolist() == [1.0, 2.0] and y is not t
    y.backward(torch.tensor([0.3, 1e9]))
    assert_bits(nf.round(np.array([0.3, 1e9], np.float32), "e5m2", overflow="saturate"), t.grad)


def test_gradcheck_where_the_rounding_is_exact():
    """gradcheck compares with finite differences, meaningful only where the forward is smooth:
    binary64 on float64 inputs is exact, so the layer is the float64 function and the STE's
    identity gradients (clipped too: all inside) are its true derivatives."""
    x = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: nft.quantize(t, "binary64", ste="clipped", grad_fmt="binary64"), (x,))
    layer = QuantLinear(4, 2, dtype=torch.float64, weight="binary64", act="binary64", output="binary64",
                        grad="binary64")
    assert torch.autograd.gradcheck(layer, (x,))
    conv = QuantConv2d(1, 2, 2, padding=1, dtype=torch.float64, weight="binary64", act="binary64", grad="binary64")
    assert torch.autograd.gradcheck(conv, (torch.randn(1, 1, 2, 2, dtype=torch.float64, requires_grad=True),))


@pytest.mark.parametrize("backend", ["aot_eager", pytest.param("inductor", marks=pytest.mark.slow)])
def test_torch_compile_fullgraph_matches_eager(backend):
    """(aot_eager: dynamo and autograd's tracing, where the graph breaks would be; inductor's
    code generation, seconds more, is tested on round in test_backends_torch.) Seeded stochastic rounding forward and backward compiles in one graph and gives the eager
    bits. Regression: recording the seed for numfmt.last_seed was a side effect that dynamo
    refuses inside an autograd.Function ("HOP: Non-nullified side effect") whenever the seed
    differed from the thread's last one; the compiled call runs first, in a fresh thread."""
    x = torch.from_numpy(_data(3, (64,)))
    upstream = torch.from_numpy(_data(4, (64,), 1e-2))

    def f(t):
        return nft.quantize(t, "e4m3", overflow="saturate", ste="clipped",
                            grad_fmt="e5m2", grad_rounding="stochastic", grad_seed=11) * 2.0

    results = []

    def run(fn):
        t = x.clone().requires_grad_()
        y = fn(t)
        y.backward(upstream)
        results.append((y.detach(), t.grad))

    thread = threading.Thread(target=run, args=(torch.compile(f, fullgraph=True, backend=backend),))
    thread.start()
    thread.join()
    assert len(results) == 1, "the compiled call raised (see the thread's traceback above)"
    run(f)
    (compiled_y, compiled_grad), (eager_y, eager_grad) = results
    assert_bits(nf.round(x.numpy(), "e4m3", overflow="saturate") * np.float32(2), compiled_y)
    assert_bits(eager_y.numpy(), compiled_y)
    assert_bits(nf.round(2 * upstream.numpy(), "e5m2", "stochastic", seed=11) * (np.abs(x.numpy()) <= 448),
                compiled_grad)
    assert_bits(eager_grad.numpy(), compiled_grad)


def test_errors_name_the_argument():
    t = torch.ones(3)
    with pytest.raises(ValueError, match="ste must be one of"):
        nft.quantize(t, "e4m3", ste="soft")
    with pytest.raises(ValueError, match="fmt must be a numfmt format"):
        nft.quantize(t, "e9m9x")
    with pytest.raises(ValueError, match="grad_fmt must be a numfmt format"):
        nft.quantize(t, "e4m3", grad_fmt="nope")
    with pytest.raises(ValueError, match="grad_fmt: .*rounding"):
        nft.quantize(t, "e4m3", grad_fmt="e5m2", grad_rounding="sideways")
    with pytest.raises(ValueError, match="pass grad_fmt too"):
        nft.quantize(t, "e4m3", grad_seed=3)
    with pytest.raises(ValueError, match="weight must be a numfmt format"):
        QuantLinear(2, 2, weight="e4m3x")
    with pytest.raises(TypeError, match="act: the options of a Quant"):
        QuantLinear(2, 2, act=nft.Quant("e4m3", "nearest_even", 5))
    with pytest.raises(ValueError, match="groups=1"):
        QuantConv2d(2, 2, 3, groups=2, accumulator="bfloat16")


def _reference_linear(x, w, b, fmt, out_fmt=None):
    """x @ w.T + b with x and w rounded to fmt by the NumPy path, the product in torch float32."""
    xq, wq = (torch.from_numpy(nf.round(a, fmt)) for a in (x, w))
    y = torch.nn.functional.linear(xq, wq, torch.from_numpy(b))
    return y if out_fmt is None else torch.from_numpy(nf.round(y.numpy(), out_fmt))


def test_quant_linear_forward_and_gradients():
    x, upstream = _data(5, (2, 3, 8), 2.0), _data(6, (2, 3, 4), 0.1)
    layer = QuantLinear(8, 4, weight="e4m3", act="e4m3", output="bfloat16", grad=nft.Quant("e5m2", "stochastic",
                                                                                          {"seed": 9}))
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    t = torch.from_numpy(x).requires_grad_()
    y = layer(t)
    assert_bits(_reference_linear(x, w, b, "e4m3", "bfloat16").numpy(), y)
    y.backward(torch.from_numpy(upstream))
    # the error arriving at the output is rounded to e5m2, then flows through the float matmul;
    # the weight's gradient is rounded again (same seed, its own shape)
    g = torch.from_numpy(nf.round(upstream, "e5m2", "stochastic", seed=9))
    xq, wq = torch.from_numpy(nf.round(x, "e4m3")), torch.from_numpy(nf.round(w, "e4m3"))
    assert_bits((g @ wq).numpy(), t.grad)
    w_grad = (g.reshape(-1, 4).t() @ xq.reshape(-1, 8)).numpy()
    assert_bits(nf.round(w_grad, "e5m2", "stochastic", seed=9), layer.weight.grad)
    assert_bits(g.sum((0, 1)).numpy(), layer.bias.grad)


def test_quant_conv2d_matches_conv_of_rounded_operands():
    x = _data(7, (2, 3, 6, 6), 1.0)
    conv = QuantConv2d(3, 4, 3, stride=2, padding=1, weight="e4m3", act="e5m2")
    y = conv(torch.from_numpy(x))
    expected = torch.nn.functional.conv2d(torch.from_numpy(nf.round(x, "e5m2")),
                                          torch.from_numpy(nf.round(conv.weight.detach().numpy(), "e4m3")),
                                          conv.bias, stride=2, padding=1)
    assert_bits(expected.detach().numpy(), y)


def test_quantize_model_swaps_in_place_and_keeps_parameters():
    inner = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(8, 3))
    model = torch.nn.Sequential(inner, torch.nn.ReLU(), torch.nn.Linear(3, 2))
    params = [id(p) for p in model.parameters()]
    keys = list(model.state_dict())
    out = nft.quantize_model(model, weight="e4m3", act="bfloat16", grad="e5m2")
    assert out is model
    assert type(inner[0]) is QuantConv2d and type(inner[2]) is QuantLinear and type(model[2]) is QuantLinear
    assert [id(p) for p in model.parameters()] == params and list(model.state_dict()) == keys
    assert model(torch.ones(1, 1, 4, 4)).shape == (1, 2)
    nft.quantize_model(model, weight="e5m2")          # new formats for layers already quantized
    assert model[2].weight_q.fmt == "e5m2" and model[2].act_q is None
    with pytest.raises(ValueError, match="act must be a numfmt format"):
        nft.quantize_model(model, weight="e4m3", act="e4m3x")
    assert model[2].weight_q.fmt == "e5m2" and [id(p) for p in model.parameters()] == params   # unchanged
    shared = torch.nn.Linear(3, 3)
    twice = nft.quantize_model(torch.nn.Sequential(shared, torch.nn.ReLU(), shared), weight="e4m3")
    assert twice[0] is twice[2] and type(twice[0]) is QuantLinear
    single = nft.quantize_model(torch.nn.Linear(2, 2), weight=torch.float8_e4m3fn)
    assert type(single) is QuantLinear and "weight=Quant(fmt=torch.float8_e4m3fn" in repr(single)


def _numpy_matmul(calls):
    """A stand-in for numfmt.torch.matmul: numfmt.matmul on the host (bit-identical by contract)."""
    def matmul(a, b, fmt=None, **kwargs):
        calls.append(dict(kwargs, fmt=fmt))
        return torch.from_numpy(nf.matmul(a.detach().numpy(), b.detach().numpy(), fmt, **kwargs).astype(np.float32))
    return matmul


def test_accumulator_goes_through_numfmt_torch_matmul(monkeypatch):
    """The layers' accumulator path, wired to a host stand-in of numfmt.torch.matmul (another
    part of numfmt provides the device one; test_accumulator_with_the_device_matmul uses it)."""
    calls = []
    monkeypatch.setattr(nft, "matmul", _numpy_matmul(calls), raising=False)
    x = _data(8, (5, 16), 1.0)
    acc = nft.Quant("bfloat16", "stochastic", {"seed": 4})
    layer = QuantLinear(16, 3, weight="e4m3", act="e4m3", accumulator=acc)
    t = torch.from_numpy(x).requires_grad_()
    y = layer(t)
    w = layer.weight.detach().numpy()
    expected = nf.matmul(nf.round(x, "e4m3"), nf.round(w, "e4m3").T, "e4m3", accumulator="bfloat16",
                         rounding="stochastic", seed=4).astype(np.float32) + layer.bias.detach().numpy()
    assert_bits(expected, y)
    assert calls == [{"accumulator": "bfloat16", "rounding": "stochastic", "seed": 4, "fmt": nf.format("e4m3")}]
    y.sum().backward()      # straight through the accumulator: the float gradient of the matmul
    assert_bits(np.ones((5, 3), np.float32) @ nf.round(w, "e4m3"), t.grad)
    # Conv2d: the unfolded input as one matmul (binary32 accumulation: close to conv2d's own order)
    conv = QuantConv2d(2, 3, 3, stride=2, padding=1, accumulator="binary32")
    xc = torch.from_numpy(_data(9, (2, 2, 5, 5), 1.0))
    torch.testing.assert_close(conv(xc), torch.nn.functional.conv2d(xc, conv.weight, conv.bias, 2, 1))
    conv = QuantConv2d(2, 3, 3, padding="same", padding_mode="reflect", dilation=2, accumulator="binary32")
    torch.testing.assert_close(conv(xc), conv._conv_forward(xc, conv.weight, conv.bias))
    with pytest.raises(ValueError, match="groups=1"):
        nft.quantize_model(torch.nn.Conv2d(2, 2, 3, groups=2), accumulator="bfloat16")


def test_accumulator_with_the_device_matmul():
    if not hasattr(nft, "matmul"):
        pytest.skip("numfmt.torch.matmul (the emulated device matmul) is not in this numfmt yet")
    x = _data(10, (4, 32), 1.0)
    layer = QuantLinear(32, 5, bias=False, weight="e4m3", act="e4m3", accumulator="bfloat16")
    expected = nf.matmul(nf.round(x, "e4m3"), nf.round(layer.weight.detach().numpy(), "e4m3").T,
                         accumulator="bfloat16").astype(np.float32)
    assert_bits(expected, layer(torch.from_numpy(x)))


def test_mx_weights_have_their_blocks_along_the_reduction_axis():
    _skip_without("mxfp4")
    layer = QuantLinear(40, 3, weight="mxfp4")
    w = layer.weight.detach().numpy()
    assert_bits(nf.round(w, "mxfp4", axis=1, pad=True), layer.quantized_weight())
    conv = QuantConv2d(4, 2, 3, weight="nvfp4")
    wc = conv.weight.detach().numpy().reshape(2, -1)
    assert_bits(nf.round(wc, "nvfp4", axis=1, pad=True), conv.quantized_weight())
