"""``executor=`` for embarrassingly parallel certified work (verify.parallel): the same verdicts, certificates
and scopes with and without a process pool, whatever the scheduling; exact transport of Arb balls and of
objectives whose caches hold compiled closures; worker errors re-raised as the same verify error; a crashed
worker is a clear error, not a hang; bad executors refused before any work."""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from concurrent.futures import Future, ProcessPoolExecutor
from fractions import Fraction as F

import flint
import numpy as np
import pytest
import sympy as sp
from flint import acb, arb, arb_mat, fmpq, fmpq_mat, fmpq_poly
from hypothesis import given, settings
from hypothesis import strategies as st

import verify as vf
from verify import gdmap, pl
from verify.errors import InputError, RegionBoundaryError, SizeLimitError, WorkerError
from verify.parallel import Shared, check_executor, dumps, loads, pmap
from verify.pl.alpha import ALPHA_EMPTY
from verify.result import Verdict

from .nn_cases import CASES

DATA = vf.Dataset([[1, 2], [F(1, 3), -1], [2, 1]], [1, 0, F(1, 2)])
DEAD = [-1, -1, -1, -1, -5, -5, 1, 1, F(1, 3)]
ALIVE = [1, F(1, 2), -1, F(1, 3), F(1, 5), -F(1, 7), F(3, 2), -1, F(1, 3)]
x, y = sp.symbols("x y")


def relu_bias_loss():
    return vf.SquareLoss(vf.MLP([2, 2, 1], "relu", bias=True), DATA)


def item5():
    """Two components of one Piecewise pattern (x² on x > 1, 0 on x < −1, x²/2 inside): "component" scopes."""
    return vf.Objective.from_sympy(sp.Piecewise(((x + sp.sqrt(x**2)) ** 2 / 4, x**2 > 1), (x**2 / 2, True)), [x])


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        yield ex


# ------------------------------------------------------------------------------------ comparing results
def _arb_key(v):
    m, r = v.mid(), v.rad()
    return ("arb", m.man_exp() if m.is_finite() else m.repr(), r.man_exp() if r.is_finite() else "inf")


def norm(obj, drop=("time", "elapsed")):
    """A comparable form: Arb balls by their exact midpoint/radius, arrays as lists, timings dropped."""
    if isinstance(obj, arb):
        return _arb_key(obj)
    if isinstance(obj, dict):
        return {k: norm(v) for k, v in obj.items() if k not in drop}
    if isinstance(obj, list | tuple):
        return type(obj)(norm(v) for v in obj)
    if isinstance(obj, np.ndarray):
        return ("array", obj.shape, norm(obj.tolist()))
    return obj


def same_result(a, b):
    for f in ("verdict", "claim", "message", "certificate", "scope", "counterexample", "margin", "arithmetic",
              "precision", "quantity"):
        assert norm(getattr(a, f)) == norm(getattr(b, f)), f
    assert a.certificate or a.verdict == Verdict.INCONCLUSIVE


def same_alpha(a, b):
    assert a.lower == b.lower and a.upper == b.upper and a.lower_method == b.lower_method
    assert a.note == b.note and a.nonnegative == b.nonnegative
    assert norm(a.witness) == norm(b.witness)
    assert norm(a.methods) == norm(b.methods)


# ------------------------------------------------------------------------------------ check_nonsingular
NONSINGULAR = {
    "relu proved, sampled": (relu_bias_loss, dict(eta=F(1, 3), regions=[DEAD, ALIVE], samples=12)),
    "relu refuted": (relu_bias_loss, dict(eta=F(1, 2), regions=[DEAD, ALIVE], samples=4)),
    "relu 2 steps refuted": (relu_bias_loss, dict(eta=F(1, 2), regions=[ALIVE], steps=2)),
    "relu 2 steps proved": (relu_bias_loss, dict(eta=F(1, 3), regions=[ALIVE], samples=3, steps=2)),
    "sgd batches": (relu_bias_loss, dict(eta=F(1, 2), regions=[ALIVE, DEAD], batches=[[0], [1, 2]])),
    "tanh ball orbit": (lambda: vf.SquareLoss(vf.MLP([2, 3, 1], "tanh"), DATA), dict(eta=F(1, 4), samples=3,
                                                                                     steps=2)),
    "piecewise components": (item5, dict(eta=F(1, 2), regions=[[-2], [2], [-3], [F(1, 2)]], samples=6)),
    "piecewise proved": (item5, dict(eta=F(1, 3), regions=[[-2], [2], [F(1, 3)]])),
    "sqrt not analytic": (lambda: vf.Objective.from_sympy(sp.sqrt(x**2) ** 3, [x]),
                          dict(eta=F(1, 3), regions=[[0], [1]], samples=4)),
}


