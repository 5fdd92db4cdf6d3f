"""The neural correlation function and its KKT points (Kumar & Haupt, arXiv:2402.09226 and
arXiv:2403.08121, used in arXiv:2509.12154; ``docs/theory/homogeneous_np.md`` §2.2 and §4).

For a bias-free network H homogeneous of degree L (any :class:`~verify.models.nn.Sequential` with a
homogeneity degree: ``vf.MLP``, or convolutions with max/avg pooling, Flatten and homogeneous residual
blocks) and a vector z (the labels at the origin, the residual at a saddle), N_z(u) = zᵀ H(X; u) and
∇N_z(u) = J(u)ᵀ z (J the output Jacobian). Near the origin gradient flow on ½‖H − y‖² is the NCF
flow u' = ∇N_y(u), and its direction converges to a KKT point of the constrained NCF

    max N_z(u)  subject to  ‖u‖² = 1.

**KKT system.** With the multiplier λ written as in ``docs/theory/homogeneous_np.md`` §2.2 (∇N(u*) = λ u*),
the KKT points are the zeros of

    F(u, λ) = ( ∇N(u) − λ u ,  (‖u‖² − 1)/2 ),    F: ℝ^(p+1) → ℝ^(p+1),

whose Jacobian is the bordered Hessian [[∇²N(u) − λI, −u], [uᵀ, 0]]. At a KKT point Euler's identity
⟨u, ∇N(u)⟩ = L·N(u) forces λ = L·N(u*) (used as a second enclosure of N(u*)).

**Certificate** (:func:`certify_kkt`). A KKT point is certified when Krawczyk's test
(:func:`verify.arith.krawczyk.certify_zero`) proves that F has exactly one zero (u*, λ*) in a small
box — the *whole* system, sphere constraint included. N(u*) is then enclosed over that box (and
intersected with λ*/L). Hidden units — neurons of a hidden dense layer, output channels of a hidden
convolution — whose incoming and outgoing weights are numerically zero at the candidate (the sparse KKT
points of relu^p) are *pinned* to exactly 0 and Krawczyk runs on the network without them (N_S). This
needs a chain network (dense/conv layers separated by activations, pooling and Flatten, so that a unit
reaches the next parameterised layer on its own); other networks are certified without pinning.

    Pinning lemma. Let every activation be positively homogeneous of degree k > 0 (so σ(0) = 0 and
    |σ(t)| = |σ(±1)|·|t|^k), let (u_S*, λ*) solve the KKT system of N_S with N_S differentiable at
    u_S*, and pad u_S* with zero incoming and outgoing weights for the pinned units. A perturbation
    e moves a pinned unit's output by O(|e|^k) (its input is bounded near u*; pooling is 1-Lipschitz
    and keeps it O(|e|^k)) and its contribution to the next layer by O(|e|^(1+k)) = o(|e|), which the
    later layers keep o(|e|) (they are smooth near u*: every kept activation input avoids the
    breakpoints on the certified box), so N(u* + e) = N_S(u_S* + e_S) + o(|e|): N is differentiable at
    u* with ∇N(u*) = (∇N_S(u_S*), 0) = λ*u* and ‖u*‖ = ‖u_S*‖ = 1. The padded point is a KKT point of the full
    problem. (N_S is differentiable — indeed C² — on the whole box, or its ball evaluation would
    have raised at a kink and the test failed.)

It is then unique in the box *within the subspace where the pinned units vanish*; the scope says
so. The multiplier block is scaled by an exact power of 2 near ‖∇N‖ (λ = s·μ), which only balances
the system for a tiny or huge z. A degenerate KKT point (a flat direction of N on the sphere, e.g.
the rotations of the hidden layer of a linear network, or equal-value splits of a ReLU neuron) or a
box meeting a kink makes the test fail: the point is then reported *uncertified*, with no certified
claim about it. :func:`certify_kkt` also requires the certified point to lie within ``max_distance``
of the point it was asked about (Newton's method could otherwise walk to a distant KKT point).

:func:`max_ncf` finds candidates by multi-start projected gradient ascent on the sphere (float64),
refines them by Newton's method on F at high precision (mpmath) and certifies each one. The list is
the KKT points *found*, best first; it is **not** a certificate that the first one is the global
maximiser (a KKT point is not necessarily the global maximum, ``docs/theory/homogeneous_np.md`` §3.3,
pitfalls). What is certified about the maximum is a lower bound: for every candidate, ``N_lower`` encloses
N at an exact point of the unit sphere, so max_{‖u‖=1} N ≥ ``N_lower``.

**Float paths** (the ascent, :func:`ncf_flow`, the Newton refinement) evaluate activations with the
one-sided convention relu′(0) = 0 of torch and ``jax.nn.relu`` (implemented by
:mod:`verify.models`): they are numerical evidence and never raise a certified-path error. Ball
arithmetic, used for certificates, raises :class:`~verify.errors.RegionBoundaryError` at a kink,
and a certificate that meets one fails.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import numpy as np

from .. import validate as V
from ..arith import get_arith
from ..arith.decide import abs_bounds, bounds, sign
from ..arith.krawczyk import certify_zero
from ..errors import (
    InputError,
    IntegrationError,
    NotHomogeneousError,
    VerifyError,
)
from ..models import Dataset
from ..numbers import to_fraction
from ._net import NCFObjective, canonical_order, data_rows, reduced, require_homogeneous, units

__all__ = ["NCF", "KKTPoint", "NotHomogeneousError", "certify_kkt", "max_ncf", "ncf_flow", "require_homogeneous"]


class NCF:
    """N_z(u) = zᵀ H(X; u) for a positively homogeneous network (value, gradient, Hessian in any arithmetic).

    ``net``: any :class:`~verify.models.nn.Sequential` with a homogeneity degree (``vf.MLP`` bias-free with
    homogeneous activations, or bias-free convolutions, pooling, Flatten, homogeneous residual blocks);
    ``X``: (n, d), ``(n, *input_shape)`` or a Dataset; ``z``: n·k weights (one per data point and output).
    Evaluated by the network's own engine through :class:`~verify.homogeneous._net.NCFObjective`
    (reverse mode for ∇N = Jᵀz, forward-over-reverse for ∇²N)."""

    def __init__(self, net, X, z):
        self.L = require_homogeneous(net)
        self.net = net
        rows = data_rows(net, X)
        n, k = rows.shape[0], net.output_dim
        zz = np.asarray(z, dtype=object).reshape(-1)
        if len(zz) != n * k:
            raise InputError(f"z must have one entry per data point and output ({n * k}), got {len(zz)}")
        self.z = [to_fraction(v, what="z") for v in zz]
        self._obj = NCFObjective(net, Dataset(rows, np.array(self.z, dtype=object).reshape(n, k)))
        self.p = net.n_params
        self.X = rows

    def value(self, u, arith="float", prec=None):
        """N_z(u) = Σ_i z_i H(x_i; u) in the arithmetic ``arith`` at ``prec`` bits (exact or an enclosure in a
        certified arithmetic; see :meth:`verify.Objective.value`)."""
        return self._obj.value(u, arith, prec)

    def grad(self, u, arith="float", prec=None):
        """∇N_z(u) = J(u)ᵀ z, J the Jacobian of the outputs H(X; u) (reverse mode; a kink raises
        :class:`~verify.errors.RegionBoundaryError` in a certified arithmetic, see :meth:`verify.Objective.grad`)."""
        return self._obj.grad(u, arith, prec)

    def hessian(self, u, arith="float", prec=None):
        """∇²N_z(u) = Σ_i z_i ∇²H(x_i; u) (piecewise for ReLU-type nets)."""
        return self._obj.hessian(u, arith, prec)

    def symbolic(self):
        """N_z as an exact sympy expression in ``net.symbols`` (activations as Piecewise, max pools as Max)."""
        return self._obj.symbolic()

    def kkt_residual(self, u) -> float:
        """‖∇N(u) − L·N(u)·u‖ / ‖∇N(u)‖ for a unit vector u (float64; numerical evidence only)."""
        u = np.asarray(u, dtype=float)
        g = np.asarray(self.grad(u), dtype=float)
        n = float(self.value(u))
        return float(np.linalg.norm(g - float(self.L) * n * u) / max(np.linalg.norm(g), 1e-300))


@dataclass
class KKTPoint:
    """A candidate KKT point of max N_z on the unit sphere, and what is certified about it.

    ``u``, ``N``, ``kkt_residual`` are float64 approximations (numerical evidence). If ``certified``,
    Krawczyk's test proved that a true KKT point u* (with its multiplier λ*) lies in ``box`` (a list of
    ``arb``, one per parameter; pinned coordinates are exactly 0); then ``N_enclosure = (lo, hi)``
    (exact rationals) encloses N(u*), ``lam_enclosure`` encloses λ* = L·N(u*), and ``sign_certified``
    says N(u*) > 0 is certified. If not certified, ``N_enclosure`` is None and nothing is claimed about
    the point. ``N_lower`` (certified whenever not None) is the lower end of an enclosure of N at an
    exact point of the unit sphere: max_{‖u‖=1} N ≥ N_lower. ``residual_upper`` bounds (rounded up to a
    float) the whole KKT system's residual ``max |F(v, L·N(v))|`` — the sphere constraint included — at a
    rational point v: the box centre if certified, else ``u`` taken exactly (inf if ∇N cannot be
    enclosed there). It is a diagnostic; the certificate is ``certified``.
    """

    u: np.ndarray
    N: float
    kkt_residual: float
    certified: bool = False
    N_enclosure: tuple | None = None
    lam_enclosure: tuple | None = None
    N_lower: Fraction | None = None
    residual_upper: float = math.inf
    sign_certified: bool = False
    box: list | None = None
    pinned_neurons: list = field(default_factory=list)
    certificate: dict = field(default_factory=dict)
    result: object = None
    active_neurons: list = field(default_factory=list)
    rank_one: dict = field(default_factory=dict)
    restarts_reaching: int = 1
    elapsed: float = 0.0


# ============================================================================== float search (evidence)
def _ascent(ncf: NCF, u, steps: int, tol: float):
    """Projected gradient ascent on the sphere with backtracking on N (float64). The step is taken along
    the Riemannian gradient divided by ‖∇N‖, so the search does not depend on the scale of z."""
    u = u / np.linalg.norm(u)
    n = float(ncf.value(u))
    h = 1.0
    for _ in range(steps):
        g = np.asarray(ncf.grad(u), dtype=float)
        gn = np.linalg.norm(g)
        if not (np.isfinite(gn) and gn > 0):
            break
        rg = g - (g @ u) * u  # Riemannian gradient
        if np.linalg.norm(rg) <= tol * gn:
            break
        rg = rg / gn
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
    """Newton on F(u, λ) = (∇N(u) − λu, (uᵀu − 1)/2) at ``prec`` bits (mpmath; not rigorous: it only
    gives a good centre for the certificate), λ = L·N(u) initially. Returns float u and the mp vector."""
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
            if not all(mpmath.isfinite(v) for v in [*F, *M]):  # diverged (or a kink made a value undefined)
                break
            try:
                d = mpmath.lu_solve(M, mpmath.matrix(F))
            except (ZeroDivisionError, TypeError):  # a singular bordered Hessian (degenerate point): stop here
                break  # (mpmath's LU raises TypeError, not ZeroDivisionError, when a pivot column is all zero)
            if not all(mpmath.isfinite(d[i]) for i in range(p + 1)):
                break
            x = [x[i] - d[i] for i in range(p)]
            lam = lam - d[p]
            if max(abs(d[i]) for i in range(p + 1)) < mpmath.mpf(2) ** (-(prec * 7) // 8):
                break
        return np.array([float(v) for v in x]), x


# ============================================================================== certificate
def _kkt_system(ncf: NCF, prec: int, scale: Fraction):
    """F(u, μ) = (∇N(u)/s − μu, (‖u‖² − 1)/2) and its Jacobian on lists of ``arb`` (points or boxes).

    The exact positive scale s (a power of 2 near ‖∇N‖) only balances the two blocks (N_z is linear in
    z, so a tiny or huge z would otherwise make the Krawczyk test fail for scaling reasons): the zeros
    are the KKT points, with multiplier λ = s·μ."""
    from flint import arb, fmpq

    p = ncf.p
    q = Fraction(1) / scale
    inv = arb(fmpq(q.numerator, q.denominator))  # exact: a power of 2

    def F(x):
        u = np.array(x[:p], dtype=object)
        mu = x[p]
        g = ncf.grad(u, "ball", prec)
        return [g[i] * inv - mu * u[i] for i in range(p)] + [(sum(v * v for v in u) - 1) / 2]

    def J(x):
        u = np.array(x[:p], dtype=object)
        mu = x[p]
        H = ncf.hessian(u, "ball", prec)
        rows = [[H[i, j] * inv - mu if i == j else H[i, j] * inv for j in range(p)] + [-u[i]] for i in range(p)]
        rows.append(list(u) + [0 * mu])
        return rows

    return F, J


def _pow2_near(x: float) -> Fraction:
    """An exact power of 2 within a factor 2 of x > 0 (1 if x is not a positive finite float)."""
    if not (math.isfinite(x) and x > 0):
        return Fraction(1)
    return Fraction(2) ** math.frexp(x)[1]


def _pinning_applies(net) -> bool:
    """The pinning lemma needs every activation positively homogeneous of a degree k > 0 (so σ(0) = 0
    and |σ(t)| = O(|t|^k)); decided exactly on the (int or Rational) degrees."""
    return all(to_fraction(a.homogeneity_degree) > 0 for a in net.activation_list)


def _upper_float(q: Fraction) -> float:
    """The smallest float ≥ q (for display of a certified upper bound)."""
    f = float(q)  # not-a-decision: rounded for display, then corrected upward below
    if Fraction(f) < q:
        f = math.nextafter(f, math.inf)
    return f


def _sphere_point_facts(ncf: NCF, u, prec: int):
    """At the rational point v = u (floats taken exactly): the lower end of an enclosure of N at the
    sphere point v/‖v‖ (a certified lower bound on max N over the sphere), and an upper bound on
    ``max |F(v, L·N(v))|`` (inf if ∇N cannot be enclosed there, e.g. on a ReLU kink)."""
    a = get_arith("ball", prec)
    v = np.array([to_fraction(x) for x in u], dtype=object)
    nv2 = sum(x * x for x in v)
    if nv2 == 0:
        return None, math.inf
    L = to_fraction(ncf.L)
    n = ncf.value(v, a, prec)
    with a.context():
        n_sphere = n / a.pow_rational(a.const(nv2), L / 2)   # homogeneity: N(v/‖v‖) = N(v)/‖v‖^L
    n_lower = bounds(n_sphere)[0]
    try:
        g = ncf.grad(v, a, prec)
    except VerifyError:
        return n_lower, math.inf
    with a.context():
        lam = a.const(L) * n
        res = [g[i] - lam * a.const(v[i]) for i in range(len(v))] + [a.const((nv2 - 1) / 2)]
    return n_lower, _upper_float(max(abs_bounds(r)[1] for r in res))


def _certify(ncf: NCF, u, prec: int, pin_tol: float = 1e-10, max_distance: Fraction | None = None) -> dict:
    """Try to certify a KKT point near the unit vector ``u`` (see the module docstring), within
    ``max_distance`` of it in every coordinate (if given). Returns a dict with ``certified`` and, if so,
    the box, enclosures and pinned neurons; ``message`` says why not."""
    u = np.asarray(u, dtype=float)
    net, L = ncf.net, to_fraction(ncf.L)
    scale = float(np.max(np.abs(u))) if len(u) else 0.0
    hidden, plan = units(net)
    pinned = []
    if hidden is not None and _pinning_applies(net):
        pinned = [(l, j) for l, j, ix in hidden if np.max(np.abs(u[ix])) <= pin_tol * scale]
    attempts = [pinned, []] if pinned else [[]]
    why = [] if hidden is not None else [f"no units were pinned: {plan}"]
    for pins in attempts:
        if pins:
            small, where = reduced(net, plan, pins)
            if small is None:
                why.append("pinning the numerically zero units empties a layer (N ≡ 0)")
                continue
            sub = NCF(small, ncf.X, ncf.z)
        else:
            sub, where = ncf, np.arange(ncf.p)
        us = u[where]
        if not np.any(us):
            why.append("the candidate is 0 on the kept coordinates")
            continue
        us = us / np.linalg.norm(us)
        lam0 = float(L) * float(sub.value(us))
        scale = _pow2_near(float(np.linalg.norm(np.asarray(sub.grad(us), dtype=float))))
        F, J = _kkt_system(sub, prec, scale)
        try:
            cert = certify_zero(F, J, list(us) + [lam0 / float(scale)], prec=prec)
        except VerifyError as exc:  # e.g. the Newton centre landed on a kink
            why.append(f"{'reduced' if pins else 'full'} system: {exc}")
            continue
        if not cert.proved:
            why.append(f"{'reduced' if pins else 'full'} system: {cert.message}")
            continue
        from flint import arb

        box = [arb(0)] * ncf.p
        for k, b in zip(where, cert.box[:-1]):
            box[int(k)] = b
        lam_box = cert.box[-1]
        # pinned neurons: the padded point solves the full system by the pinning lemma (module docstring)
        try:
            n_box = sub.value(np.array(cert.box[:-1], dtype=object), "ball", prec)
            nlo, nhi = bounds(n_box)
            llo, lhi = (scale * q for q in bounds(lam_box))  # λ* = s·μ*
        except VerifyError as exc:  # a kink, or a non-finite enclosure
            why.append(f"evaluation over the box failed: {exc}")
            continue
        if L > 0:  # λ* = L·N(u*) (Euler): intersect both enclosures of N(u*)
            nlo, nhi = max(nlo, llo / L), min(nhi, lhi / L)
        if nlo > nhi:  # two enclosures of one number must meet: never certify on inconsistent data
            why.append("the enclosures of N(u*) and λ*/L do not meet (an evaluation is inconsistent)")
            continue
        if max_distance is not None:
            far = [k for k in range(ncf.p) if not (bounds(box[k])[0] >= to_fraction(u[k]) - max_distance
                                                   and bounds(box[k])[1] <= to_fraction(u[k]) + max_distance)]
            if far:
                why.append(f"the KKT point Newton's method reached (and Krawczyk certified) is farther than "
                           f"{float(max_distance):.3g} from the given point in coordinate {far[0]}: the given point "
                           "is not that close to a KKT point")
                continue
        return {"certified": True, "box": box, "N": (nlo, nhi), "lam": (llo, lhi), "pinned": pins,
                "zero_certificate": cert.to_dict(), "sub": (sub, where), "unique_in": "the search box" + (
                    " within the subspace where the pinned units are exactly 0" if pins else ""),
                "message": cert.message}
    return {"certified": False, "pinned": pinned, "message": "; ".join(why) or "no attempt"}


def _kkt_result(net, info: dict, prec: int, t0: float):
    from ..result import Quantity, Result, Verdict, make_scope

    claim = "a KKT point u* of max N_z(u) s.t. ‖u‖² = 1 (∇N(u*) = λu*) exists in the stated box"
    if not info["certified"]:
        return Result(Verdict.INCONCLUSIVE, claim=claim, instance=f"{net!r}", arithmetic="ball", precision=prec,
                      certificate={"pinned_neurons": info.get("pinned", [])}, elapsed=time.perf_counter() - t0,
                      message="no certificate, nothing is claimed: " + info["message"] + " (Krawczyk's test "
                              "cannot isolate a degenerate KKT point — a flat direction of N on the sphere — nor a "
                              "point whose box meets a kink)")
    nlo, nhi = info["N"]
    s = sign((nlo, nhi))
    radius = max(bounds(b)[1] - bounds(b)[0] for b in info["box"]) / 2
    scope = make_scope(f"one KKT point of max N_z on the unit sphere, in the box of radius ≤ {float(radius):.3g} "
                       f"around the centre (unique in {info['unique_in']})", count=1, points=1, precision=prec,
                       box=info["box"], pinned_neurons=info["pinned"])
    return Result(Verdict.PROVED, claim=claim, instance=f"{net!r}", quantity=Quantity("N(u*)", None, (nlo, nhi)),
                  margin=None, certificate={"method": "Krawczyk on the full KKT system F(u, λ) = (∇N(u) − λu, "
                                            "(‖u‖² − 1)/2) = 0" + (" of the network without the pinned units, "
                                                                   "padded with zeros (pinning lemma)"
                                                                   if info["pinned"] else ""),
                                            "N_enclosure": (nlo, nhi), "lambda_enclosure": info["lam"],
                                            "N_positive": {1: True, -1: False}.get(s),
                                            "zero_certificate": info["zero_certificate"]},
                  arithmetic="ball", precision=prec, scope=scope, elapsed=time.perf_counter() - t0,
                  message=f"a KKT point exists in the box; N(u*) ∈ [{float(nlo):.12g}, {float(nhi):.12g}]"
                          + (f"; neurons {info['pinned']} are exactly 0 there" if info["pinned"] else ""))


def certify_kkt(net, X, z, u, *, prec: int = 128, max_distance=Fraction(1, 10**6)):
    """Certify that a KKT point of max N_z(u) s.t. ‖u‖ = 1 lies near the (approximate) point ``u``.

    ``u`` is normalised first; the KKT point must lie within ``max_distance`` of u/‖u‖ in every
    coordinate. PROVED (scope: that one point and its box) when Krawczyk's test succeeds on the full
    KKT system (see the module docstring); the quantity is an enclosure of N(u*) and the certificate
    says whether N(u*) > 0 is certified. INCONCLUSIVE otherwise (a degenerate KKT point, a kink in
    the box, or no KKT point near u): nothing is claimed then.
    """
    t0 = time.perf_counter()
    ncf = NCF(net, X, z)
    prec = V.precision(prec)
    max_distance = V.positive_rational(max_distance, "max_distance")
    uu = np.asarray(u, dtype=object).reshape(-1)
    if uu.shape != (ncf.p,):
        raise InputError(f"u must have {ncf.p} entries (one per parameter), got {np.shape(u)}")
    uf = np.array([float(to_fraction(v, what="u")) for v in uu])
    if not np.any(uf):
        raise InputError("u must be nonzero (a point near the unit sphere)")
    return _kkt_result(net, _certify(ncf, uf / np.linalg.norm(uf), prec, max_distance=max_distance), prec, t0)


def _sparsity(net, u: np.ndarray, rel: float = 1e-3):
    """Float diagnostics of a candidate: the active hidden units of a network with two parameterised layers
    (neurons of a two-layer MLP, channels of a convolution followed by a dense layer — a unit is active
    when the norm of its incoming and outgoing weights exceeds ``rel`` times the largest), and the leading
    singular values of every weight block (reshaped to rows = output units)."""
    u = np.asarray(u, dtype=float)
    out_active, ranks = [], {}
    hidden, _ = units(net)
    if hidden is not None and len({b.layer for b in net.layout.blocks}) == 2 and hidden:
        norms = np.array([np.sqrt(float(np.sum(u[ix] ** 2))) for _, _, ix in hidden])
        out_active = [int(hidden[i][1]) for i in np.nonzero(norms > rel * norms.max())[0]] if norms.max() > 0 else []
    for b in net.layout.blocks:
        W = u[b.slice].reshape(b.shape[0], -1)
        s = np.linalg.svd(W, compute_uv=False)
        ranks[b.name] = {"singular_values": [float(v) for v in s[:3]],
                         "near_rank_one": bool(len(s) < 2 or s[1] <= rel * max(s[0], 1e-300))}
    return out_active, ranks


#: a certified KKT point must lie this close (every coordinate) to the refined candidate it stands for
MAX_DISTANCE = Fraction(1, 10**6)


def _bool(x, what):
    if not isinstance(x, bool | np.bool_):
        raise InputError(f"{what} must be True or False, got {x!r}")
    return bool(x)


def max_ncf(net, X, z, *, restarts: int = 20, steps: int = 400, seed: int = 0, prec: int = 128,
            refine: bool = True, tol: float = 1e-10, certify: bool = True) -> list[KKTPoint]:
    """Non-negative KKT points of max N_z(u) on ‖u‖ = 1 found from ``restarts`` random starts.

    Each start: projected ascent (``steps``, relative tolerance ``tol``), Newton refinement of the
    KKT system at 2·``prec`` bits (``refine``), then the certificate of :func:`certify_kkt` at
    ``prec`` bits (``certify``). Candidates with the same point or the same value (symmetric copies
    under neuron permutations) are merged numerically (``restarts_reaching`` counts them).

    Each candidate is put in the canonical neuron order of :func:`~verify.homogeneous.canonical_order` (hidden
    units by decreasing weight norm, ties by their weights) before it is certified, so
    the point, its box and its pinned/active neuron lists all refer to that order: KKT points from different
    starts, or of networks whose units were listed in another order, compare without a manual permutation.

    Returned sorted by N descending, ties by coordinates (deterministic). The first entry is the best
    KKT point *found*, not a certified global maximiser; ``N_lower`` is a certified lower bound on
    the maximum. See :class:`KKTPoint` for what is certified about each point.
    """
    t0 = time.perf_counter()
    ncf = NCF(net, X, z)
    restarts = V.positive_int(restarts, "restarts")
    steps = V.positive_int(steps, "steps")
    seed = V.nonneg_int(seed, "seed")
    prec = V.precision(prec)
    refine, certify = _bool(refine, "refine"), _bool(certify, "certify")
    tol = V.finite_float(tol, "tol")
    if tol < 0:
        raise InputError(f"tol must be ≥ 0, got {tol!r}")
    rng = np.random.default_rng(seed)
    found: list[KKTPoint] = []
    for _ in range(restarts):
        u, n = _ascent(ncf, rng.standard_normal(ncf.p), steps, tol)
        if not n > 0:  # a float filter on candidates (no verdict): non-negative KKT points only
            continue
        uf = u
        if refine:
            try:
                uf, _ = _newton_refine(ncf, u, 2 * prec)
            except (VerifyError, ZeroDivisionError):  # refinement failing keeps the ascent point
                uf = u
            nf = np.linalg.norm(uf) if np.all(np.isfinite(uf)) else 0.0
            if (not abs(nf - 1) <= 1e-6 or float(ncf.value(uf / nf)) < n - 1e-9
                    or ncf.kkt_residual(uf / nf) > ncf.kkt_residual(u)):
                uf = u  # Newton left the activation region (a kink) or diverged: keep the ascent point
            else:
                uf = uf / nf
        uf, _ = canonical_order(net, uf)  # neuron permutations of one KKT point give one candidate
        nval = float(ncf.value(uf))
        dup = next((k for k in found if float(k.u @ uf) > 1 - 1e-8 or abs(k.N - nval) <= 1e-9 * max(abs(nval), 1)),
                   None)
        if dup is not None:
            dup.restarts_reaching += 1
            continue
        kp = KKTPoint(uf, nval, ncf.kkt_residual(uf))
        if certify:
            t1 = time.perf_counter()
            info = _certify(ncf, uf, prec, max_distance=MAX_DISTANCE)
            kp.result = _kkt_result(net, info, prec, t1)
            kp.certificate = {k: v for k, v in info.items() if k not in ("box", "sub")}
            kp.pinned_neurons = list(info.get("pinned", []))
            point, facts_ncf = kp.u, ncf
            if info["certified"]:
                kp.certified = True
                kp.box = info["box"]
                kp.N_enclosure, kp.lam_enclosure = info["N"], info["lam"]
                kp.sign_certified = sign(kp.N_enclosure) == 1
                point = [_mid(b) for b in kp.box]  # exact rational centre of the box
                mid = np.array([float(q) for q in point])
                kp.u = mid / np.linalg.norm(mid)
                kp.N = float(ncf.value(kp.u))
                kp.kkt_residual = ncf.kkt_residual(kp.u)
                facts_ncf, where = info["sub"]  # pinned coordinates are exactly 0: N = N_S there
                point = [point[int(k)] for k in where]
            try:
                kp.N_lower, kp.residual_upper = _sphere_point_facts(facts_ncf, point, prec)
            except VerifyError:  # a kink at the point, or a non-finite enclosure: no sphere-point facts
                pass
        kp.active_neurons, kp.rank_one = _sparsity(net, kp.u)
        found.append(kp)
    found.sort(key=lambda k: (-float(f"{k.N:.12g}"), tuple(float(f"{c:.12g}") for c in k.u)))
    for k in found:
        k.elapsed = time.perf_counter() - t0
    return found


def _mid(b) -> Fraction:
    lo, hi = bounds(b)
    return (lo + hi) / 2


#: right-hand-side evaluations allowed per NCF-flow solve
MAX_RHS_EVALS = 100_000


def ncf_flow(net, X, z, u0, T, *, n_points: int = 41, blowup: float = 1e6):
    """Integrate u' = ∇N_z(u) from u0 on [0, T] (DOP853, float64: numerical evidence; activations use
    relu′(0) = 0); stop early when ‖u‖ exceeds ``blowup`` (finite-time blow-up for L > 2).
    Returns (times, states, direction u/‖u‖ at the end). Raises :class:`~verify.errors.IntegrationError`
    if the integrator stalls or fails."""
    from scipy.integrate import solve_ivp

    ncf = NCF(net, X, z)
    Tq = V.positive_rational(T, "the horizon T")
    n_points = V.integer(n_points, "n_points", minimum=2)
    blowup = V.finite_float(blowup, "blowup")
    if blowup <= 0:
        raise InputError(f"blowup must be > 0, got {blowup!r}")
    u0 = np.asarray([float(to_fraction(v, what="u0")) for v in np.asarray(u0, dtype=object).reshape(-1)])
    if u0.shape != (ncf.p,) or np.ndim(u0) != 1:
        raise InputError(f"u0 must have {ncf.p} entries (one per parameter), got {u0.shape[0]}")
    Tf = float(Tq)
    count = [0]

    def rhs(t, u):
        count[0] += 1
        if count[0] > MAX_RHS_EVALS:  # a ReLU kink makes the field discontinuous: stop instead of crawling
            raise IntegrationError(f"NCF flow stalled near t = {t:.6g} after {MAX_RHS_EVALS} evaluations (the path "
                                   "may slide along an activation-region boundary); take a smaller T")
        if not np.all(np.isfinite(u)):
            raise IntegrationError(f"the NCF flow overflowed near t = {t:.6g} (‖u‖ is not finite); start from a "
                                   "smaller u0 or lower blowup")
        with np.errstate(over="ignore", invalid="ignore"):
            g = np.asarray(ncf.grad(u), dtype=float)
        if not np.all(np.isfinite(g)):
            raise IntegrationError(f"∇N overflowed near t = {t:.6g}; start from a smaller u0 or lower blowup")
        return g

    def big(t, u):
        return np.linalg.norm(u) - blowup

    big.terminal = True
    if not np.linalg.norm(u0) < blowup:
        raise InputError(f"‖u0‖ must be below blowup = {blowup:g} (the flow is stopped when ‖u‖ reaches it)")
    with np.errstate(over="ignore", invalid="ignore"):
        res = solve_ivp(rhs, (0, Tf), u0, method="DOP853",
                        t_eval=np.linspace(0, Tf, n_points), events=big, rtol=1e-10, atol=1e-12)
    if res.status == -1:
        raise IntegrationError(f"the NCF flow integration failed: {res.message}")
    ts, U = res.t, res.y.T
    if len(res.t_events[0]):  # blew up before T: end the path at the event
        ts, U = np.append(ts, res.t_events[0][0]), np.vstack([U, res.y_events[0][0]])
    nrm = np.linalg.norm(U[-1])
    return ts, U, (U[-1] / nrm if nrm > 0 else U[-1])
