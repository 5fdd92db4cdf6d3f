"""ball64 (float64 midpoint-radius balls) against float64 and Arb: gradients, Hessians, GD-map non-singularity.

The timings behind issue 13's targets, all measured in one run, with ratios against baselines of the same run.

    python benchmarks/bench_ball64.py [--quick] [--repeat 5] [--clock cpu|wall] [--no-public]

Setting: ``vf.SquareLoss`` on one-hidden-layer MLPs ``vf.MLP([d, m, 1], act)`` (no biases, p = m(d + 1)),
n = 50 data points x ~ N(0, I/d), y ~ N(0, 1), θ with weights ~ N(0, 1/fan-in) (a generic point: no ReLU
pre-activation is near 0). Arb balls at 128 bits. Everything runs on one thread: BLAS pinned with
threadpoolctl, FLINT's matrix kernels with ``VERIFY_THREADS=1`` (set by this script), so ratios compare
the work of one core.

What is timed (each line of the output names it):

1. **gradient** ``loss.grad(θ, arith)`` for a tanh MLP at p ≈ 10³ (19-50-1), 10⁴ (99-100-1) and 10⁵
   (199-500-1): ``"float"``, ``"ball64"``, and Arb (``"ball"``, 128 bits) at p ≤ 10⁴. Printed: ball64/float
   (target ≤ 10×) and Arb/ball64 (target ≥ 30× at p = 10⁴), the largest ball64 radius and an exact check that
   every ball64 entry meets the Arb ball of the same entry (both enclose the true value, so they must);
2. **Hessian** ``loss.hessian(θ, arith)`` at p = 1,000 (tanh 19-50-1): float, ball64, Arb; ball64/float
   (target ≤ 10×);
3. **certified non-singularity** of DG_η(θ) = I − η∇²L(θ) at η = 1/10 (the GD map, arXiv:2510.24466 §2), for
   tanh and ReLU networks at p = 1,000 (19-50-1) and p = 5,000 (49-100-1):

   * *today's Arb path* — the certified core of ``vf.gdmap.check_nonsingular`` before issue 13: the Arb
     Jacobian ``GDMap(loss, η).jacobian(θ, "ball", 128)`` (θ as exact rationals), its determinant as an
     ``arb_mat`` at 128 bits, decided ≠ 0 on exact endpoints (``verify.gdmap.nonsingular._nonzero``);
   * *the ball64 route* — ``GDMap(loss, η).jacobian(θ, "ball64")`` and the regularity test
     ``verify.arith.linalg64.regular(J)`` (R ≈ mid(J)⁻¹ in float64, a rigorous bound ‖I − R·J‖ < 1 proves every
     matrix in J non-singular: Rump, "Verification methods", Acta Numerica 19 (2010) §10, and Rump, "Fast
     and parallel interval arithmetic", BIT 39 (1999));

   printed: both times (with the Jacobian/decision split), the speed-up (target ≥ 30× at p = 1,000), and the
   ball64 time at p = 5,000 (target ≤ 60 s; that call takes > 10 s, so its sample is the first call in the
   process, which includes seconds of kernel time faulting in fresh pages for its ~2 GB of arrays — a second
   call is printed too). The Arb path is not run at p = 5,000; its time is estimated as
   t_Jacobian(1000)·5² + t_det(1000)·5³ (the Hessian costs O(n p²), the determinant O(p³)), both from this run;
4. **the public call** ``vf.gdmap.check_nonsingular(loss, η, regions=[θ])`` at p = 1,000 (and at 5,000 when a
   ball64 rung decided at 1,000), with the precision-ladder rung that decided (``Result.rung``; empty when
   the call has no ladder). ``--no-public`` skips it.

Not here: the Arb GD-step target (1,000 steps at p = 100) is ``benchmarks/bench_arb_path.py``; the executor
speed-ups (``check_nonsingular(samples=200)``, the branch-and-bound with 2 workers) are
``benchmarks/bench_parallel.py``.

**Timing.** Process CPU time (``--clock wall`` for wall-clock; with one thread they agree on an idle machine,
and CPU time is not inflated by other processes on a shared one). Every configuration is called once untimed
(caches: data converted to the arithmetic, engines, compiled activations) unless that call takes ≥ 10 s, then:
calls under 40 ms are timed in batches of k back-to-back calls (k so that a batch takes ≥ 10 ms) and the
per-call time is the median over ≥ 21 batches (``--repeat`` if larger) — the float baselines are 0.1–5 ms
calls, whose single timings jump by 10× with two BLAS threads (issue 13); calls of 40 ms – 1 s: median of
``--repeat`` (default 5) calls; 1 – 10 s: median of 3; longer: the single call (its first). The spread
(±: half the interquartile range of the batches or calls over the median; for 3 calls half the range) is
printed next to the float and ball64 timings. Ratios are of medians measured in the same run. ``--quick``:
p ≈ 10³ gradients and Hessian, non-singularity at p = 300 only (~15 s; its target rows name p = 300).

Measured 2026-12 (2 cores shared with other helpers' test runs, load 2–4; CPU times; sub-ms calls vary by
±30 % between runs), with activations evaluated on whole arrays (one numpy call per expression node):
gradient ball64/float 6.0× / 4.4× / 3.8× at p = 10³ / 10⁴ / 10⁵ (float 69 µs / 189 µs / 762 µs), Arb/ball64
104× at p = 10⁴; Hessian ball64/float 4.6× at p = 1,000 (Arb 204× float); non-singularity at p = 1,000: Arb path
14.3 s (det 13.5 s of it) against ball64 0.20 s, 70× (tanh) and 81× (ReLU); p = 5,000: ball64 23.6 s first
call, 20.8 s second (Arb path ≈ 28 min by the estimate). Earlier the same day (tanh and 1 − tanh² enclosed
separately, the square by endpoint products: ~75 % of a ball64 gradient) the gradient ratios were 17–24×.
``check_nonsingular`` had no ball64 rung yet (rung empty, 15.5–16 s at p = 1,000). The whole run: 3–4.5 min.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from fractions import Fraction

os.environ["VERIFY_THREADS"] = "1"  # FLINT's matrix kernels on one thread, like BLAS (read at each Arb call)

import _timing  # noqa: E402  (benchmarks/_timing.py: medians on the chosen clock)
import flint  # noqa: E402
import numpy as np  # noqa: E402
from _timing import clock, fmt_r, fmt_t, timed  # noqa: E402, F401
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import verify as vf  # noqa: E402
from verify.arith import get_arith  # noqa: E402
from verify.arith.decide import bounds as arb_bounds  # noqa: E402
from verify.arith.eigen import to_arb_mat  # noqa: E402
from verify.gdmap import GDMap  # noqa: E402

try:
    from verify.gdmap.nonsingular import _nonzero
except ImportError:  # pragma: no cover - the helper moved: decide the sign directly
    from verify.arith.decide import sign as _sign

    def _nonzero(d) -> bool:
        try:
            return _sign(d) in (-1, 1)
        except vf.errors.UncertifiedValueError:
            return False

N_DATA = 50
PREC = 128
ETA = Fraction(1, 10)

#: p -> (d, m) of the MLP d-m-1 (no biases: p = m(d + 1))
SHAPES = {300: (14, 20), 1000: (19, 50), 5000: (49, 100), 10_000: (99, 100), 100_000: (199, 500)}
GRAD_ARB_MAX = 10_000  # Arb gradients at p ≤ this


# ------------------------------------------------------------------------------------------ problems
def problem(p: int, act: str, seed: int):
    """(label, loss, θ float64 array) for the d-m-1 MLP with p parameters."""
    d, m = SHAPES[p]
    rng = np.random.default_rng(seed)
    net = vf.MLP([d, m, 1], act)
    X = rng.normal(size=(N_DATA, d)) / np.sqrt(d)
    loss = vf.SquareLoss(net, vf.Dataset(X, rng.normal(size=N_DATA)))
    theta = np.concatenate([rng.normal(size=d * m) / np.sqrt(d), rng.normal(size=m) / np.sqrt(m)])
    assert theta.size == net.n_params == p
    return f"{d}-{m}-1 {act}", loss, theta


# ------------------------------------------------------------------------------------------ checks
CHECK_ENTRIES = 2000


def b64_meets_arb(g64, garb) -> str:
    """Does each ball64 entry meet the Arb ball of the same entry (exact rational endpoints)? Both enclose the
    true value, so a miss is a soundness bug in one of them. Checked on every entry of arrays of ≤ 2,000
    entries, else on 2,000 (the 1,000 widest ball64 entries and 1,000 random ones): "yes"/"NO" and how many."""
    mid, rad = g64.mid.ravel(), g64.rad.ravel()
    arb = np.asarray(garb, dtype=object).ravel()
    if mid.size <= CHECK_ENTRIES:
        idx = np.arange(mid.size)
    else:
        rng = np.random.default_rng(0)
        idx = np.unique(np.concatenate([np.argsort(rad)[-CHECK_ENTRIES // 2:],
                                        rng.choice(mid.size, CHECK_ENTRIES // 2, replace=False)]))
    for i in idx:
        m, r = Fraction(float(mid[i])), Fraction(float(rad[i]))
        la, ha = arb_bounds(arb[i])
        if ha < m - r or m + r < la:
            return f"NO (entry {i})"
    return f"yes ({len(idx):,}{'' if len(idx) == mid.size else ' checked'})"


def max_rad(x) -> float:
    return float(np.max(x.rad)) if x.size else 0.0


# ------------------------------------------------------------------------------------------ 1. gradients
def bench_gradients(sizes, repeat: int, targets: list) -> None:
    print("\n1. gradient  loss.grad(θ, arith) — SquareLoss, tanh MLP, n = 50")
    print(f"{'p':>7} {'net':<14} {'float':>9} {'(timing)':<28} {'ball64':>9} {'(timing)':<28} {'Arb128':>9} "
          f"{'b64/float':>9} {'Arb/b64':>8} {'b64 rad':>8}  b64∩Arb")
    for p in sizes:
        label, loss, th = problem(p, "tanh", p)
        tf = timed(lambda loss=loss, th=th: loss.grad(th, "float"), repeat)
        tb = timed(lambda loss=loss, th=th: loss.grad(th, "ball64"), repeat)
        ta = timed(lambda loss=loss, th=th: loss.grad(th, "ball", PREC), repeat) if p <= GRAD_ARB_MAX else None
        r_bf = tb.median / tf.median
        r_ab = ta.median / tb.median if ta else None
        meets = b64_meets_arb(tb.out, ta.out) if ta else "—"
        print(f"{p:>7} {label:<14} {fmt_t(tf.median):>9} {'(' + tf.detail() + ')':<28} {fmt_t(tb.median):>9} "
              f"{'(' + tb.detail() + ')':<28} {fmt_t(ta.median if ta else None):>9} {fmt_r(r_bf):>9} "
              f"{fmt_r(r_ab):>8} {max_rad(tb.out):>8.1e}  {meets}")
        targets.append((f"gradient ball64/float ≤ 10× at p = {p:,}", fmt_r(r_bf), r_bf <= 10))
        if p == 10_000 and r_ab is not None:
            targets.append(("gradient Arb(128)/ball64 ≥ 30× at p = 10,000", fmt_r(r_ab), r_ab >= 30))


# ------------------------------------------------------------------------------------------ 2. Hessian
def bench_hessian(p: int, repeat: int, targets: list) -> None:
    label, loss, th = problem(p, "tanh", p)
    print(f"\n2. Hessian  loss.hessian(θ, arith) — SquareLoss, {label}, p = {p:,}, n = 50")
    tf = timed(lambda: loss.hessian(th, "float"), repeat)
    tb = timed(lambda: loss.hessian(th, "ball64"), repeat)
    ta = timed(lambda: loss.hessian(th, "ball", PREC), repeat)
    r_bf = tb.median / tf.median
    print(f"  float  {fmt_t(tf.median):>9}  ({tf.detail()})")
    print(f"  ball64 {fmt_t(tb.median):>9}  ({tb.detail()}); largest radius {max_rad(tb.out):.1e}; "
          f"entries meet the Arb balls: {b64_meets_arb(tb.out, ta.out)}")
    print(f"  Arb128 {fmt_t(ta.median):>9}  ({ta.detail()})")
    print(f"  ball64/float {fmt_r(r_bf)}   Arb/ball64 {fmt_r(ta.median / tb.median)}   Arb/float "
          f"{fmt_r(ta.median / tf.median)}")
    targets.append((f"Hessian ball64/float ≤ 10× at p = {p:,}", fmt_r(r_bf), r_bf <= 10))


# ------------------------------------------------------------------------------------------ 3. non-singularity
def arb_route(loss, theta_q, split: dict):
    """Today's Arb path: the Arb Jacobian I − η∇²L(θ) at 128 bits, its arb_mat determinant decided ≠ 0."""
    a = get_arith("ball", PREC)
    t0 = clock()
    D = GDMap(loss, ETA).jacobian(theta_q, a, PREC)
    t1 = clock()
    with a.context():
        d = to_arb_mat(D).det()
    ok = _nonzero(d)
    split.setdefault("jac", []).append(t1 - t0)
    split.setdefault("decide", []).append(clock() - t1)
    return ok