@pytest.mark.parametrize("case", list(NONSINGULAR))
def test_check_nonsingular_same_result_with_a_process_pool(case, pool):
    make, kw = NONSINGULAR[case]
    seq = gdmap.check_nonsingular(make(), **kw)
    par = gdmap.check_nonsingular(make(), **kw, executor=pool)
    same_result(seq, par)


def test_check_nonsingular_on_a_used_cnn_and_attention_network(pool):
    """Layer-graph networks whose caches (engines, compiled activations, Arb data) are filled before they go."""
    build = CASES["maxpool2d"][0]
    net = build("relu", True)
    X = [[F((3 * i + j) % 7 - 3, 5) for j in range(net.input_dim)] for i in range(2)]
    loss = vf.SquareLoss(net, vf.Dataset(X, [[F(1, 3)] * net.output_dim, [F(-1, 2)] * net.output_dim]))
    th = [F((5 * i) % 11 - 5, 7) for i in range(loss.n_params)]
    loss.hessian(th, "ball", 128)
    loss.hessian(th, "float")  # caches filled: engines, compiled activations, data in ball arithmetic
    seq = gdmap.check_nonsingular(loss, F(1, 5), regions=[th], samples=6, seed=3)
    par = gdmap.check_nonsingular(loss, F(1, 5), regions=[th], samples=6, seed=3, executor=pool)
    same_result(seq, par)
    att = CASES["attention2"][0]("tanh", True)
    Xa = [[F((2 * i + j) % 5 - 2, 3) for j in range(att.input_dim)] for i in range(2)]
    ce = vf.CrossEntropyLoss(vf.nn.Sequential(*att.layers, vf.nn.Dense(2), input_shape=att.input_shape),
                             vf.Dataset(Xa, [0, 1]))
    tha = [F((3 * i) % 7 - 3, 9) for i in range(ce.n_params)]
    ce.hessian(tha, "ball", 128)
    same_result(gdmap.check_nonsingular(ce, F(1, 7), regions=[tha]),
                gdmap.check_nonsingular(ce, F(1, 7), regions=[tha], executor=pool))


def test_scan_step_sizes_same_result_with_a_process_pool(pool):
    for make, eta_range, thetas in [(relu_bias_loss, (F(1, 10), 10), [DEAD, ALIVE, DEAD]),
                                    (item5, (F(1, 10), 2), [[-2], [2], [-3], [F(1, 2)]]),
                                    (lambda: vf.SquareLoss(vf.MLP([2, 2, 1], "tanh"), DATA), (F(1, 10), 4),
                                     [[F(1, 3), -1, F(1, 2), 2, 1, -F(1, 4)]])]:
        seq = gdmap.scan_step_sizes(make(), eta_range, thetas)
        par = gdmap.scan_step_sizes(make(), eta_range, thetas, executor=pool)
        same_result(seq, par)


# ------------------------------------------------------------------------------------ α branch-and-bound
def quartic(dim):
    xs = sp.symbols(f"x0:{dim}")
    return vf.Objective.from_sympy(sum((v**2 - 1) ** 2 for v in xs) / 4, list(xs))


