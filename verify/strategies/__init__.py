"""Hypothesis strategies for claims and property-based tests (``vf.strategies``).

Every strategy shrinks towards small, simple instances: few layers and neurons, few data points, and
small rationals k/q with small k and q (q ∈ {1, 2, 3, 4, 7}). Use them in ordinary ``@given`` tests or
as the ``instances`` of a :class:`verify.Claim`.

* MLPs: :func:`architectures`, :func:`mlps`, :func:`instances`;
* layer graphs: :func:`conv_networks` (Conv1d/Conv2d + activation + max/avg pooling + Flatten + Dense),
  :func:`attention_networks` (SelfAttention + Flatten + Dense), :func:`networks` (either), and
  :func:`graph_instances` (network, data of the matching input shape, θ — an :class:`Instance` that
  round-trips through its JSON form);
* data and numbers: :func:`datasets`, :func:`data_arrays`, :func:`params`, :func:`rationals`,
  :func:`step_sizes`, :func:`balls`.

``activations`` arguments take a strategy, one catalogue name, or a list/tuple of names (as they print:
``"leaky_relu(1/10)"``, ``"relu_power(3/2)"``).

Arguments are validated when a strategy is *built* (the hypothesis convention: one place, before any example is
drawn): a size is an integer or an inclusive range ``(lo, hi)`` of integers with ``lo ≤ hi`` (``depth`` may be 0,
other sizes are ≥ 1), ``scale``/``bound`` are integers ≥ 1, a misspelt activation or normalisation is refused — each
with an :class:`~verify.errors.InputError` that names the argument, never an error deep inside hypothesis.

>>> from hypothesis import given
>>> import verify as vf
>>> @given(vf.strategies.instances(scalars={"eta": vf.strategies.step_sizes()}))
... def test_something(inst):
...     loss, theta, eta = inst.loss(), inst.theta_array(), inst.scalar("eta")
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import assume
from hypothesis import strategies as st

from ..claims.instance import Instance
from ..errors import InputError

DEFAULT_ACTIVATIONS = ("relu", "leaky_relu(1/10)", "abs", "tanh", "sigmoid", "softplus", "relu_power(2)", "identity")
#: positively homogeneous catalogue activations (for bias-free homogeneous networks)
HOMOGENEOUS_ACTIVATIONS = ("relu", "leaky_relu(1/10)", "abs", "relu_power(2)", "identity")
_DENS = (1, 2, 4, 3, 7)


#: the largest size (layers, neurons, data points, dimensions) a strategy argument may ask for
MAX_SIZE = 10_000
_NORMALIZATIONS = ("mean", "half_mean", "sum", "half_sum")


def _size(v, what: str, minimum: int = 1) -> tuple:
    """A size argument: an int or an inclusive range (lo, hi) of ints, minimum ≤ lo ≤ hi ≤ MAX_SIZE."""
    import numbers

    def one(x):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):
            raise InputError(f"{what} must be an integer or a range (lo, hi) of integers, got {v!r}")
        return int(x)

    if isinstance(v, list | tuple):
        if len(v) != 2:
            raise InputError(f"{what} must be an integer or a range (lo, hi) of two integers, got {v!r}")
        lo, hi = one(v[0]), one(v[1])
    else:
        lo = hi = one(v)
    if lo > hi:
        raise InputError(f"{what} = {v!r}: the range (lo, hi) needs lo ≤ hi")
    if lo < minimum:
        raise InputError(f"{what} = {v!r}: must be ≥ {minimum}")
    if hi > MAX_SIZE:
        raise InputError(f"{what} = {v!r}: at most {MAX_SIZE} (strategies generate small instances)")
    return lo, hi


def _pos_int(v, what: str, minimum: int = 1) -> int:
    import numbers

    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not minimum <= int(v) <= MAX_SIZE:
        raise InputError(f"{what} must be an integer in [{minimum}, {MAX_SIZE}], got {v!r}")
    return int(v)


def _bias_arg(bias):
    if bias is not None and not isinstance(bias, bool):
        raise InputError(f"bias must be True, False or None (either), got {bias!r}")
    return bias


def _normalization(normalization):
    if normalization not in _NORMALIZATIONS:
        raise InputError(f"normalization must be one of {', '.join(map(repr, _NORMALIZATIONS))}, got {normalization!r}")
    return normalization


def rationals(bound: int = 4, dens=_DENS) -> st.SearchStrategy:
    """k/q with ``|k| ≤ bound·q``, shrinking to 0 and to small denominators."""
    bound = _pos_int(bound, "bound", 0)
    if not isinstance(dens, list | tuple) or not dens:
        raise InputError(f"dens must be a non-empty list of positive integer denominators, got {dens!r}")
    dens = tuple(_pos_int(q, "a denominator in dens") for q in dens)
    return st.sampled_from(dens).flatmap(lambda q: st.integers(-bound * q, bound * q).map(lambda k: Fraction(k, q)))


def activations(names=DEFAULT_ACTIVATIONS) -> st.SearchStrategy:
    """Catalogue activation names (first ones preferred when shrinking)."""
    return _activation_strategy(names)


def _activation_strategy(acts, default=DEFAULT_ACTIVATIONS) -> st.SearchStrategy:
    """A strategy of activation names from ``acts``: None (``default``), a strategy (used as it is), one
    name, or a list/tuple of names (checked now, so a typo fails here rather than deep inside hypothesis)."""
    from ..claims.instance import activation_spec

    if acts is None:
        acts = default
    if isinstance(acts, st.SearchStrategy):
        return acts
    if isinstance(acts, str):
        acts = (acts,)
    if not isinstance(acts, list | tuple) or not acts:
        raise InputError(f"activations must be a hypothesis strategy, a catalogue name or a non-empty list of names, "
                         f"got {acts!r}")
    for a in acts:
        if not isinstance(a, str):
            raise InputError(f"activation names are strings such as 'relu' or 'leaky_relu(1/10)', got {a!r}")
        activation_spec(a)  # an unknown or malformed name is an error now
    return st.sampled_from(list(acts))


def _range(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def architectures(depth=(1, 2), width=(1, 3), input_dim=(1, 3), output_dim=1, activations=None, bias=None):
    """(widths, activation names, bias) of an MLP with ``depth`` hidden layers."""
    depth, width = _size(depth, "depth", 0), _size(width, "width")
    input_dim, output_dim = _size(input_dim, "input_dim"), _pos_int(output_dim, "output_dim")
    return _architectures(depth, width, input_dim, output_dim, _activation_strategy(activations), _bias_arg(bias))


@st.composite
def _architectures(draw, depth, width, input_dim, output_dim, acts, bias):
    dlo, dhi = _range(depth)
    hidden = draw(st.integers(dlo, dhi))
    wlo, whi = _range(width)
    ilo, ihi = _range(input_dim)
    widths = [draw(st.integers(ilo, ihi))] + [draw(st.integers(wlo, whi)) for _ in range(hidden)] + [output_dim]
    act = draw(acts)
    b = draw(st.booleans()) if bias is None else bool(bias)
    return widths, (act,), b


def mlps(**kw) -> st.SearchStrategy:
    """``vf.MLP`` objects (keyword arguments as :func:`architectures`)."""
    from ..claims.instance import activation_spec
    from ..models import MLP

    return architectures(**kw).map(lambda a: MLP(a[0], activation_spec(a[1][0]), bias=a[2]))


def data_arrays(n=(1, 3), d=2, k=1, linearly_independent=False, bound=2) -> st.SearchStrategy:
    """(X, y): ``n`` rows of ``d`` inputs and ``k`` targets, rationals with ``|v| ≤ bound``; with
    ``linearly_independent`` the rows of X are linearly independent (needs n ≤ d)."""
    n, d, k = _size(n, "n"), _pos_int(d, "d"), _pos_int(k, "k")
    bound = _pos_int(bound, "bound", 0)
    if linearly_independent and n[0] > d:
        raise InputError(f"linearly_independent rows need n ≤ d, got n = {n!r} and d = {d}")
    return _data_arrays(n, d, k, bool(linearly_independent), bound)


@st.composite
def _data_arrays(draw, n, d, k, linearly_independent, bound):
    nlo, nhi = _range(n)
    rows = draw(st.integers(nlo, nhi))
    X = [[draw(rationals(bound)) for _ in range(d)] for _ in range(rows)]
    y = [[draw(rationals(bound)) for _ in range(k)] for _ in range(rows)]
    if linearly_independent:
        from flint import fmpq, fmpq_mat

        M = fmpq_mat(rows, d, [fmpq(v.numerator, v.denominator) for r in X for v in r])
        assume(M.rank() == rows)
    return X, y


def datasets(n=(1, 3), d=2, k=1, rational=True, linearly_independent=False) -> st.SearchStrategy:
    """``vf.Dataset`` with exact rational entries (``rational=False`` maps them to floats)."""
    from ..models import Dataset

    arrays = data_arrays(n=n, d=d, k=k, linearly_independent=linearly_independent)

    def build(xy):
        X, y = xy
        if not rational:
            X = [[float(v) for v in r] for r in X]
            y = [[float(v) for v in r] for r in y]
        return Dataset(X, y)

    return arrays.map(build)


def params(net, scale: int = 2) -> st.SearchStrategy:
    """θ for ``net`` (any network; a list of rationals k/q, ``|θ_j| ≤ scale``)."""
    if not isinstance(getattr(net, "n_params", None), int):
        raise InputError(f"params needs a network (vf.MLP or vf.nn.Sequential), got {type(net).__name__}")
    scale = _pos_int(scale, "scale")
    return st.lists(rationals(scale), min_size=net.n_params, max_size=net.n_params)


def step_sizes(lo=Fraction(1, 100), hi=Fraction(2)) -> st.SearchStrategy:
    """Rational η in [lo, hi], shrinking towards simple fractions (0 < lo ≤ hi)."""
    from ..numbers import to_fraction

    lo, hi = to_fraction(lo, what="step_sizes lo"), to_fraction(hi, what="step_sizes hi")
    if not 0 < lo <= hi:
        raise InputError(f"step_sizes needs 0 < lo ≤ hi, got lo = {lo}, hi = {hi}")
    if hi * 100 < 1:
        raise InputError(f"step_sizes draws k/q with q ≤ 100: hi = {hi} < 1/100 leaves no value")
    return st.sampled_from([1, 2, 4, 5, 10, 20, 100]).flatmap(
        lambda q: st.integers(max(1, int(lo * q) + (lo * q != int(lo * q))), max(1, int(hi * q))).map(
            lambda k: Fraction(k, q))).filter(lambda e: lo <= e <= hi)


def balls(dim: int, scale: int = 2, radii=(Fraction(1, 10), Fraction(1))) -> st.SearchStrategy:
    """(centre, radius): a rational centre in [−scale, scale]^dim and a rational radius in ``radii``."""
    dim, scale = _pos_int(dim, "dim"), _pos_int(scale, "scale")
    if not isinstance(radii, list | tuple) or len(radii) != 2:
        raise InputError(f"radii must be a pair (lo, hi), got {radii!r}")
    rlo, rhi = radii
    return st.tuples(st.lists(rationals(scale), min_size=dim, max_size=dim),
                     step_sizes(rlo, rhi))


def instances(depth=(1, 1), width=(1, 3), input_dim=(1, 2), n=(1, 3), activations=None, bias=None,
              scale: int = 2, normalization="mean", linearly_independent=False, scalars=None,
              inside_region=True) -> st.SearchStrategy:
    """A complete :class:`~verify.claims.instance.Instance` of an MLP (network, data, θ and named scalars
    drawn from the strategies in ``scalars``). With ``inside_region`` θ avoids activation-region boundaries."""
    arch = architectures(depth=depth, width=width, input_dim=input_dim, activations=activations, bias=bias)
    n, scale = _size(n, "n"), _pos_int(scale, "scale")
    _normalization(normalization)
    if linearly_independent and n[0] > _range(input_dim)[1]:
        raise InputError(f"linearly_independent data need n ≤ input_dim, got n = {n!r}, input_dim = {input_dim!r}")
    return _instances(arch, n, scale, normalization, bool(linearly_independent), _scalars(scalars),
                      bool(inside_region))


def _scalars(scalars) -> dict:
    if scalars is None:
        return {}
    if not isinstance(scalars, dict) or not all(isinstance(v, st.SearchStrategy) for v in scalars.values()):
        raise InputError("scalars must be a dict of name → hypothesis strategy, e.g. {'eta': step_sizes()}")
    bad = [k for k in scalars if not isinstance(k, str) or not k.isidentifier()]
    if bad:
        raise InputError(f"scalar names must be identifiers, got {bad[0]!r}")
    return scalars


@st.composite
def _instances(draw, arch, n, scale, normalization, linearly_independent, scalars, inside_region):
    widths, acts, b = draw(arch)
    X, y = draw(data_arrays(n=n, d=widths[0], k=widths[-1], linearly_independent=linearly_independent))
    from ..claims.instance import activation_spec
    from ..models import MLP

    net = MLP(widths, activation_spec(acts[0]), bias=b)
    theta = draw(params(net, scale))
    sc = {k: draw(v) for k, v in scalars.items()}
    inst = Instance(tuple(widths), acts, b, tuple(map(tuple, X)), tuple(map(tuple, y)), tuple(theta),
                    normalization, sc)
    if inside_region and not all(a.analytic for a in net.activations):
        from ..errors import RegionBoundaryError

        try:
            inst.loss().region(theta)
        except RegionBoundaryError:
            assume(False)
    return inst


objectives = instances


# ============================================================================ layer graphs
def _bias(draw, bias):
    return draw(st.booleans()) if bias is None else bool(bias)


def conv_specs(dims=(1, 2), channels=(1, 2), conv_layers=(1, 2), kernel=(1, 3), length=(2, 6), size=(2, 4),
               activations=None, pooling=("max", "avg", None), outputs=(1, 2), bias=None,
               max_params: int = 60) -> st.SearchStrategy:
    """(layers, input_shape) of a small convolutional network (the layer spec of
    :mod:`verify.claims.instance`): ``conv_layers`` blocks Conv → Act → optional pooling (``pooling``: "max",
    "avg" or None), then Flatten → Dense(``outputs``). 1-D inputs (C, L) with L in ``length``, 2-D inputs
    (C, H, W) with H, W in ``size`` (one conv block). At most ``max_params`` parameters."""
    for v, what, lo in ((channels, "channels", 1), (conv_layers, "conv_layers", 1), (kernel, "kernel", 1),
                        (length, "length", 1), (size, "size", 1), (outputs, "outputs", 1)):
        _size(v, what, lo)
    _size(dims, "dims")
    _pos_int(max_params, "max_params")
    _bias_arg(bias)
    nds = [d for d in (1, 2) if d in _range_set(dims)]
    if not nds:
        raise InputError(f"dims must include 1 or 2 (Conv1d, Conv2d), got {dims!r}")
    bad = [p for p in pooling if p not in ("max", "avg", None)] if isinstance(pooling, list | tuple) else [pooling]
    if bad or not pooling:
        raise InputError(f"pooling must list 'max', 'avg' or None, got {pooling!r}")
    return _conv_specs(nds, channels, conv_layers, kernel, length, size, _activation_strategy(activations),
                       tuple(pooling), outputs, bias, max_params)


@st.composite
def _conv_specs(draw, nds, channels, conv_layers, kernel, length, size, acts, pooling, outputs, bias, max_params):
    nd = draw(st.sampled_from(nds))
    clo, chi = _range(channels)
    klo, khi = _range(kernel)
    cin = draw(st.integers(clo, chi))
    if nd == 1:
        shape = (cin, draw(st.integers(*_range(length))))
        blocks = draw(st.integers(*_range(conv_layers)))
    else:
        shape = (cin, draw(st.integers(*_range(size))), draw(st.integers(*_range(size))))
        blocks = 1
    layers, cur, c = [], list(shape[1:]), cin
    for _ in range(blocks):
        if min(cur) < 1:
            break
        k = draw(st.integers(klo, min(khi, min(cur))))
        cout = draw(st.integers(clo, chi))
        layers.append({"type": f"conv{nd}d", "in_channels": c, "out_channels": cout, "kernel": k, "stride": 1,
                       "padding": 0, "bias": _bias(draw, bias)})
        layers.append({"type": "act", "activation": draw(acts)})
        cur, c = [s - k + 1 for s in cur], cout
        pool = draw(st.sampled_from(list(pooling)))
        if pool is not None and min(cur) >= 2:
            layers.append({"type": f"{pool}pool{nd}d", "kernel": 2, "stride": None})
            cur = [s // 2 for s in cur]
    layers.append({"type": "flatten"})
    layers.append({"type": "dense", "out": draw(st.integers(*_range(outputs))), "bias": _bias(draw, bias)})
    spec = _normalised(layers, shape)
    assume(_n_params(spec) <= max_params)
    return spec


def attention_specs(tokens=(1, 3), d_model=(1, 2), heads=(1, 2), activations=None, outputs=(1, 2), bias=None,
                    max_params: int = 60) -> st.SearchStrategy:
    """(layers, input_shape) of a small attention network: SelfAttention(d_model, heads) on inputs
    (tokens, d_model), an optional activation, then Flatten → Dense(``outputs``). At most ``max_params``."""
    for v, what in ((tokens, "tokens"), (d_model, "d_model"), (heads, "heads"), (outputs, "outputs")):
        _size(v, what)
    _pos_int(max_params, "max_params")
    _bias_arg(bias)
    return _attention_specs(tokens, d_model, heads, _activation_strategy(activations), outputs, bias, max_params)


@st.composite
def _attention_specs(draw, tokens, d_model, heads, acts, outputs, bias, max_params):
    T = draw(st.integers(*_range(tokens)))
    d = draw(st.integers(*_range(d_model)))
    h = draw(st.sampled_from([v for v in range(_range(heads)[0], _range(heads)[1] + 1) if d % v == 0] or [1]))
    layers = [{"type": "attention", "d_model": d, "heads": h, "d_k": None, "bias": _bias(draw, bias)}]
    if draw(st.booleans()):
        layers.append({"type": "act", "activation": draw(acts)})
    layers.append({"type": "flatten"})
    layers.append({"type": "dense", "out": draw(st.integers(*_range(outputs))), "bias": _bias(draw, bias)})
    spec = _normalised(layers, (T, d))
    assume(_n_params(spec) <= max_params)
    return spec


def _range_set(v):
    lo, hi = _range(v)
    return set(range(lo, hi + 1))


def _normalised(layers, shape):
    from ..claims.instance import layers_from_dicts

    return layers_from_dicts(layers, list(shape))


def _n_params(spec) -> int:
    from ..claims.instance import build_network

    return build_network(*spec).n_params


def conv_networks(**kw) -> st.SearchStrategy:
    """``vf.nn.Sequential`` convolutional networks (keyword arguments as :func:`conv_specs`)."""
    from ..claims.instance import build_network

    return conv_specs(**kw).map(lambda s: build_network(*s))


def attention_networks(**kw) -> st.SearchStrategy:
    """``vf.nn.Sequential`` attention networks (keyword arguments as :func:`attention_specs`)."""
    from ..claims.instance import build_network

    return attention_specs(**kw).map(lambda s: build_network(*s))


def networks(kinds=("conv", "attention"), **kw) -> st.SearchStrategy:
    """Convolutional or attention networks (``kinds``), keyword arguments passed to both spec strategies."""
    return _specs(kinds, kw).map(lambda s: _build(s))


def _build(spec):
    from ..claims.instance import build_network

    return build_network(*spec)


def _specs(kinds, kw):
    if isinstance(kinds, str):
        kinds = (kinds,)
    table = {"conv": conv_specs, "attention": attention_specs}
    bad = [k for k in kinds if k not in table]
    if bad or not kinds:
        raise InputError(f"kinds must be among {sorted(table)}, got {kinds!r}")
    return st.one_of(*[table[k](**kw) for k in kinds])


def graph_instances(kinds=("conv", "attention"), n=(1, 3), scale: int = 2, loss: str = "square",
                    normalization: str = "mean", scalars=None, inside_region: bool = True, homogeneous: bool = False,
                    **network_kw) -> st.SearchStrategy:
    """A complete layer-graph :class:`~verify.claims.instance.Instance`: a network from :func:`conv_specs` /
    :func:`attention_specs` (``kinds``; other keywords go to them), n data points of its input shape
    (flattened rows of small rationals), labels for ``loss`` ("square": k reals per point;
    "cross_entropy": a class in [0, k), with k ≥ 2 outputs; "logistic": ±1), θ (rationals with
    ``|θ_j| ≤ scale``) and named scalars. ``homogeneous``: bias-free convolutional networks with positively
    homogeneous activations (for the homogeneous-network analyses). With ``inside_region`` θ avoids
    activation-region boundaries and undecidable max-pooling ties."""
    if loss not in ("square", "cross_entropy", "logistic"):
        raise InputError(f"loss must be 'square', 'cross_entropy' or 'logistic', got {loss!r}")
    n, scale = _size(n, "n"), _pos_int(scale, "scale")
    kw = dict(network_kw)
    if homogeneous:
        kinds = ("conv",)
        kw["bias"] = False
        kw.setdefault("activations", HOMOGENEOUS_ACTIVATIONS)
    if loss == "cross_entropy":
        lo, hi = _range(kw.get("outputs", (2, 2)))
        kw["outputs"] = (max(2, lo), max(2, hi))
    elif loss == "logistic":
        kw["outputs"] = 1
    if normalization not in ("mean", "half_mean", "sum", "half_sum"):
        raise InputError(f"normalization must be 'mean', 'half_mean', 'sum' or 'half_sum', got {normalization!r}")
    return _graph_instances(_specs(kinds, kw), n, scale, loss, normalization, _scalars(scalars), inside_region)


@st.composite
def _graph_instances(draw, specs, n, scale, loss, normalization, scalars, inside_region):
    from ..claims.instance import build_network
    from ..errors import RegionBoundaryError

    layers, shape = draw(specs)

    net = build_network(layers, shape)
    rows = draw(st.integers(*_range(n)))
    X = [[draw(rationals(2)) for _ in range(net.input_dim)] for _ in range(rows)]
    k = net.output_dim
    if loss == "square":
        y = [[draw(rationals(2)) for _ in range(k)] for _ in range(rows)]
    elif loss == "cross_entropy":
        y = [[Fraction(draw(st.integers(0, k - 1)))] for _ in range(rows)]
    else:
        y = [[Fraction(draw(st.sampled_from([-1, 1])))] for _ in range(rows)]
    theta = draw(params(net, scale))
    sc = {name: draw(v) for name, v in scalars.items()}
    inst = Instance((), (), False, tuple(map(tuple, X)), tuple(map(tuple, y)), tuple(theta), normalization, sc,
                    layers, shape, loss)
    if inside_region and net.sites:
        try:
            inst.loss().region(theta)
        except RegionBoundaryError:
            assume(False)
    return inst


__all__ = ["rationals", "activations", "architectures", "mlps", "datasets", "data_arrays", "params", "step_sizes",
           "balls", "instances", "objectives", "conv_specs", "attention_specs", "conv_networks",
           "attention_networks", "networks", "graph_instances", "DEFAULT_ACTIVATIONS", "HOMOGENEOUS_ACTIVATIONS"]