def b64_route(loss, theta, split: dict):
    """The ball64 route: the ball64 Jacobian and the regularity test of linalg64 (None: not decided)."""
    from verify.arith import linalg64

    t0 = clock()
    J = GDMap(loss, ETA).jacobian(theta, "ball64")
    t1 = clock()
    try:
        bound = linalg64.regular(J)
    except vf.errors.VerifyError as e:  # an undecided rung (e.g. a non-finite enclosure): report, not crash
        bound = e
    split.setdefault("jac", []).append(t1 - t0)
    split.setdefault("decide", []).append(clock() - t1)
    return bound


def _b64_verdict(bound) -> str:
    if isinstance(bound, Exception):
        return f"undecided ({type(bound).__name__})"
    if bound is None:
        return "undecided"
    return f"PROVED (‖I − RJ‖ ≤ {float(bound):.2g})"


def bench_nonsingular(sizes_arb, sizes_b64, repeat: int, public: bool, targets: list) -> None:
    print(f"\n3. certified non-singularity of DG = I − η∇²L(θ), η = {ETA}  (SquareLoss, n = 50)")
    try:
        from verify.arith import linalg64  # noqa: F401
        have_l64 = True
    except ImportError as e:
        have_l64 = False
        print(f"  verify.arith.linalg64 is missing ({e}): the ball64 route is not timed")
    arb_at: dict = {}
    rows = []
    for act in ("tanh", "relu"):
        for p in sorted(set(sizes_arb) | set(sizes_b64)):
            label, loss, th = problem(p, act, p + (1 if act == "relu" else 0))
            thq = np.array([Fraction(float(x)) for x in th], dtype=object)
            row = {"p": p, "label": label, "act": act}
            if p in sizes_arb:
                split: dict = {}
                t = timed(lambda loss=loss, thq=thq, split=split: arb_route(loss, thq, split), repeat)
                row["arb"] = t
                row["arb_ok"] = t.out
                row["arb_split"] = {k: statistics.median(v) for k, v in split.items()}
                arb_at[act, p] = row
            if p in sizes_b64 and have_l64:
                split = {}
                t = timed(lambda loss=loss, th=th, split=split: b64_route(loss, th, split), repeat, again=True)
                row["b64"] = t
                if t.again is None:
                    row["b64_split"] = {k: statistics.median(v) for k, v in split.items()}
                else:  # the first (cold) call, and the second
                    row["b64_split"] = {k: v[0] for k, v in split.items()}
                    row["b64_again"] = (t.again, {k: v[1] for k, v in split.items()})
            rows.append(row)
            print(f"  {label} p = {p:,} done", flush=True)
    print(f"\n  {'net':<16} {'p':>6} {'Arb path':>9} {'= Arb Jacobian + det':<24} {'verdict':<9} {'ball64':>9} "
          f"{'= b64 Jacobian + regular':<26} {'verdict':<28} {'speed-up':>8}")
    for r in rows:
        arb, b64 = r.get("arb"), r.get("b64")
        a_s, b_s = r.get("arb_split"), r.get("b64_split")
        est = ""
        if arb is None:
            base = arb_at.get((r["act"], max((q for (a, q) in arb_at if a == r["act"]), default=0)))
            if base is not None:
                f = r["p"] / base["p"]
                t_est = base["arb_split"]["jac"] * f**2 + base["arb_split"]["decide"] * f**3
                r["arb_est"] = t_est
                est = f"≈{fmt_t(t_est)} (est.)"
        arb_s = fmt_t(arb.median) if arb else est
        arb_sp = f"{fmt_t(a_s['jac'])} + {fmt_t(a_s['decide'])}" if a_s else ""
        arb_v = ("PROVED" if r["arb_ok"] else "undecided") if arb else ""
        b64_s = fmt_t(b64.median) if b64 else "—"
        b64_sp = f"{fmt_t(b_s['jac'])} + {fmt_t(b_s['decide'])}" if b_s else ""
        b64_v = _b64_verdict(b64.out) if b64 else ""
        t_arb = arb.median if arb else r.get("arb_est")
        sp = t_arb / b64.median if (b64 and t_arb) else None
        sp_s = (fmt_r(sp) + ("*" if arb is None else "")) if sp else "—"
        print(f"  {r['label']:<16} {r['p']:>6,} {arb_s:>9} {arb_sp:<24} {arb_v:<9} {b64_s:>9} {b64_sp:<26} "
              f"{b64_v:<28} {sp_s:>8}")
        if b64 is not None:
            proved = not isinstance(b64.out, Exception) and b64.out is not None
            if arb is not None and r["p"] == min(sizes_arb):  # 1,000 (300 with --quick)
                targets.append((f"non-singularity ({r['act']}) ≥ 30× faster than the Arb path at p = {r['p']:,}",
                                f"{fmt_r(sp)} ({fmt_t(arb.median)} → {fmt_t(b64.median)})", sp >= 30 and proved))
            if r["p"] == 5000:
                targets.append((f"non-singularity ({r['act']}) at p = 5,000 within 60 s",
                                f"{fmt_t(b64.median)} ({'proved' if proved else 'NOT proved'})",
                                b64.median <= 60 and proved))
    if any("arb_est" in r for r in rows):
        print("  * against an estimate of the Arb path: t_Jacobian(1000)·(p/1000)² + t_det(1000)·(p/1000)³")
    for r in rows:
        if "b64_again" in r:
            t2, sp = r["b64_again"]
            print(f"  {r['label']} p = {r['p']:,}: the ball64 time above is the first call in this process; a second "
                  f"call took {fmt_t(t2)} = {fmt_t(sp['jac'])} + {fmt_t(sp['decide'])}")
    if public:
        bench_public(rows, targets)


