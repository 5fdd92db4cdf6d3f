"""verify.experiments: NP vs GD on digits, a small CNN on digits and its certificates (issue 15).

Tiny subsets (n ≤ 20); the certified parts are checked against exact rational / 60-digit mpmath references."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from flint import fmpq, fmpq_mat

from verify import datasets
from verify import experiments as E
from verify.errors import InputError, VerifyError
from verify.numbers import to_fraction
from verify.result import Verdict


@pytest.fixture(scope="module")
def binary():
    return datasets.digits(classes=(0, 1), n=12, seed=0, n_test=12)


@pytest.fixture(scope="module")
def cnn():
    d = datasets.digits(classes=(0, 1), n=8, seed=1, n_test=8, image=True)
    return E.train_cnn(d, channels=2, steps=40, seed=3)


def _np_run(data, seed=0, **kw):
    kw = {"max_neurons": 2, "inner_steps": 80, "restarts": 2, "ncf_steps": 60, "gd_steps": 80, **kw}
    return E.np_vs_gd(data, 2, seed=seed, **kw)


def test_np_vs_gd_reproducible_and_consistent(binary):
    a, b = _np_run(binary), _np_run(binary)
    for m in ("np", "gd"):
        ra, rb = a.runs[m], b.runs[m]
        assert ra.curve == rb.curve and np.array_equal(ra.theta, rb.theta)
        assert (ra.neurons, ra.train_error, ra.test_error) == (rb.neurons, rb.train_error, rb.test_error)
        # the reported training loss is ½ Σ (H − y)² of the returned weights, recomputed here by hand (depth 2)
        W = ra.theta[:ra.widths[1] * binary.d].reshape(ra.widths[1], binary.d)
        v = ra.theta[ra.widths[1] * binary.d:]
        X, y = np.asarray(binary.X, float), np.asarray(binary.y, float)
        H = np.maximum(X @ W.T, 0) @ v
        assert ra.train_loss == pytest.approx(0.5 * np.sum((H - y) ** 2), rel=1e-12, abs=1e-14)
        assert ra.train_error == np.mean(np.sign(H) != y)
        assert ra.curve[-1][1] == pytest.approx(ra.train_loss, rel=1e-12, abs=1e-14)
    y = np.asarray(binary.y, float)
    assert a.np.curve[0] == (0, 0.5 * float(y @ y))  # NP starts from the empty network
    assert 1 <= a.np.neurons <= 2 and a.gd.neurons == 2
    assert a.gd.gradient_steps == 80 and a.settings["n_test"] == 12
    assert "NP's greedy insertion" in a.comparison and "gd" in a.table()
    c = _np_run(binary, seed=1)
    assert not np.array_equal(c.gd.theta, a.gd.theta)


def test_np_vs_gd_one_vs_rest_and_gd_only():
    d = datasets.digits(one_vs_rest=3, n=10, seed=0)
    r = E.np_vs_gd(d, 2, ("leaky_relu", "1/10"), methods=("gd",), gd_steps=30, gd_eta="armijo")
    assert set(r.runs) == {"gd"} and r.gd.test_error is None and r.gd.gradient_steps <= 30
    assert r.gd.curve[0][0] == 0 and r.gd.curve[-1][0] == r.gd.gradient_steps
    assert "only GD ran" in r.comparison


@pytest.mark.parametrize("kw, match", [
    ({"depth": 4}, "depth"),
    ({"activation": "tanh"}, "homogeneous"),
    ({"activation": "leaky_relu"}, "methods=\\('gd',\\)"),
    ({"methods": ("np", "sgd")}, "method"),
    ({"methods": ()}, "non-empty"),
    ({"gd_eta": -1}, "gd_eta"),
    ({"max_neurons": 0}, "max_neurons"),
    ({"delta_add": 0}, "delta_add"),
    ({"active_rel": 2}, "active_rel"),
])
def test_np_vs_gd_bad_arguments(binary, kw, match):
    depth = kw.pop("depth", 2)
    with pytest.raises(InputError, match=match):
        E.np_vs_gd(binary, depth, **kw)


def test_np_vs_gd_bad_data(binary):
    with pytest.raises(InputError, match="Dataset"):
        E.np_vs_gd((np.zeros((2, 3)), np.ones(2)))
    with pytest.raises(InputError, match="±1|scalar"):
        E.np_vs_gd(datasets.digits(classes=(0, 1, 2), n=6))
    with pytest.raises(InputError, match="−1, \\+1"):
        E.np_vs_gd(datasets.digits(classes=(0, 1), n=6, encoding="index"))
    with pytest.raises(InputError, match="features"):
        E.np_vs_gd(binary, test_data=datasets.iris(n=4))


def test_train_cnn_reproducible(cnn):
    d = cnn.data
    again = E.train_cnn(d, channels=2, steps=40, seed=3)
    assert np.array_equal(again.theta, cnn.theta) and np.array_equal(again.curve, cnn.curve)
    other = E.train_cnn(d, channels=2, steps=40, seed=4)
    assert not np.array_equal(other.theta, cnn.theta)
    assert cnn.net.n_params == 2 * 9 + 2 + 2 * 9 + 1 and cnn.curve[-1] < cnn.curve[0]
    F = np.asarray(cnn.objective.outputs(cnn.theta), float).reshape(-1)
    assert cnn.train_error == np.mean(np.sign(F) != np.asarray(d.y, float).reshape(-1))
    assert cnn.test_error is not None and cnn.eta == Fraction(1, 10)


def test_train_cnn_bad_arguments(cnn):
    d = cnn.data
    with pytest.raises(InputError, match="loss"):
        E.train_cnn(d, loss="hinge")
    with pytest.raises(InputError, match="pool"):
        E.train_cnn(d, pool="min")
    with pytest.raises(InputError, match="eta"):
        E.train_cnn(d, eta=0)
    with pytest.raises(InputError, match="class indices"):
        E.train_cnn(d, loss="cross_entropy")
    with pytest.raises(InputError, match="features"):
        E.train_cnn(datasets.iris(n=4))
    with pytest.raises(InputError, match="channels"):
        E.train_cnn(d, channels=0)
    with pytest.raises(InputError, match="TrainedCNN"):
        E.certify_trained(d)
    with pytest.raises(InputError, match="etas"):
        E.certify_trained(cnn, etas="1/10")
    with pytest.raises(VerifyError):
        E.certify_trained(cnn, etas=[0])


def _exact_hessian(cnn):
    th = [Fraction(float(x)) for x in cnn.theta]
    return th, cnn.objective.hessian(th, "exact")


def test_certify_trained_against_exact(cnn):
    etas = [Fraction(1, 10), Fraction(1, 2)]
    cert = E.certify_trained(cnn, etas=etas, critical_search=False, sharpness_checkpoints=2)
    th, H = _exact_hessian(cnn)
    p = len(th)
    Hf = [to_fraction(x) for x in np.asarray(H, dtype=object).reshape(-1)]
    for q in etas:
        r = cert.nonsingular[q]
        assert r.verdict == Verdict.PROVED
        M = fmpq_mat(p, p, [fmpq(e.numerator, e.denominator) for e in
                            (Fraction(int(i == j)) - q * Hf[i * p + j] for i in range(p) for j in range(p))])
        assert M.det() != 0  # the certified point's exact determinant agrees
    # the gradient lower bound is below the exact max |∂L|, and the exact gradient is non-zero
    g = [abs(to_fraction(x)) for x in np.asarray(cnn.objective.grad(th, "exact"), dtype=object).reshape(-1)]
    assert cert.gradient["critical"] is False and 0 < cert.gradient["max_abs_lower"] <= max(g)
    assert cert.minimum.verdict == Verdict.INCONCLUSIVE and "minimum claim" in cert.minimum.message
    # eigenvalue enclosures contain the 60-digit eigenvalues of the exact Hessian
    with mpmath.workdps(60):
        A = mpmath.matrix([[mpmath.mpf(to_fraction(x).numerator) / to_fraction(x).denominator for x in row]
                           for row in np.asarray(H, dtype=object)])
        ev = sorted(mpmath.eigsy(A, eigvals_only=True))
        lo_min, hi_min = cert.hessian["lambda_min"]
        lo_max, hi_max = cert.hessian["lambda_max"]
        assert mpmath.mpf(lo_min.numerator) / lo_min.denominator <= ev[0] + mpmath.mpf(10) ** -50
        assert ev[0] - mpmath.mpf(10) ** -50 <= mpmath.mpf(hi_min.numerator) / hi_min.denominator
        assert mpmath.mpf(lo_max.numerator) / lo_max.denominator <= ev[-1] + mpmath.mpf(10) ** -50
        assert ev[-1] - mpmath.mpf(10) ** -50 <= mpmath.mpf(hi_max.numerator) / hi_max.denominator
        neg = ev[0] < 0
    assert cert.hessian["negative"] in (neg, None)
    last = cert.sharpness.checkpoints[-1]
    assert last.step == cnn.trajectory.steps and last.lower <= last.upper
    assert (cert.final_vs_edge == "below 2/η") == (last.upper < 2 / cnn.eta)
    assert "non-singular GD map" in cert.summary()


def test_cnn_cross_entropy_small():
    d = datasets.digits(classes=(0, 1), n=6, seed=2, encoding="index", image=True)
    tr = E.train_cnn(d, channels=2, steps=20, loss="cross_entropy", eta=Fraction(1, 2))
    assert tr.net.n_params == 2 * 9 + 2 + 2 * 18 + 2 and tr.curve[-1] < tr.curve[0]
    cert = E.certify_trained(tr, etas=[Fraction(1, 2)], critical_search=False, sharpness_checkpoints=0)
    assert cert.nonsingular[Fraction(1, 2)].verdict == Verdict.PROVED and cert.sharpness is None
    assert cert.minimum.verdict == Verdict.INCONCLUSIVE


@pytest.mark.slow
def test_slow_depth3_and_critical_search(cnn):
    d = datasets.digits(one_vs_rest=3, n=10, seed=0, n_test=10)
    r = E.np_vs_gd(d, 3, max_neurons=3, inner_steps=60, restarts=3, ncf_steps=60, delta_add=0.5)
    assert r.np.neurons == 0 or (len(r.np.widths) == 4 and r.np.widths[0] == 64)
    assert r.gd.widths == [64, 2, 2, 1] and r.np.curve[0][0] == 0
    cert = E.certify_trained(cnn, etas=[Fraction(1, 10)], sharpness_checkpoints=0)
    # ∇L(θ̂) ≠ 0 exactly, so a PROVED stability verdict can only be about a Krawczyk-certified critical point in a
    # box near θ̂, never θ̂ itself; the minimum claim follows the stability verdict only with such a point
    assert cert.stability is not None and cert.gradient["critical"] is False
    cp = cert.stability.certificate.get("critical_point", {})
    if cert.stability.verdict == Verdict.PROVED:
        assert cp["status"] == "box"
    if cert.minimum.verdict != Verdict.INCONCLUSIVE:
        assert cert.minimum is cert.stability and cp["status"] == "box"
    else:
        assert "minimum claim" in cert.minimum.message
