"""Data sets (models layer: data only, no analyses).

Real data, loaded exactly from scikit-learn's bundled files (``pip install "verify[data]"``; nothing is
downloaded): :func:`digits`, :func:`iris`, :func:`wine`, :func:`breast_cancer`, each returning a
:class:`LoadedData` (a :class:`verify.Dataset` with provenance). Synthetic teacher–student data:
:func:`teacher_student`, :func:`teacher_weights`, :func:`rational_points`. Preprocessing and class balancing
are documented in ``docs/data.md``.
"""

from .real import LoadedData, breast_cancer, digits, iris, wine
from .synthetic import rational_points, teacher_student, teacher_weights

__all__ = ["LoadedData", "digits", "iris", "wine", "breast_cancer", "teacher_student", "teacher_weights",
           "rational_points"]