ALPHA = {
    "quartic 2d, budget": (lambda: quartic(2), [F(13, 10)] * 2, F(1, 5), dict(max_boxes=600, rel_tol=1e-3)),
    "quartic 3d, target": (lambda: quartic(3), [F(13, 10)] * 3, F(1, 5), dict(max_boxes=2000, target=2)),
    "near zero": (lambda: vf.Objective.from_sympy((x**2 + 4 * y**2) / 2, [x, y]), [F(1, 4), F(1, 8)], 1, {}),
    "near zero, sum of squares": (lambda: vf.Objective.from_sympy((x - y) ** 2 + (x + 2 * y - 1) ** 2, [x, y]),
                                  [F(1, 4), F(1, 8)], 1, dict(max_boxes=400)),
    "network, box enclosures": (lambda: vf.SquareLoss(vf.MLP([2, 2, 1], "tanh"), DATA),
                                [F(1, 2), -F(1, 3), 1, F(1, 4), -1, F(1, 2)], F(1, 50), dict(max_boxes=60, starts=2)),
    "L = 0 on the ball": (lambda: vf.Objective.from_sympy(sp.Piecewise((x**2 + y**2, x > 0), (0, True)), [x, y]),
                          [-2, 0], 1, dict(max_boxes=100, starts=2)),
}


@pytest.mark.parametrize("case", list(ALPHA))
def test_alpha_same_bounds_with_a_process_pool(case, pool):
    make, x0, r, kw = ALPHA[case]
    seq = pl.alpha(make(), x0, r, methods=("bnb",), **kw)
    par = pl.alpha(make(), x0, r, methods=("bnb",), **kw, executor=pool)
    same_alpha(seq, par)
    assert seq.lower is not None and (seq.upper is None or seq.lower <= seq.upper)
    assert seq.methods["bnb"]["boxes"] > 1 or seq.lower == ALPHA_EMPTY


def test_bnb_frontier_only_changes_the_schedule_not_soundness(pool):
    """Any frontier gives a sound bound (L = (x² + 4y²)/2: ‖∇L‖²/L = 2(x² + 16y²)/(x² + 4y²) ≥ 2, with equality
    on the x-axis, so α = 2 on a ball meeting it); with a target that is reached, every frontier reaches it;
    frontier=1 is plain best-first search."""
    obj = vf.Objective.from_sympy((x**2 + 4 * y**2) / 2, [x, y])
    for fr in (1, 3, 32, 200):
        lo, det = pl.alpha_lower_bnb(obj, [F(1, 10), F(1, 20)], F(1, 2), frontier=fr, max_boxes=300)
        assert 0 < lo <= 2 and det["frontier"] == fr
        lo2, det2 = pl.alpha_lower_bnb(obj, [F(1, 10), F(1, 20)], F(1, 2), frontier=fr, max_boxes=300,
                                       executor=pool)
        assert (lo, norm(det)) == (lo2, norm(det2))
    q = quartic(2)
    for fr in (1, 32):
        lo, det = pl.alpha_lower_bnb(q, [F(13, 10)] * 2, F(1, 5), frontier=fr, target=5, max_boxes=4000)
        assert lo > 5 and not det["budget_exhausted"]


def test_chatterjee_passes_the_executor_through(pool):
    q = quartic(2)
    seq = pl.chatterjee(q, [F(13, 10)] * 2, F(1, 5), max_boxes=500)
    par = pl.chatterjee(q, [F(13, 10)] * 2, F(1, 5), max_boxes=500, executor=pool)
    same_result(seq, par)


# ------------------------------------------------------------------------------------ transport
@st.composite
def balls(draw):
    kind = draw(st.sampled_from(["finite", "finite", "finite", "exact", "nan", "+inf", "-inf", "wide", "huge"]))
    if kind == "nan":
        return arb.nan()
    if kind in ("+inf", "-inf"):
        return arb.pos_inf() if kind == "+inf" else arb.neg_inf()
    man = draw(st.integers(-(2**300), 2**300))
    exp = draw(st.integers(-2000, 2000) if kind != "huge" else st.integers(-(10**9), 10**9))
    mid = arb((man, exp))
    if kind == "exact":
        return mid
    if kind == "wide":
        return arb(mid, arb.pos_inf())
    return arb(mid, arb((draw(st.integers(1, 2**29)), draw(st.integers(-3000, 100)))))