def bench_public(rows, targets: list) -> None:
    print(f"\n4. the public call  vf.gdmap.check_nonsingular(loss, η = {ETA}, regions=[θ])")
    by = {(r["act"], r["p"]): r for r in rows}
    for act in ("tanh", "relu"):
        ps = sorted(p for (a, p) in by if a == act)
        if not ps:
            continue
        p0 = min(ps, key=lambda q: abs(q - 1000))
        for p in ps:
            if p != p0 and not by[act, p0].get("public_b64"):
                continue  # larger sizes only when ball64 decided the first: the Arb ladder would take ~ the estimate
            label, loss, th = problem(p, act, p + (1 if act == "relu" else 0))
            t0 = clock()
            try:
                res = vf.gdmap.check_nonsingular(loss, ETA, regions=[th])
                verdict, rung = res.verdict.name, getattr(res, "rung", "") or "(none)"
            except vf.errors.VerifyError as e:
                verdict, rung = f"raised {type(e).__name__}: {str(e)[:80]}", ""
            t = clock() - t0
            by[act, p]["public_b64"] = rung == "ball64"
            ref = by[act, p].get("arb")
            vs = f"; {fmt_r(t / ref.median)} the time of the Arb path above" if ref else ""
            print(f"  {label:<16} p = {p:>6,}: {verdict}, rung {rung}, {fmt_t(t)} (1 call{vs})")
            if p == p0:
                targets.append((f"check_nonsingular ({act}): the ball64 rung decides at p = {p:,}",
                                f"rung {rung}, {fmt_t(t)}", rung == "ball64" and verdict == "PROVED"))


