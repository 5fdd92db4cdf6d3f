"""vf.datasets: exact loading of scikit-learn's bundled data sets, selection/balancing, labels, errors, and the
synthetic teacher–student generators."""

from __future__ import annotations

import importlib.util
import pathlib
from fractions import Fraction

import numpy as np
import pytest

import verify as vf
from verify import datasets as D
from verify.errors import InputError, MissingDependencyError

sk = pytest.importorskip("sklearn.datasets")
ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name,loader", [("digits", sk.load_digits), ("iris", sk.load_iris), ("wine", sk.load_wine),
                                         ("breast_cancer", sk.load_breast_cancer)])
def test_exact_values_round_to_sklearns_floats(name, loader):
    ref = loader()
    data = getattr(D, name)(classes=None, encoding="index", seed=0)  # every row
    assert data.n == ref.data.shape[0] and data.d == ref.data.shape[1]
    idx = list(data.indices)
    assert idx == sorted(idx) == list(range(data.n))
    div = Fraction(16) if name == "digits" else Fraction(1)
    # the exact rationals round to sklearn's float64 values, and each is the file's decimal numeral
    X = np.vectorize(lambda q: float(q * div), otypes=[float])(data.X_exact)
    np.testing.assert_array_equal(X, ref.data[idx])
    assert [int(q) for q in data.Y_exact[:, 0]] == list(ref.target[idx])
    if name == "iris":
        assert data.X_exact[0, 0] == Fraction(51, 10)  # 5.1 exactly, not the float 5.0999999999999996447…
    if name == "digits":
        assert all(q.denominator in (1, 2, 4, 8, 16) and 0 <= q <= 1 for q in data.X_exact.ravel())


def test_balanced_selection_is_deterministic_and_disjoint_from_the_test_set():
    a = D.digits(classes=(3, 8), n=11, seed=5, n_test=7)
    b = D.digits(classes=(3, 8), n=11, seed=5, n_test=7)
    c = D.digits(classes=(3, 8), n=11, seed=6, n_test=7)
    assert a.indices == b.indices and a.test.indices == b.test.indices and a.indices != c.indices
    assert set(a.indices).isdisjoint(a.test.indices)
    assert a.class_counts == {3: 6, 8: 5} and a.test.class_counts == {3: 4, 8: 3}
    # (3, 8): 3 ↦ −1, 8 ↦ +1
    assert [int(y) for y in a.Y_exact[:, 0]] == [1 if s == 8 else -1 for s in a.source_classes]
    ref = sk.load_digits()
    assert all(ref.target[i] in (3, 8) for i in a.indices)
    assert (np.vectorize(float)(a.X_exact) * 16 == ref.data[list(a.indices)]).all()


def test_one_vs_rest_onehot_index_minmax_scale_and_image():
    o = D.digits(one_vs_rest=3, n=20, seed=0)
    assert o.classes == tuple(range(10)) and o.class_counts[3] == 10 and sum(o.class_counts.values()) == 20
    assert sorted(int(y) for y in o.Y_exact[:, 0]).count(1) == 10
    h = D.iris(classes=None, n=6)
    assert h.k == 3 and all(sorted(r) == [0, 0, 1] for r in h.Y_exact.tolist())
    i = D.iris(classes=("virginica", "setosa"), n=4, encoding="index")
    assert i.classes == (2, 0) and set(int(y) for y in i.Y_exact[:, 0]) == {0, 1}
    m = D.wine(classes=None, preprocessing="minmax", n=30, scale=3)
    assert all(0 <= q <= 3 for q in m.X_exact.ravel())
    full = D.wine(classes=None, preprocessing="minmax", scale=3)
    assert min(full.X_exact.ravel()) == 0 and max(full.X_exact.ravel()) == 3
    s = D.digits(n=4, scale=Fraction(1, 3))
    assert max(s.X_exact.ravel()) <= Fraction(1, 3)
    img = D.digits(n=4, image=True)
    assert img.point_shape == (1, 8, 8) and img.d == 64
    u = D.breast_cancer(n=12, balance=False, seed=3)
    assert sum(u.class_counts.values()) == 12 and u.n_features == 30


def test_a_loaded_dataset_is_a_dataset_for_the_objectives():
    data = D.digits(n=4, seed=2)
    assert isinstance(data, vf.Dataset) and "digits" in repr(data) and "docs/data.md" in data.description
    loss = vf.SquareLoss(vf.MLP([64, 2, 1], "relu"), data)
    # at θ = 0 the network outputs 0, so L = mean(y²) = 1 for labels ±1 (the default reduction "mean")
    assert loss.value(np.array([Fraction(0)] * loss.n_params, dtype=object), "exact") == 1


@pytest.mark.parametrize("kwargs,match", [
    (dict(classes=(0,)), "at least two"), (dict(classes=(1, 1)), "distinct"), (dict(classes=(0, 10)), "≤ 9"),
    (dict(classes=("zero", 1)), "not a class"), (dict(classes=3), "tuple"), (dict(n=0), "≥ 1"),
    (dict(n=-3), "≥ 1"), (dict(n=1000), "exceeds"), (dict(n=2.0), "integer"), (dict(n=360), "only"),
    (dict(scale=0), "> 0"), (dict(scale=float("nan")), "NaN|finite|nan"), (dict(seed=-1), "≥ 0"),
    (dict(classes=(0, 1, 2), encoding="pm1"), "two classes"), (dict(encoding="ovr"), "encoding"),
    (dict(one_vs_rest=4, classes=(0, 1)), "not among"), (dict(preprocessing="zscore"), "preprocessing"),
    (dict(n=300, n_test=100, balance=False), "exceeds"), (dict(classes=None, n_test=1797), "no training"),
])
def test_bad_arguments_are_refused_with_verify_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        D.digits(**kwargs)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    from verify.datasets import _bundled

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDependencyError, match=r"verify\[data\]"):
        _bundled.data_dir()


def test_teacher_student_reproduces_the_np_benchmark_teacher():
    spec = importlib.util.spec_from_file_location("bench_np", ROOT / "benchmarks" / "bench_np.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    old_tr, old_te = mod.teacher(2, d=5, n=7, seed=4)
    tr, te = D.teacher_student(2, d=5, n=7, seed=4)
    assert (tr.X_exact == old_tr.X_exact).all() and (tr.Y_exact == old_tr.Y_exact).all()
    assert (te.X_exact == old_te.X_exact).all() and (te.Y_exact == old_te.Y_exact).all()
    A, b = D.teacher_weights(2, 5, seed=4)
    np.testing.assert_allclose(tr.y, np.maximum(tr.X @ A.T, 0) ** 2 @ b)
    lin, none = D.teacher_student(1, d=3, n=4, activation="linear", n_test=0)
    assert none is None and np.allclose(lin.y, lin.X @ D.teacher_weights(1, 3)[0][0] * D.teacher_weights(1, 3)[1][0])
    with pytest.raises(InputError):
        D.teacher_student(2, activation="sigmoid")
    with pytest.raises(InputError):
        D.teacher_student(0)
    P = D.rational_points(3, 2, seed=1, den=4)
    assert P.shape == (3, 2) and all(abs(q) <= 1 and (4 % q.denominator == 0) for q in P.ravel())
