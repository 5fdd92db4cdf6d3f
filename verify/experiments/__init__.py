"""Experiments on real data that compose the toolkit's analyses (issue 15): they depend on the models, arithmetic
and analyses layers only, and return plain result objects with ``table()``/``summary()`` texts for notebooks.

* :func:`np_vs_gd` — Neuron Pursuit (Kumar & Haupt, arXiv:2509.12154) versus GD from a small initialisation
  (arXiv:2402.09226, arXiv:2403.08121) on digits, binary or one-vs-rest, depth 2 or 3: loss curves, neurons used,
  wall-clock, test error, and a short comparison (:mod:`verify.experiments.pursuit`). Float64 evidence.
* :func:`train_cnn` — a small CNN (conv 3×3, 2–4 channels, pooling, dense) trained on digits through the layer
  graph ``vf.nn`` by plain GD; :func:`certify_trained` — at the trained weights: certified non-singularity of the
  GD map on a grid of η (Crăciun & Ghoshdastidar, arXiv:2510.24466), the stability classification of the reached
  point (a certified critical point is required for a "stable minimum"; otherwise the Hessian at θ̂ is classified
  and the minimum claim is INCONCLUSIVE), and certified sharpness against 2/η (Cohen et al., arXiv:2103.00065)
  (:mod:`verify.experiments.cnn`).

Chatterjee's positive-versus-random initialisation comparison (arXiv:2203.16462) lives in
:func:`verify.pl.compare_initialisations`; ``benchmarks/bench_experiments.py`` times all three.
"""

from .cnn import CNNCertificate, TrainedCNN, build_cnn, certify_trained, train_cnn
from .pursuit import MethodRun, NPvsGD, comparison_text, np_vs_gd

__all__ = ["np_vs_gd", "NPvsGD", "MethodRun", "comparison_text", "train_cnn", "certify_trained", "build_cnn",
           "TrainedCNN", "CNNCertificate"]