@settings(max_examples=200, deadline=None)
@given(balls(), st.integers(2, 600))
def test_arb_balls_cross_processes_bit_for_bit(b, prec):
    old = flint.ctx.prec
    flint.ctx.prec = prec  # the ambient precision must not round what is sent
    try:
        c = loads(dumps(b))
    finally:
        flint.ctx.prec = old
    assert _arb_key(c) == _arb_key(b)
    z = loads(dumps(acb(b, -b)))
    assert _arb_key(z.real) == _arb_key(b) and _arb_key(z.imag) == _arb_key(-b)


def test_flint_matrices_and_polynomials_round_trip():
    M = arb_mat(2, 2, [arb(1) / 3, arb.nan(), arb(2, 1), arb((5, -300))])
    N = loads(dumps(M))
    assert [_arb_key(N[i, j]) for i in range(2) for j in range(2)] == \
           [_arb_key(M[i, j]) for i in range(2) for j in range(2)]
    Q = fmpq_mat(2, 3, [fmpq(1, 3), 2, 3, 4, 5, fmpq(-7, 11)])
    assert loads(dumps(Q)) == Q
    P = fmpq_poly([fmpq(1, 3), 0, fmpq(-2, 7)])
    assert loads(dumps(P)) == P
    assert loads(dumps(flint.fmpz_poly([1, 2, 3]))) == flint.fmpz_poly([1, 2, 3])


@pytest.mark.parametrize("case", ["dense_chain", "conv2d", "maxpool2d", "residual", "attention2"])
def test_used_objectives_are_sent_without_their_caches_and_compute_the_same(case):
    build, acts = CASES[case]
    for act in acts[:3]:
        net = build(act, True)
        X = [[F((3 * i + j) % 7 - 3, 5) for j in range(net.input_dim)] for i in range(2)]
        loss = vf.SquareLoss(net, vf.Dataset(X, [[F(1, 3)] * net.output_dim, [F(-1, 2)] * net.output_dim]))
        th = [F((5 * i) % 11 - 5, 7) for i in range(loss.n_params)]
        try:
            h = loss.hessian(th, "ball", 128)
        except RegionBoundaryError:
            continue
        loss.hessian(th, "float")
        copy = loads(dumps(loss))
        h2 = copy.hessian(th, "ball", 128)
        assert [_arb_key(v) for v in np.ravel(h)] == [_arb_key(v) for v in np.ravel(h2)]


def test_sympy_objective_after_compilation_round_trips():
    obj = vf.Objective.from_sympy(sp.Piecewise((x**3 - y, x**2 > 1), (x * y**2, True)), [x, y])
    for th in ([F(3, 2), 1], [F(1, 3), -2]):
        obj.hessian(th, "ball", 128)
        obj.hessian(th, "exact")
    copy = loads(dumps(obj))
    for th in ([F(3, 2), 1], [F(1, 3), -2]):
        assert (copy.hessian(th, "exact") == obj.hessian(th, "exact")).all()
        assert norm(list(copy.hessian(th, "ball", 128).ravel())) == norm(list(obj.hessian(th, "ball", 128).ravel()))


def test_an_object_that_cannot_be_sent_is_named(pool):
    loss = relu_bias_loss()
    loss.net.hook = lambda t: t  # a user's lambda attached to the network: cannot cross processes
    with pytest.raises(InputError, match=r"cannot be sent to worker processes.*\.net\.hook"):
        gdmap.check_nonsingular(loss, F(1, 3), regions=[ALIVE], executor=pool)
    assert gdmap.check_nonsingular(loss, F(1, 3), regions=[ALIVE]).verdict == Verdict.PROVED  # fine without


# ------------------------------------------------------------------------------------ errors and crashes
def _boundary_at(_shared, i):
    if i in (3, 5):
        raise RegionBoundaryError(f"item {i} on a boundary", layer=1, neuron=i, enclosure=arb(0, 1))
    return i * i


def _sleepy(_shared, i):
    time.sleep(random.random() * 0.01)
    return (i, os.getpid())


