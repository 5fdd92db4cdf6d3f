"""Layer-graph networks (CNN, softmax attention) against the MLP fast path: gradient and full Hessian in
float64 and Arb balls, and a certified non-singularity verdict, all measured in one run.

    python benchmarks/bench_layers.py [--sizes 300 1000] [--repeat 5] [--quick] [--profile]

For each target size p ≈ 300 and ≈ 1000 (n = 20 data points, balls at 128 bits, BLAS pinned to one
thread with threadpoolctl; python-flint runs on one thread by default) it times

* **MLP fast** — ``vf.MLP([d, m, 1], "tanh")`` through ``SquareLoss``: the closed-form layer-wise
  engine (``verify/models/layerwise.py``), the baseline;
* **MLP nn** — the same network built as ``vf.nn.Sequential(Dense(m), Act("tanh"), Dense(1))`` and used
  through the public loss API: a chain of dense layers is recognised and evaluated by the closed-form
  engine (the "MLP built through the graph" of issue 12; target ≤ 1.5× the MLP);
* **MLP graph** — the *same* MLP and loss evaluated through the generic layer-graph engine
  (``net.engine(a)``: reverse mode for ∇L, forward-over-reverse for ∇²L). The graph/MLP ratio is the
  overhead of the generic engine (issue 12 target: ≤ 1.5×);
* **CNN** — Conv2d(2→c, 3×3) + ReLU + MaxPool2d(2) + Flatten + Dense(3) on 2×8×8 inputs, SquareLoss;
* **attention** — SelfAttention(d_model, heads) + Flatten + Dense(2) on 4 tokens, CrossEntropyLoss;

for ``loss.grad`` and ``loss.hessian`` in ``"float"`` and ``"ball"``, and the certified verdict of
``vf.gdmap.check_nonsingular(loss, η = 1/10, regions=[θ])`` (det(I − η∇²L) ≠ 0 on θ's activation region,
arXiv:2510.24466 §2) with its time. If ``check_nonsingular`` raises for a network, the error is printed
and the certified part it would run is timed instead: the certified region of θ (``loss.region``), the
ball Jacobian I − η∇²L(θ) and its Arb determinant decided ≠ 0 (128 → 256 → 512 bits), marked
``det≠0*`` — a certified det ≠ 0 at θ, not the region-wide verdict.

Times are process CPU times (``--clock wall`` for wall-clock; with one thread they agree on an idle
machine, and CPU time is not inflated by other processes on a shared one), medians over ``--repeat``
calls (default 5; up to 51 for calls under 40 ms) when one call takes < 1 s, over 3 when it takes
< 20 s, else a single call. Ratios are against the MLP fast path at the same p, measured in the same
run. ``--quick`` runs p ≈ 100 only (a smoke run of well under a minute). ``--profile`` runs cProfile on
one call of the slowest certified configuration (ball Hessian or verdict) and prints the top 15
functions by own time and by cumulative time.

Measured 2026-12 (2 cores shared with other jobs, load ≈ 4; CPU times, ±40 % between runs), core at
083727e: p ≈ 1000 — MLP fast: ball Hessian 0.40 s, verdict 19 s (PROVED; the Arb determinant of the
1000 × 1000 matrix is ~15 s of it); MLP through the graph engine: ball Hessian 7.4× the fast path (float
14×; gradients 1.5–1.8×), against the 1.5× target; CNN (p = 1015): ball Hessian 54 s, verdict 75 s
(PROVED); attention (p = 1022): ball Hessian 15 s, verdict 31 s (PROVED). The whole run: ~10 min wall.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from fractions import Fraction

import _timing  # benchmarks/_timing.py: medians on the chosen clock
import flint
import numpy as np
from _timing import clock, fmt_r, fmt_t, timed
from threadpoolctl import threadpool_info, threadpool_limits

import verify as vf
from verify.arith.ball import radius_array
from verify.gdmap import GDMap
from verify.gdmap.nonsingular import _ball_det, _nonzero

nn = vf.nn
N_DATA = 20
PREC = 128
ETA = Fraction(1, 10)

# target p -> (MLP (d, m) with p = d·m + m, CNN channels c, attention (d_model, heads))
SIZES = {100: ((9, 10), 2, (4, 1)), 300: ((14, 20), 6, (8, 2)), 1000: ((24, 40), 22, (15, 3))}


# ------------------------------------------------------------------------------------------ networks
def _theta(net, rng) -> np.ndarray:
    """θ with each weight block ~ N(0, 1/fan_in) and each bias ~ N(0, 0.1²) (generic, no ties)."""
    th = np.empty(net.n_params)
    for b in net.layout.blocks:
        fan = int(np.prod(b.shape[1:])) if len(b.shape) > 1 else 0
        th[b.slice] = rng.normal(size=b.size) * (1 / np.sqrt(fan) if fan else 0.1)
    return th


def mlp_case(size: int, rng):
    d, m = SIZES[size][0]
    net = vf.MLP([d, m, 1], "tanh")
    X = rng.normal(size=(N_DATA, d)) / np.sqrt(d)
    loss = vf.SquareLoss(net, vf.Dataset(X, rng.normal(size=N_DATA)))
    return f"{d}-{m}-1 tanh", loss, _theta(net, rng)


def nn_twin(mloss):
    """The MLP of ``mloss`` built layer by layer with vf.nn (same θ order), with the same data and loss."""
    net = mloss.net
    layers = []
    for l in range(1, net.depth + 1):
        layers.append(vf.nn.Dense(net.widths[l], bias=net.bias))
        if l < net.depth:
            layers.append(vf.nn.Act(net.activations[l - 1]))
    twin = vf.nn.Sequential(*layers, input_shape=net.input_dim)
    return vf.SquareLoss(twin, mloss.data)


def cnn_case(size: int, rng):
    c = SIZES[size][1]
    net = nn.Sequential(nn.Conv2d(2, c, kernel=3), nn.Act("relu"), nn.MaxPool2d(2), nn.Flatten(), nn.Dense(3),
                        input_shape=(2, 8, 8))
    X = rng.normal(size=(N_DATA, *net.input_shape))
    loss = vf.SquareLoss(net, vf.Dataset(X, rng.normal(size=(N_DATA, net.output_dim))))
    return f"conv2→{c} relu pool", loss, _theta(net, rng)


def attention_case(size: int, rng):
    dm, heads = SIZES[size][2]
    net = nn.Sequential(nn.SelfAttention(dm, heads=heads), nn.Flatten(), nn.Dense(2), input_shape=(4, dm))
    X = rng.normal(size=(N_DATA, *net.input_shape))
    loss = vf.CrossEntropyLoss(net, vf.Dataset(X, rng.integers(0, net.output_dim, size=N_DATA)))
    return f"attn d{dm} h{heads} T4", loss, _theta(net, rng)


# ------------------------------------------------------------------------------------------ evaluators
def graph_grad(loss, theta, arith, prec=None):
    """∇L through the generic layer-graph engine (what NetworkLoss.value_and_grad does, minus the fast path)."""
    a, th = loss._prepare(theta, arith, prec)
    X, Y = loss.data.in_arith(a)
    eng = loss.net.engine(a)
    with a.context():
        fw = eng.forward(th, X, 1)
        _, l1 = loss._ell(eng.out(fw), Y, a, 1)
        return eng.vjp(th, X, l1, fw)


def graph_hessian(loss, theta, arith, prec=None):
    """∇²L through the generic layer-graph engine (forward-over-reverse on chunks of unit vectors)."""
    a, th = loss._prepare(theta, arith, prec)
    X, Y = loss.data.in_arith(a)
    eng = loss.net.engine(a)
    with a.context():
        return eng.loss_hessian(th, X, loss._ell_at(a, Y))


def fast_grad(loss, theta, arith, prec=None):
    return loss.grad(theta, arith, prec)


def fast_hessian(loss, theta, arith, prec=None):
    return loss.hessian(theta, arith, prec)


def certified_det(loss, theta):
    """The certified core of check_nonsingular at one point: θ's region decided with certainty, then
    det(I − η∇²L(θ)) as an Arb ball decided ≠ 0 at 128, 256, 512 bits. Returns (ok, prec, det)."""
    loss.region(theta)  # RegionBoundaryError if θ is on a kink / max-pool tie
    gmap = GDMap(loss, ETA)
    th = [Fraction(float(x)) for x in theta]
    d = None
    for prec in (128, 256, 512):
        d = _ball_det(gmap, th, prec)
        if _nonzero(d):
            return True, prec, d
    return False, 512, d


def verdict(loss, theta) -> tuple[str, str | None]:
    """(short verdict, error of check_nonsingular or None)."""
    try:
        r = vf.gdmap.check_nonsingular(loss, ETA, regions=[theta])
        return r.verdict.name, None
    except Exception as e:  # noqa: BLE001 — a benchmark reports what failed, then times the certified part
        err = f"{type(e).__name__}: {str(e).splitlines()[0][:110]}"
    ok, prec, _ = certified_det(loss, theta)
    return ("det≠0*" if ok else "det∋0*") + ("" if prec == 128 else f"@{prec}"), err


# ------------------------------------------------------------------------------------------ timing
COLS = [("grad", "float"), ("grad", "ball"), ("hess", "float"), ("hess", "ball")]


def run_row(kind: str, label: str, loss, theta, repeat: int, with_verdict: bool, log: list) -> dict:
    grad, hess = (graph_grad, graph_hessian) if kind == "MLP graph" else (fast_grad, fast_hessian)
    row = {"kind": kind, "label": label, "p": loss.n_params, "loss": type(loss).__name__.replace("Loss", ""),
           "loss_obj": loss, "theta": theta, "t": {}, "reps": {}}
    for arith in ("float", "ball"):
        loss.value(theta, arith, PREC if arith == "ball" else None)  # warm-up: data converted, engine built
    for what, arith in COLS:
        f = grad if what == "grad" else hess
        prec = PREC if arith == "ball" else None
        tm = timed(lambda f=f, arith=arith, prec=prec: f(loss, theta, arith, prec), repeat)
        t, n, out = tm.median, tm.samples, tm.out
        row["t"][what, arith], row["reps"][what, arith] = t, n
        if (what, arith) == ("hess", "ball"):
            row["rad"] = float(radius_array(out).max())
        if (what, arith) == ("hess", "float"):
            row["H_float"] = np.asarray(out, dtype=float)
    if with_verdict:
        t0 = clock()
        row["verdict"], err = verdict(loss, theta)
        row["t_verdict"] = clock() - t0
        if err:
            log.append(f"p={loss.n_params} {kind}: check_nonsingular raised {err}")
    else:
        row["verdict"], row["t_verdict"] = "(= MLP fast)", None  # the same network and loss
    return row


def print_tables(rows: list[dict]) -> None:
    print(f"\n{'net':<10} {'structure':<20} {'loss':<12} {'p':>5} {'grad float':>10} {'grad ball':>10} "
          f"{'hess float':>10} {'hess ball':>10} {'H rad':>8}  {'non-singular':<12} {'time':>8}")
    for r in rows:
        ts = [fmt_t(r["t"][c]) for c in COLS]
        print(f"{r['kind']:<10} {r['label']:<20} {r['loss']:<12} {r['p']:>5} {ts[0]:>10} {ts[1]:>10} {ts[2]:>10} "
              f"{ts[3]:>10} {r['rad']:>8.1e}  {r['verdict']:<12} {fmt_t(r['t_verdict']):>8}")
    print("\nratios against the MLP fast path at the same target p (same run), and ball/float per network:")
    print(f"{'net':<10} {'p':>5} {'grad float':>10} {'grad ball':>10} {'hess float':>10} {'hess ball':>10} "
          f"{'verdict':>8} {'grad b/f':>9} {'hess b/f':>9}")
    base = None
    for r in rows:
        if r["kind"] == "MLP fast":
            base = r
        rat = [r["t"][c] / base["t"][c] for c in COLS]
        rv = r["t_verdict"] / base["t_verdict"] if r["t_verdict"] is not None else None
        print(f"{r['kind']:<10} {r['p']:>5} {fmt_r(rat[0]):>10} {fmt_r(rat[1]):>10} {fmt_r(rat[2]):>10} "
              f"{fmt_r(rat[3]):>10} {fmt_r(rv):>8} {fmt_r(r['t'][COLS[1]] / r['t'][COLS[0]]):>9} "
              f"{fmt_r(r['t'][COLS[3]] / r['t'][COLS[2]]):>9}")


def profile_call(row: dict, what: str) -> None:
    loss, theta = row["loss_obj"], row["theta"]
    f = (lambda: loss.hessian(theta, "ball", PREC)) if what == "hess ball" else (lambda: verdict(loss, theta))
    pr = cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    f()
    pr.disable()
    el = time.perf_counter() - t0
    print(f"\ncProfile of one call: {row['kind']} p={row['p']} {what} ({el:.1f} s under the profiler)")
    for key in ("tottime", "cumulative"):
        s = io.StringIO()
        pstats.Stats(pr, stream=s).sort_stats(key).print_stats(15)
        lines = s.getvalue().splitlines()
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
        print(f"-- top 15 by {key}")
        print("\n".join(lines[start:start + 16]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=None, choices=sorted(SIZES),
                    help="target sizes p (default 300 1000; --quick: 100)")
    ap.add_argument("--repeat", type=int, default=5, help="calls per median for calls under 1 s (≥ 5)")
    ap.add_argument("--quick", action="store_true", help="p ≈ 100 only: a smoke run")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one call of the slowest certified configuration (top 15 functions)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="cpu: process CPU time (default; robust on a shared machine); wall: wall-clock time")
    args = ap.parse_args(argv)
    _timing.set_clock(args.clock)
    sizes = args.sizes or ([100] if args.quick else [300, 1000])
    t_start = time.perf_counter()
    with threadpool_limits(limits=1):
        blas = ", ".join(f"{i['internal_api']}={i['num_threads']}" for i in threadpool_info()) or "none found"
        print(f"bench_layers: n = {N_DATA} data points, ball at {PREC} bits, η = {ETA} for the verdict; "
              f"BLAS threads: {blas}; flint threads: {flint.ctx.threads}; {_timing.CLOCK} time, median of ≥ "
              f"{args.repeat} calls (batches of calls for calls < 40 ms, ≥ 21 batches; 3 calls if one takes ≥ 1 s, "
              f"1 if ≥ 10 s); load average {_timing.load()}")
        rows, log = [], []
        for size in sizes:
            rng = np.random.default_rng(size)
            label, mloss, mth = mlp_case(size, rng)
            rows.append(run_row("MLP fast", label, mloss, mth, args.repeat, True, log))
            rows.append(run_row("MLP nn", label, nn_twin(mloss), mth, args.repeat, False, log))
            rows.append(run_row("MLP graph", label, mloss, mth, args.repeat, False, log))
            dev = float(np.abs(rows[-1]["H_float"] - rows[-3]["H_float"]).max())
            log.append(f"p={mloss.n_params}: MLP graph vs fast float Hessians agree to {dev:.1e}")
            for case in (cnn_case, attention_case):
                label, loss, th = case(size, rng)
                rows.append(run_row("CNN" if case is cnn_case else "attention", label, loss, th, args.repeat,
                                    True, log))
            print(f"  p ≈ {size} done ({time.perf_counter() - t_start:.0f} s)", flush=True)
        print_tables(rows)
        fast = [r for r in rows if r["kind"] == "MLP fast"]
        for kind, what in (("MLP nn", "an MLP built with vf.nn, public API (issue 12's target)"),
                           ("MLP graph", "the same MLP through the generic engine (no fast path)")):
            ratios = [(r["p"], c, r["t"][c] / b["t"][c]) for r, b in zip([r for r in rows if r["kind"] == kind], fast)
                      for c in COLS]
            print(f"\n{kind}/MLP fast, {what}, target ≤ 1.5×: "
                  + "; ".join(f"p={p} {w} {a} {x:.2f}× {'met' if x <= 1.5 else 'MISSED'}" for p, (w, a), x in ratios))
        if any(r["verdict"].startswith("det") for r in rows):
            print("* det≠0*: check_nonsingular raised for this network (below); shown is its certified core at θ "
                  "(region + Arb det(I − η∇²L(θ)) ≠ 0), not the region-wide verdict")
        for line in log:
            print("  " + line)
        print(f"total {time.perf_counter() - t_start:.0f} s wall; load average {_timing.load()}")
        if args.profile:
            cands = [(r["t"]["hess", "ball"], r, "hess ball") for r in rows if r["kind"] != "MLP graph"]
            cands += [(r["t_verdict"], r, "verdict") for r in rows if r["t_verdict"] is not None]
            _, r, what = max(cands, key=lambda c: c[0])
            profile_call(r, what)


if __name__ == "__main__":
    main()