# ------------------------------------------------------------------------------------------ main
def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="p ≈ 10³ gradients and Hessian, non-singularity at p = 300 (a smoke run, < 1 min)")
    ap.add_argument("--repeat", type=int, default=5, help="calls per median for calls of 40 ms – 1 s (≥ 3)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="cpu: process CPU time (default; robust on a shared machine); wall: wall-clock time")
    ap.add_argument("--no-public", action="store_true", help="skip timing vf.gdmap.check_nonsingular itself")
    args = ap.parse_args(argv)
    _timing.set_clock(args.clock)
    repeat = max(3, args.repeat)
    if args.quick:
        grad_sizes, hess_p, ns_arb, ns_b64 = [1000], 1000, [300], [300]
    else:
        grad_sizes, hess_p, ns_arb, ns_b64 = [1000, 10_000, 100_000], 1000, [1000], [1000, 5000]
    t_start = time.perf_counter()
    targets: list = []
    with threadpool_limits(limits=1):
        blas = ", ".join(f"{i['internal_api']}={i['num_threads']}" for i in threadpool_info()) or "none found"
        print(f"bench_ball64: n = {N_DATA}, Arb at {PREC} bits, η = {ETA}; BLAS threads: {blas}; FLINT threads: "
              f"VERIFY_THREADS={os.environ['VERIFY_THREADS']} (flint.ctx.threads = {flint.ctx.threads}); "
              f"{_timing.CLOCK} time; numpy {np.__version__}, python-flint {flint.__version__}; "
              f"load average {_timing.load()}")
        bench_gradients(grad_sizes, repeat, targets)
        bench_hessian(hess_p, repeat, targets)
        bench_nonsingular(ns_arb, ns_b64, repeat, not args.no_public, targets)
    print("\nNot timed here: the Arb GD-step target (≥ 2.5× on 1,000 steps at p = 100) — see "
          "benchmarks/bench_arb_path.py; the executor speed-ups (≥ 1.7× with 2 workers) — see "
          "benchmarks/bench_parallel.py.")
    w = max(len(t[0]) for t in targets)
    print(f"\n{'target':<{w}} | {'measured':<34} | met?")
    print(f"{'-' * w}-+-{'-' * 34}-+-----")
    for name, measured, met in targets:
        print(f"{name:<{w}} | {measured:<34} | {'yes' if met else 'NO'}")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s wall; load average {_timing.load()}")


if __name__ == "__main__":
    main()