def _die(_shared, i):
    if i == 2:
        os._exit(3)  # a worker killed mid-task (out of memory, a crash in a compiled library)
    return i


def _builtin_bug(_shared, i):
    return {}[i]


def _shared_len(shared, i):
    return len(shared) + i


def _kept_state(job, _i):
    obj, k = job
    warm = bool(obj._programs)
    obj.hessian([F(1, 3), F(1, 5)], "ball", 128)  # fills the compiled-program cache
    return os.getpid(), id(obj), warm, k


def test_workers_keep_the_objective_across_calls_with_warm_caches():
    """Two analyses of the same objective (different parameters) on one worker: the second finds the worker's
    copy, caches compiled; a changed objective is a new copy."""
    obj = vf.Objective.from_sympy(x**4 / 4 - x * y + y**2, [x, y])
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as ex:
        (a,) = pmap(_kept_state, [0], shared=Shared((obj, 1), keep=(obj,)), executor=ex)
        (b,) = pmap(_kept_state, [0], shared=Shared((obj, 2), keep=(obj,)), executor=ex)
        other = vf.Objective.from_sympy(x**4 / 4 - x * y + 2 * y**2, [x, y])
        (c,) = pmap(_kept_state, [0], shared=Shared((other, 3), keep=(other,)), executor=ex)
    assert a[0] == b[0] == c[0]
    assert not a[2] and a[3] == 1
    assert b[1] == a[1] and b[2] and b[3] == 2
    assert c[1] != a[1] and not c[2]


def test_worker_errors_are_reraised_intact_and_in_item_order(pool):
    with pytest.raises(RegionBoundaryError, match="item 3 on a boundary") as ei:
        pmap(_boundary_at, range(8), executor=pool, chunk=1)
    e = ei.value
    assert (e.layer, e.neuron) == (1, 3) and _arb_key(e.enclosure) == _arb_key(arb(0, 1))
    assert any("worker" in n for n in getattr(e, "__notes__", []))
    with pytest.raises(RegionBoundaryError, match="item 3"):
        pmap(_boundary_at, range(8))  # the same error without an executor
    with pytest.raises(KeyError):
        pmap(_builtin_bug, [4], executor=pool)


def test_results_come_back_in_item_order(pool):
    out = pmap(_sleepy, range(40), executor=pool, chunk=1)
    assert [i for i, _ in out] == list(range(40))
    assert pmap(_shared_len, range(5), shared=Shared([1, 2, 3]), executor=pool) == [3, 4, 5, 6, 7]


class ReversedExecutor:
    """Runs the tasks in reverse submission order when the first result is asked for (a hostile schedule)."""

    def __init__(self):
        self.calls = []

    def submit(self, fn, *args):
        fut = Future()
        self.calls.append((fut, fn, args))
        orig = fut.result

        def result(timeout=None):
            while self.calls:
                f, g, a = self.calls.pop()
                f.set_result(g(*a))
            return orig(timeout)

        fut.result = result
        return fut


def test_verdicts_do_not_depend_on_the_schedule():
    kw = dict(eta=F(1, 3), regions=[DEAD, ALIVE], samples=8)
    same_result(gdmap.check_nonsingular(relu_bias_loss(), **kw),
                gdmap.check_nonsingular(relu_bias_loss(), **kw, executor=ReversedExecutor()))
    make, x0, r, akw = ALPHA["quartic 2d, budget"]
    same_alpha(pl.alpha(make(), x0, r, methods=("bnb",), **akw),
               pl.alpha(make(), x0, r, methods=("bnb",), **akw, executor=ReversedExecutor()))


def _refuse_rebuild():
    raise AttributeError("Can't get attribute 'MyLoss' on <module '__main__'>")  # what a spawned worker says


class _Unknown:
    """Rebuilt by a function that fails in the worker, as a class defined in __main__ fails in a spawned one."""

    def __reduce__(self):
        return _refuse_rebuild, ()


def test_an_input_a_worker_cannot_rebuild_is_a_clear_error(pool):
    with pytest.raises(InputError, match="could not rebuild the objective"):
        pmap(_shared_len, [1], shared=Shared([_Unknown()], "the objective"), executor=pool)


