"""Hypothesis strategies for claims and property-based tests (``vf.strategies``).

Every strategy shrinks towards small, simple instances: few layers and neurons, few data points, and
small rationals k/q with small k and q (q ∈ {1, 2, 3, 4, 7}). Use them in ordinary ``@given`` tests or
as the ``instances`` of a :class:`verify.Claim`.

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

DEFAULT_ACTIVATIONS = ("relu", "leaky_relu(1/10)", "abs", "tanh", "sigmoid", "softplus", "relu_power(2)", "identity")
_DENS = (1, 2, 4, 3, 7)


def rationals(bound: int = 4, dens=_DENS) -> st.SearchStrategy:
    """k/q with |k| ≤ bound·q, shrinking to 0 and to small denominators."""
    return st.sampled_from(dens).flatmap(lambda q: st.integers(-bound * q, bound * q).map(lambda k: Fraction(k, q)))


def activations(names=DEFAULT_ACTIVATIONS) -> st.SearchStrategy:
    """Catalogue activation names (first ones preferred when shrinking)."""
    return st.sampled_from(list(names))


def _range(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@st.composite
def architectures(draw, depth=(1, 2), width=(1, 3), input_dim=(1, 3), output_dim=1, activations=None, bias=None):
    """(widths, activation names, bias) of an MLP with ``depth`` hidden layers."""
    dlo, dhi = _range(depth)
    hidden = draw(st.integers(dlo, dhi))
    wlo, whi = _range(width)
    ilo, ihi = _range(input_dim)
    widths = [draw(st.integers(ilo, ihi))] + [draw(st.integers(wlo, whi)) for _ in range(hidden)] + [output_dim]
    act = draw(activations if activations is not None else st.sampled_from(list(DEFAULT_ACTIVATIONS)))
    b = draw(st.booleans()) if bias is None else bool(bias)
    return widths, (act,), b


def mlps(**kw) -> st.SearchStrategy:
    """``vf.MLP`` objects (keyword arguments as :func:`architectures`)."""
    from ..claims.instance import activation_spec
    from ..models import MLP

    return architectures(**kw).map(lambda a: MLP(a[0], activation_spec(a[1][0]), bias=a[2]))


@st.composite
def data_arrays(draw, n=(1, 3), d=2, k=1, linearly_independent=False, bound=2):
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

    def build(xy):
        X, y = xy
        if not rational:
            X = [[float(v) for v in r] for r in X]
            y = [[float(v) for v in r] for r in y]
        return Dataset(X, y)

    return data_arrays(n=n, d=d, k=k, linearly_independent=linearly_independent).map(build)


def params(net, scale: int = 2) -> st.SearchStrategy:
    """θ for ``net`` (a list of rationals k/q, |θ_j| ≤ scale)."""
    return st.lists(rationals(scale), min_size=net.n_params, max_size=net.n_params)


def step_sizes(lo=Fraction(1, 100), hi=Fraction(2)) -> st.SearchStrategy:
    """Rational η in [lo, hi], shrinking towards simple fractions."""
    lo, hi = Fraction(lo), Fraction(hi)
    return st.sampled_from([1, 2, 4, 5, 10, 20, 100]).flatmap(
        lambda q: st.integers(max(1, int(lo * q) + (lo * q != int(lo * q))), max(1, int(hi * q))).map(
            lambda k: Fraction(k, q))).filter(lambda e: lo <= e <= hi)


def balls(dim: int, scale: int = 2, radii=(Fraction(1, 10), Fraction(1))) -> st.SearchStrategy:
    """(centre, radius): a rational centre in [−scale, scale]^dim and a rational radius in ``radii``."""
    rlo, rhi = Fraction(radii[0]), Fraction(radii[1])
    return st.tuples(st.lists(rationals(scale), min_size=dim, max_size=dim),
                     step_sizes(rlo, rhi))


@st.composite
def instances(draw, depth=(1, 1), width=(1, 3), input_dim=(1, 2), n=(1, 3), activations=None, bias=None,
              scale: int = 2, normalization="mean", linearly_independent=False, scalars=None,
              inside_region=True):
    """A complete :class:`~verify.claims.instance.Instance` (network, data, θ and named scalars drawn
    from the strategies in ``scalars``). With ``inside_region`` θ avoids activation-region boundaries."""
    widths, acts, b = draw(architectures(depth=depth, width=width, input_dim=input_dim, activations=activations,
                                         bias=bias))
    X, y = draw(data_arrays(n=n, d=widths[0], k=widths[-1], linearly_independent=linearly_independent))
    from ..claims.instance import activation_spec
    from ..models import MLP

    net = MLP(widths, activation_spec(acts[0]), bias=b)
    theta = draw(params(net, scale))
    sc = {k: draw(v) for k, v in (scalars or {}).items()}
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

__all__ = ["rationals", "activations", "architectures", "mlps", "datasets", "data_arrays", "params", "step_sizes",
           "balls", "instances", "objectives"]
