"""Small real data sets, loaded exactly: scikit-learn's bundled digits, iris, wine and breast cancer.

Every loader returns a :class:`LoadedData` — a :class:`verify.Dataset` (usable wherever one is expected:
``vf.SquareLoss(net, vf.datasets.digits())``) that also records where its rows came from (``indices`` into
the bundled file, ``source_classes``), the class counts, the label encoding and a one-paragraph
``description`` of the preprocessing. Preprocessing is exact (rational arithmetic only; no square roots, so
no z-scoring) and documented in ``docs/data.md``.

Selection (deterministic in ``seed``, numpy's PCG64 ``default_rng``):

* ``classes`` — the classes to keep, as class indices (``0 … 9`` for digits, ``0, 1, 2`` for iris/wine,
  ``0 = malignant, 1 = benign`` for breast cancer) or as names (``"setosa"``); at least two, distinct.
  With ``one_vs_rest=c`` and ``classes`` left at its default (0, 1), every class of the file is kept.
* ``n`` — the number of training points; ``None`` takes every row of the chosen classes (no balancing).
* ``balance=True`` splits ``n`` as evenly as possible: with m classes each gets ⌊n/m⌋ and the first
  n mod m classes (in the order given) one more; under ``one_vs_rest=c`` the class c gets ⌈n/2⌉ and the
  other ⌊n/2⌋ are split evenly among the remaining classes in the same way. ``balance=False`` draws n rows
  uniformly without replacement from all rows of the chosen classes.
* ``n_test`` — an optional held-out set drawn (with the same balancing rule) from the rows not chosen for
  training, available as ``.test`` (a :class:`LoadedData`, or None).
* Within each class the rows are drawn with ``rng.choice(rows, size, replace=False)`` (training first, then
  test from what is left, classes in the given order); the chosen rows are returned in file order.

Labels (``encoding``):

* ``"pm1"`` (default for two classes or one-vs-rest): y ∈ {−1, +1}; for ``classes=(a, b)`` a ↦ −1 and
  b ↦ +1 (the *second* class is the positive one); for ``one_vs_rest=c``, c ↦ +1 and every other class ↦ −1.
* ``"onehot"`` (default for ≥ 3 classes): y is (n, m) with a 1 in the column of the class (``classes`` order).
* ``"index"``: y is the position of the class in ``classes`` (0 … m−1), for :class:`verify.CrossEntropyLoss`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .. import validate as V
from ..errors import InputError
from ..models.dataset import Dataset
from . import _bundled as B

ENCODINGS = ("pm1", "onehot", "index")
PREPROCESSING = ("none", "minmax")


class _Pair(tuple):
    """The default ``classes=(0, 1)``; under ``one_vs_rest=c`` the default means every class."""

    def __repr__(self):
        return "(0, 1)"


DEFAULT_PAIR = _Pair((0, 1))


class LoadedData(Dataset):
    """A :class:`verify.Dataset` loaded from a bundled file, with its provenance.

    Attributes (besides ``X_exact``, ``Y_exact``, ``n``, ``d``, ``k`` of a Dataset):

    * ``name`` — ``"digits"``, ``"iris"``, ``"wine"`` or ``"breast_cancer"``;
    * ``indices`` — tuple of the chosen rows' 0-based positions in the bundled file (file order), so
      ``sklearn.datasets.load_digits().data[list(indices)]`` are the same points as floats;
    * ``source_classes`` — tuple of each row's original class index;
    * ``classes`` — the class indices kept (in the order given), ``class_names`` their names;
    * ``class_counts`` — dict class index → number of rows chosen;
    * ``encoding``, ``one_vs_rest``, ``preprocessing``, ``scale``, ``seed``;
    * ``n_features`` (= d), ``description`` (what was done, in words), ``test`` (held-out LoadedData or None).
    """

    def __init__(self, X, y, *, name, indices, source_classes, classes, encoding, one_vs_rest, preprocessing,
                 scale, seed, description, test=None):
        super().__init__(X, y)
        self.name = name
        self.indices = tuple(int(i) for i in indices)
        self.source_classes = tuple(int(c) for c in source_classes)
        self.classes = tuple(classes)
        self.class_names = tuple(B.class_names(name)[c] for c in self.classes)
        self.class_counts = {c: self.source_classes.count(c) for c in self.classes}
        self.encoding = encoding
        self.one_vs_rest = one_vs_rest
        self.preprocessing = preprocessing
        self.scale = scale
        self.seed = seed
        self.description = description
        self.test = test

    @property
    def n_features(self) -> int:
        """The number of features d of each data point (after preprocessing): the same as ``d``."""
        return self.d

    def __repr__(self):
        counts = ", ".join(f"{self.class_names[i]}: {self.class_counts[c]}" for i, c in enumerate(self.classes))
        extra = f", test n={self.test.n}" if self.test is not None else ""
        return f"LoadedData({self.name}, n={self.n}, d={self.d}, k={self.k}; {counts}{extra})"


def _classes(name, classes, one_vs_rest):
    names = B.class_names(name)
    m = len(names)

    def one(c, what):
        if isinstance(c, str):
            if c not in names:
                raise InputError(f"{what} {c!r} is not a class of {name}; its classes are {', '.join(names)} "
                                 f"(or their indices 0…{m - 1})")
            return names.index(c)
        return V.integer(c, f"{what} of {name}", minimum=0, maximum=m - 1)

    if classes is None or (classes is DEFAULT_PAIR and one_vs_rest is not None):
        cl = tuple(range(m))
    else:
        if isinstance(classes, str | bytes) or not hasattr(classes, "__iter__"):
            raise InputError(f"classes must be a tuple of at least two classes of {name} (indices 0…{m - 1} or "
                             f"names {', '.join(names)}), or None for all; got {classes!r}")
        cl = tuple(one(c, "class") for c in classes)
        if len(cl) < 2:
            raise InputError(f"classes must name at least two classes (a binary task needs two), got {classes!r}; "
                             "for one class against all others use one_vs_rest=c")
        if len(set(cl)) != len(cl):
            raise InputError(f"classes must be distinct, got {classes!r}")
    ovr = None
    if one_vs_rest is not None:
        ovr = one(one_vs_rest, "one_vs_rest class")
        if ovr not in cl:
            raise InputError(f"one_vs_rest={one_vs_rest!r} is not among classes={classes!r}")
    return cl, ovr


def _split(n, cl, ovr):
    """Counts per class under the balancing rule (module docstring)."""
    if ovr is None:
        m = len(cl)
        return {c: n // m + (1 if i < n % m else 0) for i, c in enumerate(cl)}
    rest = [c for c in cl if c != ovr]
    neg = n // 2
    out = {ovr: n - neg}
    out.update({c: neg // len(rest) + (1 if i < neg % len(rest) else 0) for i, c in enumerate(rest)})
    return out


def _draw(rng, by_class, cl, counts, what):
    chosen = []
    for c in cl:
        need, rows = counts.get(c, 0), by_class[c]
        if need > len(rows):
            raise InputError(f"{what} needs {need} rows of class {c} but only {len(rows)} are available; lower n "
                             "(or n_test), or pass balance=False")
        if need:
            pick = rng.choice(np.asarray(rows, dtype=np.int64), size=need, replace=False)
            chosen.extend(int(i) for i in pick)
            taken = set(int(i) for i in pick)
            by_class[c] = [r for r in rows if r not in taken]
    return chosen


def _labels(src, cl, ovr, encoding):
    if encoding == "pm1":
        pos = ovr if ovr is not None else cl[1]
        return [1 if c == pos else -1 for c in src]
    if encoding == "index":
        return [cl.index(c) for c in src]
    m = len(cl)
    return [[1 if j == cl.index(c) else 0 for j in range(m)] for c in src]


def _load(name, *, classes, n, seed, scale, balance, one_vs_rest, encoding, preprocessing, n_test, image=False):
    B.check_name(name)
    cl, ovr = _classes(name, classes, one_vs_rest)
    if encoding is None:
        encoding = "pm1" if (len(cl) == 2 or ovr is not None) else "onehot"
    V.one_of(encoding, ENCODINGS, "encoding")
    if encoding == "pm1" and len(cl) != 2 and ovr is None:
        raise InputError(f"encoding='pm1' needs two classes or one_vs_rest=c; with {len(cl)} classes use "
                         "encoding='onehot' or 'index'")
    V.one_of(preprocessing, PREPROCESSING, "preprocessing")
    scale = V.positive_rational(scale, "scale")
    seed = V.nonneg_int(seed, "seed")
    balance = V.boolean(balance, "balance")
    n_test = V.nonneg_int(n_test, "n_test")
    rows = B.raw_rows(name)
    by_class = {c: [i for i, (_, lab) in enumerate(rows) if lab == c] for c in cl}
    available = sum(len(v) for v in by_class.values())
    if n is None:
        n = available - n_test
        if n <= 0:
            raise InputError(f"n_test = {n_test} leaves no training rows among the {available} of these classes")
        balance = False
    else:
        n = V.positive_int(n, "n")
        if n + n_test > available:
            raise InputError(f"n + n_test = {n + n_test} exceeds the {available} rows of classes {cl} in {name}; "
                             "lower n")
    rng = np.random.default_rng(seed)
    if balance:
        train = _draw(rng, by_class, cl, _split(n, cl, ovr), "the training set")
        test = _draw(rng, by_class, cl, _split(n_test, cl, ovr), "the test set") if n_test else []
    else:
        pool = np.asarray(sorted(i for c in cl for i in by_class[c]), dtype=np.int64)
        perm = rng.permutation(pool)
        train = [int(i) for i in perm[:n]]
        test = [int(i) for i in perm[n:n + n_test]]

    if preprocessing == "minmax":  # per-feature (x − min)/(max − min) over the whole file (every row)
        allf = [B.exact_features(name, i) for i in range(len(rows))]
        lo = [min(col) for col in zip(*allf)]
        hi = [max(col) for col in zip(*allf)]
    # pixels p ∈ {0,…,16} ↦ p/16 (min–max already maps every feature into [0, 1])
    divisor = Fraction(16) if name == "digits" and preprocessing == "none" else Fraction(1)

    def features(i):
        f = B.exact_features(name, i)
        if preprocessing == "minmax":
            f = [(x - a) / (b - a) if b != a else Fraction(0) for x, a, b in zip(f, lo, hi)]
        return [x / divisor * scale for x in f]

    def build(idx, description, test_set=None):
        idx = sorted(idx)
        src = [rows[i][1] for i in idx]
        X = np.empty((len(idx), len(rows[0][0])), dtype=object)
        for r, i in enumerate(idx):
            X[r, :] = features(i)
        if image:
            X = X.reshape(len(idx), 1, 8, 8)
        return LoadedData(X, _labels(src, cl, ovr, encoding), name=name, indices=idx, source_classes=src,
                          classes=cl, encoding=encoding, one_vs_rest=ovr, preprocessing=preprocessing,
                          scale=scale, seed=seed, description=description, test=test_set)

    names = B.class_names(name)
    what = (f"one-vs-rest: {names[ovr]} ↦ +1, {', '.join(names[c] for c in cl if c != ovr)} ↦ −1"
            if ovr is not None and encoding == "pm1" else
            f"{names[cl[0]]} ↦ −1, {names[cl[1]]} ↦ +1" if encoding == "pm1" else
            f"{encoding} labels over classes {', '.join(names[c] for c in cl)}")
    prep = ("pixels p ∈ {0,…,16} ↦ p/16·scale" if name == "digits" and preprocessing == "none" else
            "decimal numerals of the file, exactly, ×scale" if preprocessing == "none" else
            "per-feature (x − min)/(max − min) over all rows of the file" + (" (pixels)" if name == "digits" else "")
            + " ×scale")
    sel = ("balanced per class" if balance else "uniform without replacement")

    def describe(k, part):
        return (f"{name}: {k} {part} rows ({sel}, seed {seed}) from scikit-learn's bundled file; {what}; "
                f"features: {prep} (scale = {scale}); exact rationals (docs/data.md)")

    test_set = build(test, describe(len(test), "held-out")) if test else None
    return build(train, describe(len(train), "training"), test_set)


def digits(classes=DEFAULT_PAIR, n=None, seed: int = 0, scale=1, balance: bool = True, *, one_vs_rest=None,
           encoding=None, preprocessing="none", n_test: int = 0, image: bool = False) -> LoadedData:
    """scikit-learn's handwritten digits (the UCI test set, 1,797 images of 8×8 pixels with integer intensity
    0…16; about 180 per class): each pixel p becomes the exact rational p/16 · ``scale`` (so features lie in
    [0, scale]); d = 64 features in row-major pixel order, or ``image=True`` for points of shape (1, 8, 8)
    (channels first, for convolutional networks). See the module docstring for ``classes``, ``n``,
    ``balance``, ``one_vs_rest``, ``encoding``, ``n_test``; ``preprocessing="minmax"`` maps each pixel
    position by (p − min)/(max − min) over all 1,797 images (constant positions become 0) before ·scale."""
    return _load("digits", classes=classes, n=n, seed=seed, scale=scale, balance=balance, one_vs_rest=one_vs_rest,
                 encoding=encoding, preprocessing=preprocessing, n_test=n_test, image=V.boolean(image, "image"))


def iris(classes=DEFAULT_PAIR, n=None, seed: int = 0, scale=1, balance: bool = True, *, one_vs_rest=None,
         encoding=None, preprocessing="none", n_test: int = 0) -> LoadedData:
    """Fisher's iris (150 flowers, 50 per class setosa/versicolor/virginica, 4 measurements in cm with one
    decimal): each feature is the exact decimal of the file (5.1 ↦ 51/10) · ``scale``;
    ``preprocessing="minmax"`` maps each feature to [0, 1] by (x − min)/(max − min) over all 150 rows first.
    Selection and labels as in the module docstring."""
    return _load("iris", classes=classes, n=n, seed=seed, scale=scale, balance=balance, one_vs_rest=one_vs_rest,
                 encoding=encoding, preprocessing=preprocessing, n_test=n_test)


def wine(classes=DEFAULT_PAIR, n=None, seed: int = 0, scale=1, balance: bool = True, *, one_vs_rest=None,
         encoding=None, preprocessing="none", n_test: int = 0) -> LoadedData:
    """The UCI wine recognition data (178 wines, classes of 59/71/48, 13 chemical measurements of very
    different magnitudes — proline is in the hundreds to thousands, so ``preprocessing="minmax"`` is usually
    wanted): exact decimals of the file · ``scale``. Selection and labels as in the module docstring."""
    return _load("wine", classes=classes, n=n, seed=seed, scale=scale, balance=balance, one_vs_rest=one_vs_rest,
                 encoding=encoding, preprocessing=preprocessing, n_test=n_test)


def breast_cancer(classes=DEFAULT_PAIR, n=None, seed: int = 0, scale=1, balance: bool = True, *, one_vs_rest=None,
                  encoding=None, preprocessing="none", n_test: int = 0) -> LoadedData:
    """The Wisconsin diagnostic breast cancer data (569 tumours: 212 malignant = class 0, 357 benign =
    class 1; 30 features of very different magnitudes, so ``preprocessing="minmax"`` is usually wanted):
    exact decimals of the file · ``scale``. With the default ``classes=(0, 1)`` and ``encoding="pm1"``,
    malignant ↦ −1 and benign ↦ +1. Selection and labels as in the module docstring."""
    return _load("breast_cancer", classes=classes, n=n, seed=seed, scale=scale, balance=balance,
                 one_vs_rest=one_vs_rest, encoding=encoding, preprocessing=preprocessing, n_test=n_test)
