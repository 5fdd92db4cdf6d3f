"""Interpreters of the layer primitives: the one place where numbers are touched.

A layer's forward computation (:mod:`verify.models.nn.layers`) is written once as calls to a small set
of array primitives on an ``ops`` object. Four interpreters give it its meanings:

* :class:`NumericOps` — values in one arithmetic (float, mp, ball over points or boxes, exact); with
  ``regions`` it also records the activation pattern (piece of every activation input, argmax of every
  max-pooling window), decided with certainty in ``exact``/``ball``;
* :class:`TangentOps` — forward-mode derivatives: every value is a :class:`Dual` (v, ṫ) whose tangent
  carries a leading axis of T directions at once (Jacobian columns, Hessian columns);
* :class:`Tape` — reverse mode: it wraps another interpreter, records each primitive and its
  vector-Jacobian product (written with the wrapped interpreter's primitives), and back-propagates.
  ``Tape(TangentOps(...))`` is forward-over-reverse (Pearlmutter's R-operator): Hessian-vector products
  and Hessian columns with no second-order code in any layer;
* :class:`SymbolicOps` — exact sympy expressions (``symbolic()``), or the analytic expression valid on one
  activation region (``on_region(pattern)``: each activation replaced by the piece the pattern selects,
  each max pool by the entry it selects).

Arrays always carry a leading batch axis (data points, or data points × heads); parameters do not.

Primitives: ``linear`` (x Wᵀ over the last axis), ``linear_t`` (g W), ``gram`` (Σ gᵀx over leading axes),
``bmm`` (batched matrix product), ``add``, ``sub``, ``mul``, ``add_bias`` (b over the trailing axes),
``scale`` (by an exact constant or 1/√k), ``reshape``, ``transpose``, ``gather`` (shared indices into the
flattened sample, −1 reads 0: im2col, padding, pooling windows), ``scatter`` (its adjoint), ``sum`` and
``expand`` (over the last axis), ``act`` (σ^(k) elementwise), ``window_max`` (max over the last axis with
its argmax), ``scatter_last`` (its adjoint) and ``softmax`` (over the last axis).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import isqrt

import numpy as np
import sympy as sp

from ...errors import ArithmeticNotSupportedError, RegionBoundaryError

# ============================================================================ sites (error naming)


@dataclass(frozen=True)
class Site:
    """Where a piecewise primitive sits: ``index`` (position of the site among the network's activation
    and max-pool sites, = position in a region pattern), ``layer`` (the number of the last parameterised
    layer before it, as in ``RegionBoundaryError.layer``), ``label`` (the layer, for messages) and
    ``kind`` (``"act"`` or ``"maxpool"``)."""

    index: int
    layer: int
    label: str
    kind: str


def _unit(shape, flat: int):
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if len(shape) > 1 else int(flat)


# ============================================================================ rational scalars
@dataclass(frozen=True)
class RSqrt:
    """The constant 1/√k (attention scaling)."""

    k: int


# ============================================================================ array primitives
class _ArrayOps:
    """The primitives that are plain numpy array operations, shared by the numeric and symbolic interpreters
    (numpy object arrays of sympy expressions behave like arrays of numbers). Subclasses provide ``mm`` (a
    2-D product), ``zeros`` and ``const``."""

    def linear(self, x, W):
        out, inn = W.shape
        return self.mm(x.reshape(-1, inn), W.T).reshape(*x.shape[:-1], out)

    def bmm(self, x, y):
        if not x.shape[0]:
            return self.zeros((0, x.shape[1], y.shape[2]))
        return np.stack([self.mm(x[b], y[b]) for b in range(x.shape[0])])

    def add(self, x, y):
        return x + y

    def sub(self, x, y):
        return x - y

    def mul(self, x, y):
        return x * y

    def add_bias(self, x, b):
        return x + b

    def scale(self, x, c):
        return x * self.const(c)

    def reshape(self, x, shape):
        return x.reshape(shape)

    def transpose(self, x, axes):
        return x.transpose(axes)

    def gather(self, x, idx):
        """Shared indices into the flattened sample; −1 reads 0 (padding)."""
        n = x.shape[0]
        flat = x.reshape(n, -1)
        if (idx < 0).any():
            flat = np.concatenate([flat, self.zeros((n, 1))], axis=1)
        return flat[:, idx]


# ============================================================================ numeric interpreter
class NumericOps(_ArrayOps):
    """The primitives on numpy arrays of one arithmetic ``a``.

    ``regions``: a dict filled with the pattern of every site (decided with certainty in certified
    arithmetics; a site whose piece or argmax cannot be decided raises :class:`RegionBoundaryError`
    naming the layer, unit and data point). ``strict``: derivatives will be taken, so a max-pool window
    whose argmax is undecided is a boundary (otherwise its value is enclosed by the union of the
    candidates). ``pattern``: a region pattern to *impose* (float/mp evaluation on a given region)."""

    def __init__(self, a, regions: dict | None = None, strict: bool = False, argmax_cache: dict | None = None):
        self.a = a
        self.regions = regions
        self.strict = strict
        #: site index → decided argmax, shared by passes at the same θ (chunks of one Hessian)
        self.argmax_cache = argmax_cache
        self.certified = a.certified
        self.is_float = a.dtype is not object
        self._const_masks = {}

    # -- constants -------------------------------------------------------------------------------
    def const(self, q):
        a = self.a
        if isinstance(q, RSqrt):
            r = isqrt(q.k)
            if r * r == q.k:
                return a.const(Fraction(1, r))
            with a.context():
                return a.const(Fraction(1)) / a.func("sqrt")(a.const(Fraction(q.k)))
        return a.const(Fraction(q))

    def zeros(self, shape):
        return np.zeros(shape) if self.is_float else self.a.zeros(shape)

    # -- matrix products ---------------------------------------------------------------------------
    def mm(self, x, y):
        """2-D product in the arithmetic (FLINT for balls)."""
        if self.is_float:
            return x @ y
        if x.shape[0] == 0 or y.shape[1] == 0 or x.shape[1] == 0:
            return self.a.matmul(x, y) if x.shape[1] else self.zeros((x.shape[0], y.shape[1]))
        return self.a.matmul(x, y)

    def linear_t(self, g, W):
        out, inn = W.shape
        return self.mm(g.reshape(-1, out), W).reshape(*g.shape[:-1], inn)

    def gram(self, g, x):
        return self.mm(g.reshape(-1, g.shape[-1]).T, x.reshape(-1, x.shape[-1]))

    def bmm(self, x, y):
        return np.matmul(x, y) if self.is_float else super().bmm(x, y)

    def scatter(self, g, idx, shape):
        n = shape[0]
        size = int(np.prod(shape[1:]))
        cols = np.where(idx < 0, size, idx).reshape(-1)
        if self.is_float:  # bincount is ~10× faster than np.add.at on float64
            flat = (np.arange(n)[:, None] * (size + 1) + cols[None, :]).reshape(-1)
            out = np.bincount(flat, weights=g.reshape(-1), minlength=n * (size + 1)).reshape(n, size + 1)
            return out[:, :size].reshape(shape)
        out = self.zeros((n, size + 1))
        np.add.at(out, (slice(None), cols), g.reshape(n, -1))
        return out[:, :size].reshape(shape)

    def sum(self, x, axis=-1):
        if x.shape[axis] == 0:
            return self.zeros(np.delete(x.shape, axis))
        if self.is_float:
            return x.sum(axis=axis)
        return self.a.sum(x, axis=axis)

    def expand(self, g, k):
        return np.repeat(g[..., None], k, axis=-1)

    # -- piecewise primitives ------------------------------------------------------------------------
    def act(self, x, sigma, k: int = 0, site: Site | None = None):
        """σ^(k)(x) elementwise (k = 0: the value)."""
        if self.regions is not None and k == 0 and site is not None:
            self._record_pieces(x, sigma, site)
        try:
            vals = sigma(x, self.a, k)
        except RegionBoundaryError as hit:
            raise self._named(hit, x, sigma, site) from None
        if k == 0 and site is not None and self.certified:
            self._const_masks[id(vals[0])] = (vals[0], x, sigma)  # mask computed if a max pool asks
        return vals[k]

    def act_pair(self, x, sigma, k: int, site: Site | None = None):
        """(σ^(k)(x), σ^(k+1)(x)) from one evaluation."""
        if self.regions is not None and k == 0 and site is not None:
            self._record_pieces(x, sigma, site)
        try:
            vals = sigma(x, self.a, k + 1)
        except RegionBoundaryError as hit:
            raise self._named(hit, x, sigma, site) from None
        if k == 0 and site is not None and self.certified:
            self._const_masks[id(vals[0])] = (vals[0], x, sigma)  # mask computed if a max pool asks
        return vals[k], vals[k + 1]

    def _named(self, hit, x, sigma, site):
        if site is None or getattr(hit, "index", None) is None:
            return hit
        i, *rest = (int(v) for v in hit.index)
        unit_shape = x.shape[1:]
        flat = int(np.ravel_multi_index(rest, unit_shape)) if rest else 0
        unit = _unit(unit_shape, flat)
        ball = self.a.balls
        return RegionBoundaryError(
            f"{site.label}, unit {unit}, data point {i}: the input {hit.value} of "
            f"{sigma.name} {'contains' if ball else 'equals'} its breakpoint {hit.breakpoint}, where derivatives "
            f"of order {hit.order} do not exist (it is C^{hit.continuity} there): θ may lie on an "
            f"activation-region boundary. Move θ off the boundary{' or raise the precision' if ball else ''}.",
            layer=site.layer, neuron=flat, data_point=i, breakpoint=hit.breakpoint, enclosure=hit.value,
            position=unit, site=site.label)

    def _record_pieces(self, x, sigma, site):
        bps = [Fraction(int(b.p), int(b.q)) for b in sigma.breakpoints]
        pat = np.zeros(x.shape, dtype=int)
        if bps and self.a.array_native:  # whole arrays: certified sides on exact endpoints
            for b in bps:
                sd = self.a.sides(x, b)
                bad = (sd != 1) & (sd != -1)
                if bad.any():
                    idx = tuple(int(i) for i in np.argwhere(bad)[0])
                    flat = int(np.ravel_multi_index(idx[1:], x.shape[1:])) if len(idx) > 1 else 0
                    unit = _unit(x.shape[1:], flat)
                    raise RegionBoundaryError(
                        f"{site.label}, unit {unit}, data point {idx[0]}: the input {x[idx]} of {sigma.name} is on "
                        f"(or, at this precision, not separated from) its breakpoint {b}: θ is not inside an "
                        "activation region", layer=site.layer, neuron=flat, data_point=idx[0], breakpoint=b,
                        enclosure=x[idx], position=unit, site=site.label)
                pat += (sd == 1)
        elif bps:
            for idx, v in np.ndenumerate(x):
                j = 0
                for b in bps:
                    s = self.a.side(v, b)
                    if s is None or s == 0:
                        unit = _unit(x.shape[1:], int(np.ravel_multi_index(idx[1:], x.shape[1:])) if
                                     len(idx) > 1 else 0)
                        flat = int(np.ravel_multi_index(idx[1:], x.shape[1:])) if len(idx) > 1 else 0
                        raise RegionBoundaryError(
                            f"{site.label}, unit {unit}, data point {idx[0]}: the input {v} of "
                            f"{sigma.name} is on (or, at this precision, not separated from) its breakpoint {b}: θ is "
                            "not inside an activation region", layer=site.layer, neuron=flat,
                            data_point=int(idx[0]), breakpoint=b, enclosure=v, position=unit, site=site.label)
                    if s > 0:
                        j += 1
                pat[idx] = j
        self.regions[site.index] = pat

    def window_max(self, x, site: Site | None = None, const_of=None):
        """(max over the last axis, argmax indices). Certified arithmetics: the argmax is decided on exact
        endpoints; a tie between entries that are the same constant on the region (outputs of constant
        activation pieces with equal values, e.g. dead ReLUs) is not a boundary and takes the first."""
        if self.is_float:
            idx = np.argmax(x, axis=-1)
        elif not self.certified:
            idx = np.empty(x.shape[:-1], dtype=int)
            for w in np.ndindex(*x.shape[:-1]):
                row = list(x[w])
                idx[w] = max(range(len(row)), key=lambda j: (row[j], -j))
        elif self.argmax_cache is not None and site is not None and site.index in self.argmax_cache:
            idx = self.argmax_cache[site.index]
        else:
            idx = self._certified_argmax(x, site, const_of)
            if self.argmax_cache is not None and site is not None and idx is not None:
                self.argmax_cache[site.index] = idx
        if idx is None:  # undecided, value only: the union of the candidates encloses the maximum
            return self._max_union(x), None
        if self.regions is not None and site is not None:
            self.regions[site.index] = idx.copy()
        vals = np.take_along_axis(x, idx[..., None], axis=-1)[..., 0]
        return vals, idx

    def _certified_argmax(self, x, site, const_of):
        from ...arith.decide import bounds

        if self.a.array_native:  # whole arrays: a window is decided when one entry's lower end beats all others
            lo, hi = self.a.endpoints(x)
            top = np.argmax(lo, axis=-1)
            top_lo = np.take_along_axis(lo, top[..., None], axis=-1)
            rivals = (hi >= top_lo).sum(axis=-1)
            if (rivals == 1).all():
                return top
        mask = None
        if const_of is not None:  # (the activation output the windows were gathered from, the indices)
            src, gidx = const_of
            ent = self._const_masks.get(id(src))
            if ent is not None and ent[0] is src:
                flat = _constant_piece_mask(ent[1], ent[2], self.a).reshape(src.shape[0], -1)
                flat = np.concatenate([flat, np.zeros((flat.shape[0], 1), dtype=bool)], axis=1)
                mask = flat[:, gidx]
        idx = np.empty(x.shape[:-1], dtype=int)
        undecided = False
        for w in np.ndindex(*x.shape[:-1]):
            bnds = [bounds(v) for v in x[w]]
            top_lo = max(lo for lo, _ in bnds)
            cand = [j for j, (_, hi) in enumerate(bnds) if hi >= top_lo]
            if len(cand) > 1:
                # several entries may be the maximum: fine only if they are all one constant on the region
                same = (mask is not None and all(bool(mask[w + (j,)]) for j in cand)
                        and all(bnds[j][0] == bnds[j][1] == bnds[cand[0]][0] for j in cand))
                if not same:
                    if self.strict or self.regions is not None:
                        raise self._tie(x, w, cand, bnds, site)
                    undecided = True
                    continue
            idx[w] = cand[0]
        return None if undecided else idx

    def _tie(self, x, w, cand, bnds, site):
        i = int(w[0])
        pos = tuple(int(v) for v in w[1:])
        label = site.label if site else "a max pool"
        return RegionBoundaryError(
            f"{label}, window {pos}, data point {i}: entries {cand} of the window may all be its maximum "
            f"({[str(x[w + (j,)]) for j in cand]}) and are not one constant on the region: θ may lie on a "
            "max-pooling region boundary, where the network is not differentiable"
            f"{'; raise the precision if they differ' if self.a.name == 'ball' else ''}.",
            layer=site.layer if site else None, neuron=None, data_point=i, position=pos,
            site=site.label if site else None)

    def _max_union(self, x):
        from ...arith.decide import bounds

        if self.a.array_native:  # max over a window lies between the largest lower and the largest upper end
            lo, hi = self.a.endpoints(x)
            return self.a.from_endpoints(lo.max(axis=-1), hi.max(axis=-1))
        out = np.empty(x.shape[:-1], dtype=object)
        for w in np.ndindex(*x.shape[:-1]):
            bnds = [bounds(v) for v in x[w]]
            top_lo = max(lo for lo, _ in bnds)
            v = None
            for j, (_, hi) in enumerate(bnds):
                if hi >= top_lo:
                    v = x[w + (j,)] if v is None else self.a.union(v, x[w + (j,)])
            out[w] = v
        return out

    def scatter_last(self, g, idx, k):
        out = self.zeros((*g.shape, k))
        np.put_along_axis(out, idx[..., None], g[..., None], axis=-1)
        return out

    def softmax(self, x):
        """softmax over the last axis, asked of the arithmetic (certified ones enclose it over whole boxes)."""
        return self.a.softmax_last(x)


def _constant_piece_mask(x, sigma, a):
    """Entries of ``x`` certainly inside a piece of σ that is a constant (dead ReLU outputs...)."""
    consts = [bool(p.free_symbols == set()) for p in sigma.pieces]
    if not any(consts):
        return np.zeros(x.shape, dtype=bool)
    bps = [Fraction(int(b.p), int(b.q)) for b in sigma.breakpoints]
    if a.array_native:
        sides = [a.sides(x, b) for b in bps]
        decided = np.ones(x.shape, dtype=bool)
        j = np.zeros(x.shape, dtype=int)
        for sd in sides:
            decided &= (sd == 1) | (sd == -1)
            j += sd == 1
        return decided & np.asarray(consts)[j]
    mask = np.zeros(x.shape, dtype=bool)
    for idx, v in np.ndenumerate(x):
        j, ok = 0, True
        for b in bps:
            s = a.side(v, b)
            if s is None or s == 0:
                ok = False
                break
            if s > 0:
                j += 1
        mask[idx] = ok and consts[j]
    return mask


# ============================================================================ forward mode
class Dual:
    """A value ``v`` with tangents ``t`` (shape (T, *v.shape); None means all zero)."""

    __slots__ = ("v", "t")

    def __init__(self, v, t=None):
        self.v, self.t = v, t

    @property
    def shape(self):
        return self.v.shape

    @property
    def ndim(self):
        return self.v.ndim


def _vt(x):
    return (x.v, x.t) if isinstance(x, Dual) else (x, None)


def _addt(s, t):
    if s is None:
        return t
    if t is None:
        return s
    return s + t


class TangentOps:
    """Forward-mode interpreter over a :class:`NumericOps` ``base``: values are :class:`Dual` with T
    tangent directions carried at once."""

    def __init__(self, base: NumericOps, T: int):
        self.b, self.T = base, T
        self.a = base.a
        self.certified = base.certified

    def const(self, q):
        return self.b.const(q)

    def zeros(self, shape):
        return Dual(self.b.zeros(shape))

    def _t(self, shape):
        return (self.T, *shape)

    # products: the tangent is ẋ·y + x·ẏ
    def linear(self, x, W):
        b = self.b
        xv, xt = _vt(x)
        Wv, Wt = _vt(W)
        v = b.linear(xv, Wv)
        t = b.linear(xt, Wv) if xt is not None else None
        if Wt is not None:
            out, inn = Wv.shape
            M = xv.reshape(-1, inn)
            r = b.mm(M, Wt.transpose(2, 0, 1).reshape(inn, self.T * out))
            r = r.reshape(M.shape[0], self.T, out).transpose(1, 0, 2).reshape(self._t(v.shape))
            t = _addt(t, r)
        return Dual(v, t)

    def linear_t(self, g, W):
        b = self.b
        gv, gt = _vt(g)
        Wv, Wt = _vt(W)
        v = b.linear_t(gv, Wv)
        t = b.linear_t(gt, Wv) if gt is not None else None
        if Wt is not None:
            out, inn = Wv.shape
            M = gv.reshape(-1, out)
            r = b.mm(M, Wt.transpose(1, 0, 2).reshape(out, self.T * inn))
            r = r.reshape(M.shape[0], self.T, inn).transpose(1, 0, 2).reshape(self._t(v.shape))
            t = _addt(t, r)
        return Dual(v, t)

    def gram(self, g, x):
        b = self.b
        gv, gt = _vt(g)
        xv, xt = _vt(x)
        v = b.gram(gv, xv)
        out, inn = v.shape
        t = None
        if gt is not None:
            G = gt.reshape(self.T, -1, out).transpose(0, 2, 1).reshape(self.T * out, -1)
            t = b.mm(G, xv.reshape(-1, inn)).reshape(self.T, out, inn)
        if xt is not None:
            X = xt.reshape(self.T, -1, inn).transpose(1, 0, 2).reshape(-1, self.T * inn)
            r = b.mm(gv.reshape(-1, out).T, X).reshape(out, self.T, inn).transpose(1, 0, 2)
            t = _addt(t, r)
        return Dual(v, t)

    def bmm(self, x, y):
        b = self.b
        xv, xt = _vt(x)
        yv, yt = _vt(y)
        v = b.bmm(xv, yv)
        B, m, k = xv.shape
        n = yv.shape[2]
        if xt is None and yt is None:
            return Dual(v)
        t = b.zeros(self._t(v.shape))
        for j in range(B):
            if xt is not None:
                t[:, j] = t[:, j] + b.mm(xt[:, j].reshape(self.T * m, k), yv[j]).reshape(self.T, m, n)
            if yt is not None:
                Y = yt[:, j].transpose(1, 0, 2).reshape(k, self.T * n)
                t[:, j] = t[:, j] + b.mm(xv[j], Y).reshape(m, self.T, n).transpose(1, 0, 2)
        return Dual(v, t)

    # elementwise
    def add(self, x, y):
        xv, xt = _vt(x)
        yv, yt = _vt(y)
        return Dual(xv + yv, _addt(xt, yt))

    def sub(self, x, y):
        xv, xt = _vt(x)
        yv, yt = _vt(y)
        return Dual(xv - yv, _addt(xt, -yt if yt is not None else None))

    def mul(self, x, y):
        xv, xt = _vt(x)
        yv, yt = _vt(y)
        t = xt * yv if xt is not None else None
        if yt is not None:
            t = _addt(t, xv * yt)
        return Dual(xv * yv, t)

    def add_bias(self, x, bb):
        xv, xt = _vt(x)
        bv, bt = _vt(bb)
        t = xt
        if bt is not None:
            bt = bt.reshape(self.T, *(1,) * (xv.ndim - bv.ndim), *bv.shape)
            t = _addt(t, np.broadcast_to(bt, self._t(xv.shape)) if t is None else bt)
        return Dual(xv + bv, t)

    def scale(self, x, c):
        xv, xt = _vt(x)
        s = self.b.const(c)
        return Dual(xv * s, xt * s if xt is not None else None)

    # shape
    def reshape(self, x, shape):
        xv, xt = _vt(x)
        v = xv.reshape(shape)
        return Dual(v, xt.reshape(self._t(v.shape)) if xt is not None else None)

    def transpose(self, x, axes):
        xv, xt = _vt(x)
        return Dual(xv.transpose(axes), xt.transpose(0, *(i + 1 for i in axes)) if xt is not None else None)

    def gather(self, x, idx):
        xv, xt = _vt(x)
        v = self.b.gather(xv, idx)
        t = None
        if xt is not None:
            t = self.b.gather(xt.reshape(self.T * xv.shape[0], *xv.shape[1:]), idx).reshape(self._t(v.shape))
        return Dual(v, t)

    def scatter(self, g, idx, shape):
        gv, gt = _vt(g)
        v = self.b.scatter(gv, idx, shape)
        t = None
        if gt is not None:
            t = self.b.scatter(gt.reshape(self.T * gv.shape[0], *gv.shape[1:]), idx,
                               (self.T * shape[0], *shape[1:])).reshape(self._t(shape))
        return Dual(v, t)

    def sum(self, x, axis=-1):
        xv, xt = _vt(x)
        ax = axis if axis < 0 else axis + 1
        return Dual(self.b.sum(xv, axis), self.b.sum(xt, ax) if xt is not None else None)

    def expand(self, g, k):
        gv, gt = _vt(g)
        return Dual(self.b.expand(gv, k), self.b.expand(gt, k) if gt is not None else None)

    # piecewise
    def act(self, x, sigma, k: int = 0, site=None):
        xv, xt = _vt(x)
        if xt is None:
            return Dual(self.b.act(xv, sigma, k, site))
        v, d = self.b.act_pair(xv, sigma, k, site)
        return Dual(v, d * xt)

    def window_max(self, x, site=None, const_of=None):
        xv, xt = _vt(x)
        strict, self.b.strict = self.b.strict, True
        try:
            if const_of is not None:
                const_of = (_vt(const_of[0])[0], const_of[1])
            v, idx = self.b.window_max(xv, site, const_of)
        finally:
            self.b.strict = strict
        t = None
        if xt is not None:
            ii = np.broadcast_to(idx[None, ..., None], (self.T, *idx.shape, 1))
            t = np.take_along_axis(xt, ii, axis=-1)[..., 0]
        return Dual(v, t), idx

    def scatter_last(self, g, idx, k):
        gv, gt = _vt(g)
        v = self.b.scatter_last(gv, idx, k)
        t = None
        if gt is not None:
            t = self.b.zeros((*gt.shape, k))
            ii = np.broadcast_to(idx[None, ..., None], (self.T, *idx.shape, 1))
            np.put_along_axis(t, ii, gt[..., None], axis=-1)
        return Dual(v, t)

    def softmax(self, x):
        xv, xt = _vt(x)
        y = self.b.softmax(xv)
        t = None
        if xt is not None:
            s = self.b.sum(y * xt, axis=-1)
            t = y * (xt - s[..., None])
        return Dual(y, t)


# ============================================================================ reverse mode
class Node:
    """A value recorded on a :class:`Tape`."""

    __slots__ = ("val", "__weakref__")

    def __init__(self, val):
        self.val = val

    @property
    def shape(self):
        return self.val.shape

    @property
    def ndim(self):
        return len(self.val.shape)


def _val(x):
    return x.val if isinstance(x, Node) else x


class Tape:
    """Reverse-mode recorder over an interpreter ``inner`` (NumericOps or TangentOps)."""

    def __init__(self, inner):
        self.inner = inner
        self.records = []  # (out node, [(input node, vjp)])
        if isinstance(inner, NumericOps):
            inner.strict = True
        else:
            inner.b.strict = True

    def leaf(self, val):
        return Node(val)

    def const(self, q):
        return self.inner.const(q)

    def _rec(self, val, parents):
        node = Node(val)
        ps = [(p, f) for p, f in parents if isinstance(p, Node)]
        if ps:
            self.records.append((node, ps))
        return node

    def backward(self, out: Node, seed, leaves) -> list:
        """Cotangents of ``leaves`` for the cotangent ``seed`` of ``out`` (None: not reached)."""
        I = self.inner
        grads = {id(out): seed}
        for node, parents in reversed(self.records):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            for p, f in parents:
                c = f(g)
                old = grads.get(id(p))
                grads[id(p)] = c if old is None else I.add(old, c)
        return [grads.get(id(leaf)) for leaf in leaves]

    # products
    def linear(self, x, W):
        I = self.inner
        xv, Wv = _val(x), _val(W)
        return self._rec(I.linear(xv, Wv), [(x, lambda g: I.linear_t(g, Wv)), (W, lambda g: I.gram(g, xv))])

    def bmm(self, x, y):
        I = self.inner
        xv, yv = _val(x), _val(y)
        return self._rec(I.bmm(xv, yv), [(x, lambda g: I.bmm(g, I.transpose(yv, (0, 2, 1)))),
                                          (y, lambda g: I.bmm(I.transpose(xv, (0, 2, 1)), g))])

    # elementwise
    def add(self, x, y):
        return self._rec(self.inner.add(_val(x), _val(y)), [(x, lambda g: g), (y, lambda g: g)])

    def sub(self, x, y):
        I = self.inner
        return self._rec(I.sub(_val(x), _val(y)), [(x, lambda g: g), (y, lambda g: I.scale(g, -1))])

    def mul(self, x, y):
        I = self.inner
        xv, yv = _val(x), _val(y)
        return self._rec(I.mul(xv, yv), [(x, lambda g: I.mul(g, yv)), (y, lambda g: I.mul(g, xv))])

    def add_bias(self, x, b):
        I = self.inner
        xv, bv = _val(x), _val(b)
        lead = xv.ndim - bv.ndim

        def gb(g):
            s = I.reshape(g, (-1, *bv.shape))
            return I.sum(I.transpose(s, (*range(1, s.ndim), 0)), -1) if lead else g

        return self._rec(I.add_bias(xv, bv), [(x, lambda g: g), (b, gb)])

    def scale(self, x, c):
        I = self.inner
        return self._rec(I.scale(_val(x), c), [(x, lambda g: I.scale(g, c))])

    # shape
    def reshape(self, x, shape):
        I = self.inner
        old = _val(x).shape
        return self._rec(I.reshape(_val(x), shape), [(x, lambda g: I.reshape(g, old))])

    def transpose(self, x, axes):
        I = self.inner
        inv = tuple(int(i) for i in np.argsort(axes))
        return self._rec(I.transpose(_val(x), axes), [(x, lambda g: I.transpose(g, inv))])

    def gather(self, x, idx):
        I = self.inner
        shape = _val(x).shape
        return self._rec(I.gather(_val(x), idx), [(x, lambda g: I.scatter(g, idx, shape))])

    def sum(self, x, axis=-1):
        I = self.inner
        k = _val(x).shape[-1]
        if axis not in (-1, _val(x).ndim - 1):
            raise ArithmeticNotSupportedError("Tape.sum: only the last axis")
        return self._rec(I.sum(_val(x), -1), [(x, lambda g: I.expand(g, k))])

    # piecewise
    def act(self, x, sigma, k: int = 0, site=None):
        I = self.inner
        xv = _val(x)
        return self._rec(I.act(xv, sigma, k, site), [(x, lambda g: I.mul(g, I.act(xv, sigma, k + 1, site)))])

    def window_max(self, x, site=None, const_of=None):
        I = self.inner
        xv = _val(x)
        v, idx = I.window_max(xv, site, (_val(const_of[0]), const_of[1]) if const_of is not None else None)
        k = xv.shape[-1]
        return self._rec(v, [(x, lambda g: I.scatter_last(g, idx, k))]), idx

    def softmax(self, x):
        I = self.inner
        y = I.softmax(_val(x))
        k = y.shape[-1]

        def back(g):
            s = I.sum(I.mul(g, y), -1)
            return I.mul(y, I.sub(g, I.expand(s, k)))

        return self._rec(y, [(x, back)])


# ============================================================================ symbolic
class SymbolicOps(_ArrayOps):
    """Exact sympy interpreter. ``pattern``: None (activations as their Piecewise, max pools as Max), or a
    region pattern (tuple of int arrays, one per site) selecting the analytic piece at every site."""

    def __init__(self, pattern=None):
        self.pattern = pattern
        self.certified = True
        self.regions = None

    def const(self, q):
        if isinstance(q, RSqrt):
            return 1 / sp.sqrt(sp.Integer(q.k))
        q = Fraction(q)
        return sp.Rational(q.numerator, q.denominator)

    def zeros(self, shape):
        out = np.empty(shape, dtype=object)
        out.fill(sp.Integer(0))
        return out

    def mm(self, x, y):
        out = np.empty((x.shape[0], y.shape[1]), dtype=object)
        for i in range(x.shape[0]):
            for j in range(y.shape[1]):
                out[i, j] = sp.Add(*[x[i, k] * y[k, j] for k in range(x.shape[1])])
        return out

    def sum(self, x, axis=-1):
        return np.apply_along_axis(lambda r: sp.Add(*r), axis, x) if x.shape[axis] else self.zeros(
            np.delete(x.shape, axis))

    def _site_pattern(self, site, shape):
        from ...errors import InputError, ShapeError

        if site.index >= len(self.pattern):
            raise ShapeError(f"the pattern has {len(self.pattern)} entries but the network has more sites "
                             f"(activations and max pools); site {site.index} is {site.label}")
        try:
            pat = np.asarray(self.pattern[site.index])
        except ValueError:
            raise ShapeError(f"pattern[{site.index}] ({site.label}) is ragged") from None
        if pat.shape != tuple(shape):
            raise ShapeError(f"pattern[{site.index}] ({site.label}) must have shape {tuple(shape)}, got {pat.shape}")
        if pat.size and pat.dtype.kind not in "iu":
            raise InputError(f"pattern[{site.index}] ({site.label}) must hold integers, got dtype {pat.dtype}")
        return pat

    def act(self, x, sigma, k: int = 0, site=None):
        from ...errors import InputError
        from ..activation import Z

        if k != 0:
            raise ArithmeticNotSupportedError("symbolic derivatives: differentiate the expression with sympy")
        out = np.empty(x.shape, dtype=object)
        if self.pattern is None:
            for idx, v in np.ndenumerate(x):
                out[idx] = sigma.sympy(v)
            return out
        pat = self._site_pattern(site, x.shape)
        if pat.size and (pat.min() < 0 or pat.max() >= len(sigma.pieces)):
            raise InputError(f"pattern[{site.index}] ({site.label}) must hold piece indices in "
                             f"[0, {len(sigma.pieces)}) of {sigma.name}, got {sorted(set(pat.ravel().tolist()))}")
        for idx, v in np.ndenumerate(x):
            out[idx] = sigma.pieces[int(pat[idx])].xreplace({Z: v})
        return out

    def window_max(self, x, site=None, const_of=None):
        from ...errors import InputError

        if self.pattern is None:
            out = np.empty(x.shape[:-1], dtype=object)
            for w in np.ndindex(*x.shape[:-1]):
                out[w] = sp.Max(*x[w])
            return out, None
        pat = self._site_pattern(site, x.shape[:-1])
        k = x.shape[-1]
        if pat.size and (pat.min() < 0 or pat.max() >= k):
            raise InputError(f"pattern[{site.index}] ({site.label}) must hold window indices in [0, {k})")
        return np.take_along_axis(x, pat[..., None].astype(int), axis=-1)[..., 0], pat

    def softmax(self, x):
        e = np.vectorize(sp.exp, otypes=[object])(x) if x.size else x
        s = self.sum(e, -1)
        return e / s[..., None]