def test_a_crashed_worker_is_a_clear_error_not_a_hang():
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        t0 = time.perf_counter()
        with pytest.raises(WorkerError, match="a worker of the executor failed"):
            pmap(_die, range(6), executor=ex, chunk=1)
        assert time.perf_counter() - t0 < 60
        # the pool is now broken: the next call says so before any work
        with pytest.raises(InputError, match="cannot take work"):
            gdmap.check_nonsingular(relu_bias_loss(), F(1, 3), regions=[ALIVE], executor=ex)


def test_a_shut_down_executor_is_refused():
    ex = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    ex.shutdown()
    with pytest.raises(InputError, match="cannot take work"):
        pl.alpha(quartic(2), [F(13, 10)] * 2, F(1, 5), methods=("bnb",), max_boxes=50, executor=ex)


@pytest.mark.parametrize("bad", [1, "pool", object(), [None], ProcessPoolExecutor])
def test_bad_executors_are_refused_before_any_work(bad):
    with pytest.raises(InputError, match="executor"):
        check_executor(bad)
    with pytest.raises(InputError, match="executor"):
        gdmap.check_nonsingular(relu_bias_loss(), F(1, 3), regions=[ALIVE], executor=bad)
    with pytest.raises(InputError, match="executor"):
        gdmap.scan_step_sizes(relu_bias_loss(), (F(1, 10), 10), [ALIVE], executor=bad)
    with pytest.raises(InputError, match="executor"):
        pl.alpha(quartic(2), [1, 1], 1, executor=bad)
    with pytest.raises(InputError, match="executor"):
        pl.alpha_lower_bnb(quartic(2), [1, 1], 1, executor=bad)


def test_a_thread_pool_is_refused():
    """Threads of one process share python-flint's working precision: they would change each other's balls."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as ex, pytest.raises(InputError, match="ThreadPoolExecutor"):
        gdmap.check_nonsingular(relu_bias_loss(), F(1, 3), regions=[ALIVE], executor=ex)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "8"])
def test_bad_frontier_is_refused(bad):
    with pytest.raises(InputError, match="frontier"):
        pl.alpha_lower_bnb(quartic(2), [1, 1], 1, frontier=bad)
    with pytest.raises(InputError, match="frontier"):
        pl.alpha(quartic(2), [1, 1], 1, frontier=bad)


def test_size_limits_are_raised_from_workers_too(pool):
    """A verify error raised inside a region's computation (exact characteristic polynomials beyond the
    size limit) reaches the caller as itself, with and without an executor."""
    from verify.arith.eigen import EXACT_CHARPOLY_MAX

    d = 6
    m = EXACT_CHARPOLY_MAX // (d + 2) + 1
    net = vf.MLP([d, m, 1], "relu", bias=True)
    data = vf.Dataset([[F(k, 3) for k in range(d)], [F(-k, 5) for k in range(d)]], [1, 0])
    loss = vf.SquareLoss(net, data)
    assert loss.n_params > EXACT_CHARPOLY_MAX
    th = [-1] * loss.n_params  # every unit dead: a polynomial region where det can vanish at η = 1/λ
    for ex in (None, pool):
        with pytest.raises(SizeLimitError):
            gdmap.scan_step_sizes(loss, (F(1, 10), 10), [th], executor=ex)


@pytest.mark.slow
def test_check_nonsingular_and_alpha_on_a_dask_local_cluster():
    from dask.distributed import Client, LocalCluster

    kw = dict(eta=F(1, 3), regions=[DEAD, ALIVE], samples=8)
    make, x0, r, akw = ALPHA["quartic 2d, budget"]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        ex = client.get_executor()
        same_result(gdmap.check_nonsingular(relu_bias_loss(), **kw), gdmap.check_nonsingular(relu_bias_loss(), **kw,
                                                                                             executor=ex))
        same_alpha(pl.alpha(make(), x0, r, methods=("bnb",), **akw),
                   pl.alpha(make(), x0, r, methods=("bnb",), **akw, executor=ex))
