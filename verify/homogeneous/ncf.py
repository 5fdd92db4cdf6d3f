"""The neural correlation function and its KKT points (``shared/theory/homogeneous_np.md`` §2.2).

For a bias-free network H homogeneous of degree L and a vector z (the labels at the origin, the
residual at a saddle), N_z(u) = zᵀ H(X; u) and ∇N_z(u) = J(u)ᵀ z (J the output Jacobian). Near the
origin gradient flow on ½‖H − y‖² is the NCF flow u' = ∇N_y(u), and its direction converges to a
KKT point of max N_z(u) on ‖u‖ = 1: ∇N(u*) = λu* with λ = L·N(u*) (Euler's identity).

:func:`max_ncf` finds KKT points by multi-start projected gradient ascent on the sphere, refines
them by Newton's method on the KKT system at high precision (mpmath), and certifies the sign of
N(u*) and a bound on the KKT residual in Arb; it also reports the sparsity structure (active
neurons, near-rank-one layers). For ReLU (non-smooth) nets a maximiser can sit on a kink, where only
Clarke stationarity holds: the smooth KKT residual is then reported as it is, not forced to 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import numpy as np

from ..arith import get_arith
from ..errors import InputError
from ..models import MLP, Dataset, SquareLoss
from ..numbers import to_fraction


class NotHomogeneousError(InputError):
    """The network is not positively homogeneous (biases, or a non-homogeneous activation)."""


def require_homogeneous(net: MLP) -> int:
    """The homogeneity degree L of ``net``, or a clear error naming why there is none."""
    if not isinstance(net, MLP):
        raise InputError(f"expected a verify.MLP, got {type(net).__name__}")
    if net.bias:
        raise NotHomogeneousError("the network has biases, which break positive homogeneity; use bias=False")
    bad = [a.name for a in net.activations if a.homogeneity_degree is None]
    if bad:
        raise NotHomogeneousError(f"the activation {bad[0]} is not positively homogeneous (σ(cz) ≠ c^k σ(z)); "
                                  "use relu, leaky_relu, abs, relu_power or power")
    L = net.homogeneity_degree
    if L is None:
        raise NotHomogeneousError("the network has no homogeneity degree")
    return L


class NCF:
    """N_z(u) = zᵀ H(X; u) for a homogeneous network (value, gradient, Hessian in any arithmetic)."""

    def __init__(self, net: MLP, X, z):
        self.L = require_homogeneous(net)
        self.net = net
        zz = np.asarray(z, dtype=object).reshape(-1)
        self._outputs = SquareLoss(net, Dataset(X, [0] * len(zz)) if net.output_dim == 1 else Dataset(
            X, np.zeros((len(zz) // net.output_dim, net.output_dim))))
        if len(zz) != self._outputs.data.n * net.output_dim:
            raise InputError(f"z must have one entry per data point and output ({self._outputs.data.n}), got {len(zz)}")
        self.z = [to_fraction(v, what="z") for v in zz]
        self.p = net.n_params

    def _z(self, a):
        with a.context():
            return a.array(self.z, what="z")

    def value(self, u, arith="float", prec=None):
        a = get_arith(arith, prec)
        F = self._outputs.outputs(u, a, prec).reshape(-1)
        with a.context():
            return a.sum(F * self._z(a))

    def grad(self, u, arith="float", prec=None):
        a = get_arith(arith, prec)
        J = self._outputs.jacobian(u, a, prec)
        with a.context():
            return a.matmul(J.T, self._z(a).reshape(-1, 1)).reshape(-1)

    def hessian(self, u, arith="float", prec=None):
        """∇²N_z(u) = Σ_i z_i ∇²H(x_i; u) (piecewise for ReLU-type nets)."""
        a = get_arith(arith, prec)
        obj = self._outputs
        _, th = obj._prepare(u, a, prec)
        X, _ = obj.data.in_arith(a)
        eng = obj._engine(a)
        with a.context():
            C = self._z(a).reshape(obj.data.n, self.net.output_dim)
            return eng._to_public_square(eng.weighted_hessian(th, X, C))

    def kkt_residual(self, u) -> float:
        """‖∇N(u) − L·N(u)·u‖ / ‖∇N(u)‖ for a unit vector u (float64)."""
        u = np.asarray(u, dtype=float)
        g = np.asarray(self.grad(u), dtype=float)
        n = float(self.value(u))
        return float(np.linalg.norm(g - self.L * n * u) / max(np.linalg.norm(g), 1e-300))


@dataclass
class KKTPoint:
    """A KKT point u* of max N_z on the unit sphere, with certified facts about it."""

    u: np.ndarray
    N: float
    kkt_residual: float
    N_enclosure: tuple = None
    residual_upper: float | None = None
    sign_certified: bool = False
    active_neurons: list = field(default_factory=list)
    rank_one: dict = field(default_factory=dict)
    restarts_reaching: int = 1


def _ascent(ncf: NCF, u, steps: int, tol: float):
    """Projected gradient ascent on the sphere with backtracking on N."""
    u = u / np.linalg.norm(u)
    n = float(ncf.value(u))
    h = 1.0
    for _ in range(steps):
        g = np.asarray(ncf.grad(u), dtype=float)
        rg = g - (g @ u) * u  # Riemannian gradient
        if np.linalg.norm(rg) <= tol * max(np.linalg.norm(g), 1e-300):
            break
        while h > 1e-14:
            v = u + h * rg
            v /= np.linalg.norm(v)
            nv = float(ncf.value(v))
            if nv > n:
                u, n, h = v, nv, h * 1.5
                break
            h /= 2
        else:
            break
    return u, n


def _newton_refine(ncf: NCF, u, prec: int, iters: int = 30):
    """Newton on [∇N(u) − λu; (uᵀu − 1)/2] = 0 at ``prec`` bits, λ = L·N(u) initially."""
    a = get_arith("mp", prec)
    p = len(u)
    with mpmath.workprec(prec):
        x = [mpmath.mpf(float(v)) for v in u]
        lam = ncf.L * ncf.value(np.array(x, dtype=object), a, prec)
        for _ in range(iters):
            xv = np.array(x, dtype=object)
            g = ncf.grad(xv, a, prec)
            H = ncf.hessian(xv, a, prec)
            F = [g[i] - lam * x[i] for i in range(p)] + [(sum(v * v for v in x) - 1) / 2]
            M = mpmath.matrix(p + 1, p + 1)
            for i in range(p):
                for j in range(p):
                    M[i, j] = H[i, j] - (lam if i == j else 0)
                M[i, p] = -x[i]
                M[p, i] = x[i]
            try:
                d = mpmath.lu_solve(M, mpmath.matrix(F))
            except ZeroDivisionError:
                break
            x = [x[i] - d[i] for i in range(p)]
            lam = lam - d[p]
            if max(abs(d[i]) for i in range(p + 1)) < mpmath.mpf(2) ** (-(prec * 7) // 8):
                break
        return np.array([float(v) for v in x]), x


def _certify(ncf: NCF, x_mp, prec: int):
    """Arb enclosures at the rational point nearest the refined u*: N(u) and the KKT residual bound."""
    a = get_arith("ball", prec)
    uq = np.array([to_fraction(v) for v in x_mp], dtype=object)
    n = ncf.value(uq, a, prec)
    g = ncf.grad(uq, a, prec)
    with a.context():
        ub = a.array(uq)
        nu2 = a.sum(ub * ub)
        r = g - a.const(Fraction(ncf.L)) * n * ub / nu2  # KKT residual with λ = L·N(u)/‖u‖² (u not exactly unit)
        sq = a.vectorize(lambda v: a.pow_rational(v, Fraction(2)))  # squares as non-negative enclosures
        rn2, gn2 = a.sum(sq(r)), a.sum(sq(g))
        res_upper = (float((rn2.upper() / gn2.lower()).sqrt().upper()) if gn2.lower() > 0 else float("inf"))
    lo, hi = float(n.lower()), float(n.upper())
    return (lo, hi), res_upper, lo > 0 or hi < 0


def _sparsity(net: MLP, u: np.ndarray, rel: float = 1e-3):
    views = net.views(u)
    out_active, ranks = [], {}
    if net.depth == 2:
        W1, W2 = np.asarray(views["W1"], float), np.asarray(views["W2"], float)
        norms = np.sqrt((W1**2).sum(axis=1) + (W2**2).sum(axis=0))
        out_active = [int(j) for j in np.nonzero(norms > rel * norms.max())[0]] if norms.max() > 0 else []
    for l in range(1, net.depth + 1):
        W = np.asarray(views[f"W{l}"], float)
        s = np.linalg.svd(W, compute_uv=False)
        ranks[f"W{l}"] = {"singular_values": [float(v) for v in s[:3]],
                          "near_rank_one": bool(len(s) < 2 or s[1] <= rel * max(s[0], 1e-300))}
    return out_active, ranks


def max_ncf(net: MLP, X, z, *, restarts: int = 20, steps: int = 400, seed: int = 0, prec: int = 128,
            refine: bool = True, tol: float = 1e-10) -> list[KKTPoint]:
    """Non-negative KKT points of max N_z(u) on ‖u‖ = 1, best first (duplicates merged)."""
    t0 = time.perf_counter()
    ncf = NCF(net, X, z)
    if restarts < 1:
        raise InputError("restarts must be ≥ 1")
    rng = np.random.default_rng(seed)
    found: list[KKTPoint] = []
    for _ in range(restarts):
        u, n = _ascent(ncf, rng.standard_normal(ncf.p), steps, tol)
        if n <= 0:
            continue
        uf, xm = (u, None)
        if refine:
            try:
                uf, xm = _newton_refine(ncf, u, 2 * prec)
            except Exception:  # noqa: BLE001 - refinement failing (a kink) keeps the ascent point
                uf, xm = u, None
            if (not np.all(np.isfinite(uf)) or abs(np.linalg.norm(uf) - 1) > 1e-6 or float(ncf.value(uf)) < n - 1e-9
                    or ncf.kkt_residual(uf) > ncf.kkt_residual(u)):
                uf, xm = u, None  # Newton left the activation region (a kink): keep the ascent point
        # the same point, or the same value (neuron permutations give symmetric copies of a KKT point)
        nf = float(ncf.value(uf))
        dup = next((k for k in found if float(k.u @ uf) > 1 - 1e-8 or abs(k.N - nf) <= 1e-9 * max(abs(nf), 1)), None)
        if dup is not None:
            dup.restarts_reaching += 1
            continue
        kp = KKTPoint(uf, float(ncf.value(uf)), ncf.kkt_residual(uf))
        try:
            kp.N_enclosure, kp.residual_upper, kp.sign_certified = _certify(ncf, xm if xm is not None else uf, prec)
        except Exception:  # noqa: BLE001 - e.g. a region boundary at the point: no certificate
            pass
        kp.active_neurons, kp.rank_one = _sparsity(net, uf)
        found.append(kp)
    found.sort(key=lambda k: -k.N)
    for k in found:
        k.elapsed = time.perf_counter() - t0
    return found


#: right-hand-side evaluations allowed per NCF-flow solve
MAX_RHS_EVALS = 100_000


def ncf_flow(net: MLP, X, z, u0, T, *, n_points: int = 41, blowup: float = 1e6):
    """Integrate u' = ∇N_z(u) from u0 on [0, T] (DOP853); stop early when ‖u‖ exceeds ``blowup``
    (finite-time blow-up for L > 2). Returns (times, states, direction u/‖u‖ at the end)."""
    from scipy.integrate import solve_ivp

    ncf = NCF(net, X, z)
    Tq = float(to_fraction(T, what="T"))
    if Tq <= 0:
        raise InputError("the horizon T must be > 0")
    u0 = np.asarray(u0, dtype=float)
    count = [0]

    def rhs(t, u):
        count[0] += 1
        if count[0] > MAX_RHS_EVALS:  # a ReLU kink makes the field discontinuous: stop instead of crawling
            raise ArithmeticError(f"NCF flow stalled near t = {t:.6g} after {MAX_RHS_EVALS} evaluations (the path "
                                  "may slide along an activation-region boundary)")
        return np.asarray(ncf.grad(u), dtype=float)

    def big(t, u):
        return np.linalg.norm(u) - blowup

    big.terminal = True
    res = solve_ivp(rhs, (0, Tq), u0, method="DOP853",
                    t_eval=np.linspace(0, Tq, n_points), events=big, rtol=1e-10, atol=1e-12)
    ts, U = res.t, res.y.T
    if len(res.t_events[0]):  # blew up before T: end the path at the event
        ts, U = np.append(ts, res.t_events[0][0]), np.vstack([U, res.y_events[0][0]])
    return ts, U, U[-1] / np.linalg.norm(U[-1])
