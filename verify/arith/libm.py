"""Rigorous enclosures of elementary functions at float64 points, for the ``"ball64"`` arithmetic.

numpy offers no directed rounding and documents no accuracy for its elementary functions, so a
rigorous bound rests on an *a-priori error model*, stated here and checked by a test
(``tests/test_libm_bounds.py``) that measures numpy's actual errors against mpmath at 256 bits on a
large sample spanning the whole range and fails if the model is ever violated.

The error model
---------------
For each supported name, with ``y = f̃(x)`` the float64 value numpy (scipy for ``erf``) returns at a
float64 point ``x`` in the domain and ``K = ULP_BOUND[name]``:

* (A1) if ``y`` is finite, ``|y − f(x)| ≤ K · ulp(y)``, where ``ulp(y) = np.spacing(|y|)`` is the gap
  from ``|y|`` to the next float64 away from zero (``2**-1074`` at 0 and among the subnormals);
* (A2) if ``y = +∞`` (overflow) then ``f(x) ≥ DBL_MAX − K · 2**971`` (``2**971 = ulp(DBL_MAX)``), and
  symmetrically for ``−∞``: a result only overflows when a K-ulp-accurate result could have.

(A1) with ``ulp(y) ≥ 2**-1074`` already covers gradual underflow (a subnormal or zero ``y`` is off by at
most ``K`` subnormal units); an extra absolute ``K · η`` (``η = 2**-1074``) is added anyway, as in the
error model ``|fl(a∘b) − a∘b| ≤ u|fl(a∘b)| + η`` of Rump, "Fast and parallel interval arithmetic",
BIT 39 (1999), and Higham, *Accuracy and Stability of Numerical Algorithms* (2nd ed., 2002), §2.2.
Both assume IEEE 754 binary64 with round-to-nearest and gradual underflow: :func:`enclose` checks the
floating-point environment on every call (a library that switched on flush-to-zero / denormals-are-zero
or changed the rounding mode makes it raise :class:`~verify.errors.EnclosureError`).

What numpy actually runs (numpy 2.x on x86-64): for contiguous or positively strided arrays on a CPU
with AVX512_SKX, ``expm1, log1p, arctan, sinh, cosh`` and ``power`` call Intel SVML's high-accuracy
("_ha", about 1 ulp) kernels, ``exp``/``log`` numpy's own AVX512F kernels and ``tanh`` a Highway port of
SVML's low-accuracy ("_la", up to 4 ulps) kernel; negative strides, overlapping output and CPUs without
AVX512 fall back to the C library (the GNU C Library manual, "Known Maximum Errors in Math Functions",
lists ≤ 1 ulp for exp, log, log1p, expm1, atan, sin, cos, pow and ≤ 2 ulps for sinh, cosh, tanh on
x86-64 — but see the large sin/cos arguments below). ``np.power(x, 2.0)`` is ``x*x`` and
``np.power(x, 0.5)`` is ``sqrt(x)`` (correctly rounded). ``scipy.special.erf`` is the Cephes rational
approximation, no SIMD. A numpy build may change these kernels: the measurement test is what vouches for
the machine it runs on.

Measured (numpy 2.4.6, scipy 1.17.1, glibc 2.36, AMD EPYC with AVX512; up to 400,000 points per function
over the whole range, through the SIMD path and the C-library path — see the test module, whose ``-s``
run prints this table) — maximum error in ulps of the computed value:

====== ======== ======================= ==========================================
name   SIMD     C library (glibc 2.36)  assumed K
====== ======== ======================= ==========================================
exp    0.72     0.50                    4
log    0.60     0.51                    4
log1p  0.60     0.76                    4
expm1  0.53     0.81                    4
tanh   1.17     (same kernel)           4
sinh   0.83     1.90 (near overflow)    4
cosh   0.75     1.91 (near overflow)    4
atan   0.56     0.51                    4
sin    0.51     (same)                  4 for |x| ≤ 2**26; beyond, the enclosure is [−1, 1]
cos    0.56     (same)                  4 for |x| ≤ 2**26; beyond, the enclosure is [−1, 1]
sqrt   0.50     0.50                    0.5 (IEEE 754: correctly rounded)
erf    2.74     (no SIMD)               8
power  0.73     0.51                    4 (q = 2 and 1/2 run as x·x and sqrt)
====== ======== ======================= ==========================================

``sin``/``cos`` of large arguments: the result of a range reduction x − kπ/2 can be far smaller than x
(Muller, *Elementary Functions*, 3rd ed., §11.1: the float64 closest to a multiple of π/2 is
x = 6381956970095103·2**797, with x mod π/2 ≈ 4.7·10⁻¹⁹), and glibc's cos is 7.95 ulps off there. For
|x| ≤ 2**26 the hardest arguments can be enumerated exhaustively (the float64 nearest kπ/2 for every k;
the test module does it): glibc's errors there are ≤ 0.56 ulp (its large-argument reduction starts at
|x| ≈ 1.05·10⁸). No such enumeration covers larger arguments, so beyond :data:`SIN_COS_MAX_ARG` = 2**26
``enclose`` returns the trivial, always valid [−1, 1].

The assumed K is at least twice the largest measured error (5× for most), so a different libm or
SIMD kernel of the same documented class still fits; a machine where it does not fails the
measurement test instead of producing a wrong enclosure. The enclosure's radius, (K + 1) to 2(K + 1)
ulps (1.1·10⁻¹⁵ to 2.2·10⁻¹⁵ relative for K = 4), costs nothing a ball of float64 midpoints would notice.

Domains and NaN marks
---------------------
Points outside a function's domain — ``log`` at ``x ≤ 0``, ``log1p`` at ``x ≤ −1``, ``sqrt`` at
``x < 0``, ``power`` at ``x < 0`` (or ``x = 0`` with ``q < 0``, a pole) — and NaN inputs give
``lo = hi = NaN``: a *mark*, never a silently infinite or wrong enclosure. **The caller must turn a NaN
mark into an error or an infinite radius** (e.g. raise :class:`~verify.errors.NonRealError`, or
return an unbounded ball). ``x = ±∞`` gives an enclosure of
the limit in the extended reals where the limit exists (``exp(−∞) = 0``, ``tanh(+∞) = 1``,
``atan(+∞) = π/2``, ``log(+∞) = +∞``) and a NaN mark where it does not (``sin(±∞)``).

Exact facts used to tighten (each true for the exact function): ``exp > 0`` and ``exp(x) ≷ 1`` as
``x ≷ 0``; ``cosh ≥ 1``; ``tanh, erf ∈ [−1, 1]``; ``|atan| < π/2``; ``sqrt, power ≥ 0``; ``tanh, atan,
erf, sinh, expm1, log1p`` have the sign of ``x``; ``|tanh x| ≤ |x|``, ``|atan x| ≤ |x|``,
``|sin x| ≤ |x|``, ``|sinh x| ≥ |x|``, ``expm1(x) ≥ x``, ``expm1 > −1``, ``log1p(x) ≤ x``;
``log(x) ≷ 0`` as ``x ≷ 1``; ``sin, cos ∈ [−1, 1]``.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.special

from ..errors import ArithmeticNotSupportedError, EnclosureError, InputError

#: error bound, in ulps of the computed value, assumed for numpy's (scipy's for ``erf``) float64
#: implementation of each function — (A1)/(A2) of the module docstring; measured maxima in the table there
ULP_BOUND: dict[str, float] = {
    "exp": 4.0,  # measured 0.72 (AVX512F kernel), 0.50 (glibc)
    "log": 4.0,  # measured 0.60 / 0.51
    "log1p": 4.0,  # measured 0.60 (SVML ha) / 0.76 (glibc)
    "expm1": 4.0,  # measured 0.53 / 0.81
    "tanh": 4.0,  # measured 1.17 (Highway port of SVML la, documented <= 4 ulp), on every path
    "sinh": 4.0,  # measured 0.83 / 1.90 (glibc, near the overflow threshold 710.4758...)
    "cosh": 4.0,  # measured 0.75 / 1.91 (glibc, near the overflow threshold)
    "atan": 4.0,  # measured 0.56 / 0.51
    "sin": 4.0,  # measured 0.51 for |x| <= 2**26, hardest arguments included; beyond: [-1, 1]
    "cos": 4.0,  # measured 0.56 (same; glibc is 7.95 ulps off at x = 6381956970095103 * 2**797)
    "sqrt": 0.5,  # IEEE 754: correctly rounded
    "erf": 8.0,  # scipy.special.erf (Cephes): measured 2.74 (near x = 0.84, where Cephes switches method)
    "power": 4.0,  # np.power(x, q), x >= 0: measured 0.73 (SVML ha) / 0.51 (glibc); q = 2, 1/2 exact rounding
}

#: functions numpy computes, by the names used here
_NUMPY = {"exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "tanh": np.tanh,
          "sinh": np.sinh, "cosh": np.cosh, "atan": np.arctan, "sin": np.sin, "cos": np.cos,
          "sqrt": np.sqrt, "erf": scipy.special.erf, "power": np.power}

#: increasing on their whole domain (``power`` for q > 0): the image of an interval is the hull of the
#: endpoint images
_INCREASING = frozenset({"exp", "log", "log1p", "expm1", "tanh", "sinh", "atan", "sqrt", "erf"})

ETA = 2.0**-1074  # smallest positive subnormal
DBL_MAX = float(np.finfo(np.float64).max)
_ULP_MAX = 2.0**971  # ulp(DBL_MAX)
#: sin/cos enclosures use numpy's value only for |x| ≤ this (module docstring); beyond it they are [−1, 1]
SIN_COS_MAX_ARG = 2.0**26
#: the float64 just above π/2 (float(π/2) = 1.5707963267948966 lies below π/2 = 1.57079632679489661923…)
HALF_PI_UP = float(np.nextafter(1.5707963267948966, np.inf))


def _overflow_floor(k: float) -> float:
    """Largest float ≤ DBL_MAX − k·ulp(DBL_MAX): by (A2), a result that overflowed to +∞ is at least this."""
    return float(np.nextafter(DBL_MAX - k * _ULP_MAX, -np.inf))


def supported() -> tuple[str, ...]:
    """Names :func:`enclose` accepts."""
    return tuple(ULP_BOUND)


def _check_name(name) -> str:
    if not isinstance(name, str) or name not in ULP_BOUND:
        why = ("tan has poles inside the float range and no enclosure is offered; use the 'ball' arithmetic"
               if name == "tan" else "no rigorous float64 enclosure is offered for it")
        raise ArithmeticNotSupportedError(
            f"enclose: unsupported function {name!r} ({why}); supported: {', '.join(ULP_BOUND)}")
    return name


def _check_q(name: str, q) -> float | None:
    if name != "power":
        if q is not None:
            raise InputError(f"enclose: q is the exponent of 'power' only, got q={q!r} for {name!r}")
        return None
    if q is None:
        raise InputError("enclose('power', x, q): the exponent q is required")
    if isinstance(q, bool) or not isinstance(q, numbers.Real):
        raise InputError(f"enclose('power', x, q): q must be a real number, got {q!r} ({type(q).__name__})")
    try:
        qf = float(q)
    except (OverflowError, ValueError, TypeError):
        raise InputError(f"enclose('power', x, q): q = {q!r} is not a float64 number") from None
    if not np.isfinite(qf):
        raise InputError(f"enclose('power', x, q): q must be finite, got {q!r}")
    if _not_exact(q, qf):
        raise InputError(f"enclose('power', x, q): q = {q!r} is not exactly a float64; the enclosure is of "
                         f"x**q for a float64 q, so pass float(q) = {qf!r} deliberately if that is what you mean")
    return qf


def _not_exact(q, qf: float) -> bool:
    """q (a real number: float, numpy float, int, Fraction, …) differs from the float64 qf."""
    if type(q) is float or isinstance(q, np.float64 | np.float32 | np.float16):
        return False  # a float64 (or narrower) number is exactly its float
    from fractions import Fraction
    try:
        exact = Fraction(*q.as_integer_ratio()) if hasattr(q, "as_integer_ratio") else Fraction(q)
        return exact != Fraction(qf)
    except (TypeError, ValueError, OverflowError):
        return True


def _as_float64(x, what: str) -> np.ndarray:
    """``x`` as a float64 ndarray, converted only when the conversion is exact."""
    a = np.asarray(x)
    kind = a.dtype.kind
    if a.dtype == np.float64:
        return a
    if kind == "f" and a.dtype.itemsize <= 8:
        return a.astype(np.float64)  # float16/float32 → float64 is exact
    if kind in "biu":
        f = a.astype(np.float64)
        with np.errstate(all="ignore"):
            ok = kind == "b" or bool(np.all(f.astype(a.dtype) == a)) and bool(np.all(np.abs(f) < 2.0**63))
        if ok:
            return f
        raise InputError(f"{what}: integers beyond 2**53 are not exact float64 values")
    raise InputError(f"{what} must be a float64 array (or exactly convertible to one), got dtype {a.dtype}")


_PROBE_MUL = (np.array([2.0**-1022, 2.0**-1074]), np.array([0.5, 2.0]))
_PROBE_MUL_WANT = np.array([2.0**-1023, 2.0**-1073])
_PROBE_ADD = (np.array([1.0, 1.0, -1.0, -1.0]), np.array([2.0**-54, 3 * 2.0**-54, -(2.0**-54), -3 * 2.0**-54]))
_PROBE_ADD_WANT = np.array([1.0, 1.0 + 2.0**-52, -1.0, -1.0 - 2.0**-52])


def check_fp_environment() -> None:
    """Raise :class:`~verify.errors.EnclosureError` unless float64 arithmetic in this thread rounds to
    nearest with gradual underflow (no flush-to-zero / denormals-are-zero), which the error model assumes.

    Probes: 2**-1022 · ½ must be the subnormal 2**-1023 (FTZ gives 0), 2**-1074 · 2 must be 2**-1073 (DAZ
    gives 0), 1 + 2**-54 must be 1 (not 1 + 2**-52: rounding up) and 1 + 3·2**-54 must be 1 + 2**-52 (not
    1: rounding down or toward zero); the same with signs flipped."""
    m = np.multiply(*_PROBE_MUL)
    a = np.add(*_PROBE_ADD)
    if not (np.array_equal(m, _PROBE_MUL_WANT) and np.array_equal(a, _PROBE_ADD_WANT)):
        raise EnclosureError(
            "the floating-point environment of this thread is not IEEE round-to-nearest with gradual "
            "underflow (a library switched on flush-to-zero/denormals-are-zero or changed the rounding "
            "mode): float64 enclosures would not be valid; use the 'ball' arithmetic")


def _up(a):
    return np.nextafter(a, np.inf)


def _down(a):
    return np.nextafter(a, -np.inf)


def _radius_coefficient(k: float) -> float:
    """The float a ≥ (k + 1)·2**-52 nearest to it (checked exactly): see :func:`_bounds_of_value`."""
    from fractions import Fraction
    a = (k + 1) * 2.0**-52
    while Fraction(a) < (Fraction(k) + 1) * Fraction(2) ** -52:
        a = float(np.nextafter(a, np.inf))
    return a


_RADIUS = {name: _radius_coefficient(k) for name, k in ULP_BOUND.items()}
_TINY = 2.0**-969  # below it, (K + 1)·2**-52·|y| would be subnormal


def _bounds_of_value(y: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """An interval containing ``[y − K·ulp(y) − K·η, y + K·ulp(y) + K·η]`` (error model (A1)) for a flat
    float64 array y; (A2) at y = ±∞.

    For ``|y| ≥ 2**-969`` (the main path): ``lo = fl(y − s)``, ``hi = fl(y + s)``, ``s = fl(a·|y|)`` with
    ``a ≥ (K + 1)·2u``, u = 2**-53. Proof (round-to-nearest: ``fl(z) = z(1 + δ)``, |δ| ≤ u, for a normal
    result; Higham 2002, §2.2): a|y| ≥ 2**-1021 is normal, so ``s ≥ (1 − u)a|y|``, and
    ``lo ≤ y − s + u|y − s| ≤ y − s(1 − u) + u|y|``; it suffices that ``s(1 − u) − u|y| ≥ K·ulp(y) + K·η``,
    true because ``ulp(y) ≤ 2u|y|``, ``η ≤ 2**-52·u|y|`` and ``(1 − u)²(2K + 2) ≥ 2K + 1 + K·2**-52``. The
    same for ``hi``. No ``nextafter``, no subnormal operand (both slow): four vectorised passes, in the
    a-priori style of Rump, BIT 39 (1999). The radius is (K + 1) to 2(K + 1) ulps of y.

    For ``|y| < 2**-969`` (rare: underflowing results): ``r = K·ulp(y) + K·η`` and ``y ∓ r``, each
    operation rounded outward by one ``np.nextafter`` step (one step passes the exact value of a
    correctly rounded operation), on those entries only."""
    a = _RADIUS[name]
    ay = np.abs(y)
    tiny = ay < _TINY
    ay *= a
    lo = y - ay
    hi = np.add(y, ay, out=ay)  # one allocation less (large fresh arrays cost page faults)
    if tiny.any():
        i = np.flatnonzero(tiny)
        yi = y[i]
        k = ULP_BOUND[name]
        r = _up(_up(k * np.spacing(np.abs(yi))) + _up(k * ETA))
        lo[i], hi[i] = _down(yi - r), _up(yi + r)
    inf = np.isinf(y)
    if inf.any():
        floor = _overflow_floor(ULP_BOUND[name])
        lo[y == np.inf], hi[y == np.inf] = floor, np.inf
        lo[y == -np.inf], hi[y == -np.inf] = -np.inf, -floor
    return lo, hi


#: where the exact facts of the module docstring can be sharper than K ulps: near f's zero or fixed point
_NEAR_ZERO = frozenset({"exp", "tanh", "atan", "sin", "erf", "sinh", "expm1", "log1p", "sqrt"})
_SMALL = 2.0**-20


def _clamp(name: str, lo: np.ndarray, hi: np.ndarray) -> None:
    """Range facts, in place: tanh, erf, sin, cos ∈ [−1, 1]; |atan| ≤ π/2; exp, sqrt, power ≥ 0;
    cosh ≥ 1; expm1 ≥ −1."""
    if name in ("tanh", "erf", "sin", "cos", "atan"):
        cap = HALF_PI_UP if name == "atan" else 1.0
        np.clip(lo, -cap, cap, out=lo)
        np.clip(hi, -cap, cap, out=hi)
    elif name in ("exp", "sqrt", "power"):
        np.maximum(lo, 0.0, out=lo)
    elif name == "cosh":
        np.maximum(lo, 1.0, out=lo)
    elif name == "expm1":
        np.maximum(lo, -1.0, out=lo)


def _tighten(name: str, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, q: float | None):
    """Intersect [lo, hi] with exact facts about f(x) (module docstring). NaN stays NaN.

    These facts are sharper than the K-ulp radius only near f's zero (x ≈ 0, or x ≈ 1 for log and power)
    or where y underflows, so they are applied to those entries only (cheap on large arrays); the
    enclosure is valid with or without them."""
    mx, mn = np.maximum, np.minimum
    pos, neg = x >= 0, x <= 0  # both true at ±0
    if name == "exp":
        lo = mx(lo, np.where(pos, 1.0, 0.0))
        hi = np.where(neg, mn(hi, 1.0), hi)
    elif name in ("tanh", "atan", "sin", "erf"):
        if name == "sin":  # |sin x| ≤ |x|
            c = np.abs(x)
            lo, hi = mx(lo, -c), mn(hi, c)
        else:  # the sign of x, and |f(x)| ≤ |x| for tanh and atan
            lo = np.where(pos, mx(lo, 0.0), lo)
            hi = np.where(neg, mn(hi, 0.0), hi)
            if name != "erf":
                lo = np.where(neg, mx(lo, x), lo)
                hi = np.where(pos, mn(hi, x), hi)
    elif name == "sinh":  # the sign of x and |sinh x| ≥ |x|
        lo = np.where(pos, mx(lo, x), lo)
        hi = np.where(neg, mn(hi, x), hi)
    elif name == "expm1":  # expm1(x) ≥ x, the sign of x
        lo = mx(lo, x)
        hi = np.where(neg, mn(hi, 0.0), hi)
    elif name == "log1p":  # log1p(x) ≤ x, the sign of x
        lo = np.where(pos, mx(lo, 0.0), lo)
        hi = mn(hi, x)
    elif name == "log":  # log(x) ≷ 0 as x ≷ 1
        lo = np.where(x >= 1, mx(lo, 0.0), lo)
        hi = np.where(x <= 1, mn(hi, 0.0), hi)
    elif name == "sqrt":
        hi = np.where(x == 0, 0.0, hi)
    elif name == "power":
        # x**q ≷ 1 as x ≷ 1 for q > 0 (reversed for q < 0); 0**q = 0 for q > 0
        above, below = (x >= 1, x <= 1) if q > 0 else (x <= 1, x >= 1)
        lo = np.where(above, mx(lo, 1.0), lo)
        hi = np.where(below, mn(hi, 1.0), hi)
        if q > 0:
            hi = np.where(x == 0, 0.0, hi)
    return lo, hi


#: functions not defined on the whole real line (np.power(NaN, 0) = 1, so power is checked for NaN too)
_RESTRICTED = frozenset({"log", "log1p", "sqrt", "power"})


def _outside_domain(name: str, x: np.ndarray, q: float | None) -> np.ndarray:
    """Boolean mask of the points outside the domain (NaN included)."""
    if name == "log":
        return ~(x > 0)
    if name == "log1p":
        return ~(x > -1)
    if name == "sqrt":
        return ~(x >= 0)
    if name == "power":
        return ~(x > 0) if q < 0 else ~(x >= 0)
    return np.isnan(x)


def _near_special(name: str, x: np.ndarray, q: float | None):
    """Entries where :func:`_tighten` can matter, or None if there are none."""
    if name in _NEAR_ZERO:
        sel = np.abs(x) < _SMALL
    elif name == "log":
        sel = np.abs(x - 1.0) < _SMALL
    elif name == "power" and q != 0:
        sel = (np.abs(x - 1.0) < _SMALL) | (x == 0)
    else:
        return None
    return sel if sel.any() else None


def enclose(name: str, x, q=None) -> tuple[np.ndarray, np.ndarray]:
    """Float64 arrays ``lo ≤ f(x) ≤ hi`` for the exact ``f`` at the exact float64 ``x``, elementwise.

    ``name`` is one of :data:`ULP_BOUND`'s keys (``"power"`` is ``x**q`` for x ≥ 0 and a float64 ``q``);
    ``x`` a float64 array of any shape (or a scalar; float16/32, bool and integer arrays are converted when
    the conversion is exact). One numpy call evaluates ``y = f̃(x)``; then an interval containing
    ``[y − K·ulp(y) − K·η, y + K·ulp(y) + K·η]`` (error model (A1), K = ``ULP_BOUND[name]``; its radius is
    (K + 1) to 2(K + 1) ulps of y, see :func:`_bounds_of_value`), an overflowed ``y = ±∞`` gives
    ``[DBL_MAX − K·ulp(DBL_MAX), +∞]`` (A2), intersected with exact facts about ``f``; ``sin``/``cos`` at
    |x| > :data:`SIN_COS_MAX_ARG` give [−1, 1].

    Returns ``(lo, hi)``, float64 arrays of ``x``'s shape. Entries with ``lo = hi = NaN`` are NaN marks:
    ``x`` is NaN or outside the domain (``log``: x ≤ 0; ``log1p``: x ≤ −1; ``sqrt``: x < 0; ``power``:
    x < 0, or x = 0 with q < 0; ``sin``/``cos`` at ±∞) — the caller must turn them into an error or an
    infinite radius. Raises :class:`~verify.errors.ArithmeticNotSupportedError` for an unsupported name
    (``tan``) and :class:`~verify.errors.EnclosureError` if the floating-point environment is not
    round-to-nearest with gradual underflow.

    >>> lo, hi = enclose("exp", [0.0, 1.0])
    >>> bool(lo[1] < 2.718281828459045 < hi[1]), float(lo[0]), float(hi[0]) >= 1.0
    (True, 1.0, True)
    >>> enclose("log", -1.0)
    (array(nan), array(nan))
    """
    name = _check_name(name)
    qf = _check_q(name, q)
    x = _as_float64(x, f"enclose({name!r}, x)")
    check_fp_environment()
    with np.errstate(all="ignore"):
        y = _NUMPY[name](x, np.float64(qf)) if name == "power" else _NUMPY[name](x)
        y = np.asarray(y, dtype=np.float64).reshape(-1)  # flat (a view: y is fresh)
        lo, hi = _bounds_of_value(y, name)
        xs = x.reshape(-1)  # a copy only if x is not contiguous
        _clamp(name, lo, hi)
        if name == "power" and qf == 0:
            lo[...], hi[...] = 1.0, 1.0  # x**0 = 1 (and 0**0 = 1 by convention)
        sel = _near_special(name, xs, qf)
        if sel is not None:
            sel = np.flatnonzero(sel)
            lo[sel], hi[sel] = _tighten(name, xs[sel], lo[sel], hi[sel], qf)
        if name in ("sin", "cos"):
            huge = np.abs(xs) > SIN_COS_MAX_ARG  # no trusted error bound there (module docstring)
            if huge.any():
                lo[huge], hi[huge] = -1.0, 1.0
        bad = np.isnan(y)  # f(NaN) = NaN, sin(±∞) = NaN
        if name in _RESTRICTED:
            bad |= _outside_domain(name, xs, qf)
        if bad.any():
            lo[bad], hi[bad] = np.nan, np.nan
    return lo.reshape(x.shape), hi.reshape(x.shape)


def _interval(name: str, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    lo = _as_float64(lo, f"enclose_monotone({name!r}, lo, hi): lo")
    hi = _as_float64(hi, f"enclose_monotone({name!r}, lo, hi): hi")
    try:
        lo, hi = np.broadcast_arrays(lo, hi)
    except ValueError:
        raise InputError(f"enclose_monotone({name!r}, lo, hi): lo has shape {lo.shape} and hi {hi.shape}, "
                         "which do not broadcast") from None
    if np.any(lo > hi):
        i = tuple(int(j) for j in np.argwhere(lo > hi)[0])
        raise InputError(f"enclose_monotone({name!r}, lo, hi): lo > hi at index {i} "
                         f"({float(lo[i])!r} > {float(hi[i])!r}); an interval needs lo ≤ hi")
    return lo, hi


def _mark(flo, fhi, bad):
    if np.any(bad):
        flo = np.where(bad, np.nan, flo)
        fhi = np.where(bad, np.nan, fhi)
    return np.asarray(flo, dtype=np.float64), np.asarray(fhi, dtype=np.float64)


def enclose_monotone(name: str, lo, hi, q=None) -> tuple[np.ndarray, np.ndarray]:
    """Float64 arrays ``(flo, fhi)`` with ``flo ≤ f(t) ≤ fhi`` for every real ``t ∈ [lo, hi]``, elementwise.

    * increasing functions (``exp, log, log1p, expm1, tanh, sinh, atan, sqrt, erf``; ``power`` with
      q > 0, and q = 0 where it is the constant 1): ``[lower(f(lo)), upper(f(hi))]`` from :func:`enclose`;
      ``power`` with q < 0 is decreasing on (0, ∞): ``[lower(f(hi)), upper(f(lo))]``;
    * ``cosh`` (even, increasing on [0, ∞)): ``[lower(cosh(mig)), upper(cosh(mag))]`` with the mignitude
      ``mig = min |t|`` (0 if the interval contains 0) and magnitude ``mag = max |t|``;
    * ``sin``/``cos``: with m ∈ [lo, hi] the float midpoint and ρ ≥ max(m − lo, hi − m) rounded up,
      ``|f(m + t) − f(m)| ≤ min(ρ, ρ·|f'(m)| + ρ²/2)`` for |t| ≤ ρ (Lipschitz 1, and Taylor with
      |f''| ≤ 1); where the same bound shows f' has one sign on the interval, f is monotone there and the
      endpoint enclosures are used; everything is intersected with [−1, 1] (an unbounded interval gives
      [−1, 1]). No range reduction by π is attempted.

    Infinite endpoints are allowed (the enclosures at ±∞ are those of the limits). Entries with NaN
    endpoints, or intervals leaving the domain (``log`` with lo ≤ 0, ``sqrt`` with lo < 0, …), are NaN
    marks, as in :func:`enclose`. ``lo > hi`` raises :class:`~verify.errors.InputError`.

    >>> flo, fhi = enclose_monotone("tanh", -1.0, 2.0)
    >>> bool(flo < -0.7615941559557649 and fhi > 0.9640275800758169)
    True
    """
    name = _check_name(name)
    qf = _check_q(name, q)
    lo, hi = _interval(name, lo, hi)
    with np.errstate(all="ignore"):
        if name in _INCREASING or name == "power":
            l2, h2 = enclose(name, np.stack([lo, hi]), qf)
            if name == "power" and qf < 0:
                flo, fhi = l2[1], h2[0]
            else:
                flo, fhi = l2[0], h2[1]
            return _mark(flo, fhi, np.isnan(flo) | np.isnan(fhi))
        if name == "cosh":
            mig = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
            mag = np.maximum(np.abs(lo), np.abs(hi))
            l2, h2 = enclose("cosh", np.stack([mig, mag]))
            return _mark(l2[0], h2[1], np.isnan(lo) | np.isnan(hi))
        return _sin_cos(name, lo, hi)


def _sin_cos(name: str, lo: np.ndarray, hi: np.ndarray):
    """Range of sin/cos over [lo, hi] (see :func:`enclose_monotone`)."""
    finite = np.isfinite(lo) & np.isfinite(hi)
    m = np.where(finite, lo * 0.5 + hi * 0.5, 0.0)
    m = np.where(finite, np.minimum(np.maximum(m, lo), hi), 0.0)  # m ∈ [lo, hi] whatever the rounding
    rad = np.where(finite, _up(np.maximum(m - lo, hi - m)), np.inf)
    pts = np.stack([lo, hi, m])
    pts = np.where(np.isfinite(pts), pts, 0.0)  # values at infinite endpoints are never used
    sl, sh = enclose("sin", pts)
    cl, ch = enclose("cos", pts)
    if name == "sin":
        fl, fh, dl, dh = sl, sh, cl, ch  # f = sin, f' = cos
    else:
        fl, fh, dl, dh = cl, ch, -sh, -sl  # f = cos, f' = −sin
    # |f(m + t) − f(m)| ≤ min(ρ, ρ|f'(m)| + ρ²/2); the same for f' (|f'''| ≤ 1 too, |f''(m)| = |f(m)|)
    dm = np.minimum(np.maximum(np.abs(dl[2]), np.abs(dh[2])), 1.0)  # ≥ |f'(m)|
    fm = np.minimum(np.maximum(np.abs(fl[2]), np.abs(fh[2])), 1.0)  # ≥ |f(m)| = |f''(m)|
    half_sq = _up(_up(rad * rad) * 0.5)
    b = np.minimum(rad, _up(_up(rad * dm) + half_sq))
    bd = np.minimum(rad, _up(_up(rad * fm) + half_sq))
    flo = np.maximum(_down(fl[2] - b), -1.0)
    fhi = np.minimum(_up(fh[2] + b), 1.0)
    # f' > 0 on the interval: increasing; f' < 0: decreasing (then the endpoint enclosures are tighter)
    inc = finite & (_down(dl[2] - bd) > 0)
    dec = finite & (_up(dh[2] + bd) < 0)
    flo = np.where(inc, np.maximum(flo, fl[0]), np.where(dec, np.maximum(flo, fl[1]), flo))
    fhi = np.where(inc, np.minimum(fhi, fh[1]), np.where(dec, np.minimum(fhi, fh[0]), fhi))
    flo = np.where(finite, flo, -1.0)
    fhi = np.where(finite, fhi, 1.0)
    return _mark(flo, fhi, np.isnan(lo) | np.isnan(hi))


__all__ = ["ULP_BOUND", "ETA", "DBL_MAX", "HALF_PI_UP", "SIN_COS_MAX_ARG", "enclose", "enclose_monotone",
           "check_fp_environment", "supported"]
