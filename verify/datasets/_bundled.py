"""Real data sets bundled with scikit-learn, read exactly from the CSV text of its package directory.

scikit-learn ships ``digits.csv.gz``, ``iris.csv``, ``wine_data.csv`` and ``breast_cancer.csv`` inside
``sklearn/datasets/data/``; ``sklearn.datasets.load_*`` parses them into float64 arrays. We read the *text*
ourselves: every feature is a decimal numeral, so ``Fraction(text)`` is its exact value (a float64 array is not:
0.1 has no binary representation, and recovering the decimal from a float would need a proof that the printed
shortest repr is the file's numeral). Nothing is downloaded; scikit-learn is located with
``importlib.util.find_spec`` and never imported (so loading costs milliseconds).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import os
from fractions import Fraction
from functools import cache

from ..errors import InputError, InternalError, MissingDependencyError

# name -> (file, number of rows, number of features, class names)
_FILES = {
    "digits": ("digits.csv.gz", 1797, 64, tuple(str(c) for c in range(10))),
    "iris": ("iris.csv", 150, 4, ("setosa", "versicolor", "virginica")),
    "wine": ("wine_data.csv", 178, 13, ("class_0", "class_1", "class_2")),
    "breast_cancer": ("breast_cancer.csv", 569, 30, ("malignant", "benign")),
}


def data_dir() -> str:
    """Directory of scikit-learn's bundled data files (``sklearn/datasets/data``), without importing sklearn."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):  # a broken install or a stub module
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("the real data sets (vf.datasets.digits, iris, wine, breast_cancer) are read from "
                                     "scikit-learn's bundled files; install it with pip install \"verify[data]\" "
                                     "(or pip install scikit-learn)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data")
    if not os.path.isdir(path):
        raise MissingDependencyError(f"scikit-learn is installed but its bundled data directory {path} is missing; "
                                     "reinstall it with pip install --force-reinstall scikit-learn")
    return path


@cache
def raw_rows(name: str) -> tuple[tuple[tuple[str, ...], int], ...]:
    """The rows of a bundled file as (feature numerals as text, class index); checked against the header."""
    fname, n_rows, n_feat, _ = _FILES[name]
    path = os.path.join(data_dir(), fname)
    try:
        if fname.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                text = fh.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise MissingDependencyError(f"cannot read scikit-learn's bundled file {path} ({exc}); reinstall "
                                     "scikit-learn") from None
    rows = list(csv.reader(io.StringIO(text)))
    if name != "digits":  # header: n_samples, n_features, class names …
        header, rows = rows[0], rows[1:]
        if int(header[0]) != n_rows or int(header[1]) != n_feat:
            raise InternalError(f"unexpected header {header[:2]} in {path}")
    rows = [r for r in rows if r]
    if len(rows) != n_rows or any(len(r) != n_feat + 1 for r in rows):
        raise InternalError(f"{path} does not have {n_rows} rows of {n_feat} features and a label; "
                            "the bundled file changed format")
    return tuple((tuple(r[:n_feat]), int(r[n_feat])) for r in rows)


@cache
def exact_features(name: str, row: int) -> tuple[Fraction, ...]:
    """The exact rational features of one row: the decimal numerals of the file, ``Fraction(text)``."""
    feats = raw_rows(name)[row][0]
    try:
        return tuple(Fraction(s.strip()) for s in feats)
    except (ValueError, ZeroDivisionError):
        raise InternalError(f"row {row} of {name} holds a non-numeral {feats!r}") from None


def class_names(name: str) -> tuple[str, ...]:
    return _FILES[name][3]


def shape(name: str) -> tuple[int, int]:
    return _FILES[name][1], _FILES[name][2]


def check_name(name: str) -> str:
    if name not in _FILES:
        raise InputError(f"unknown data set {name!r}; the bundled ones are {', '.join(_FILES)}")
    return name
