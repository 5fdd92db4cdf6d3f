"""A property-based suite of the kind a user writes with ``vf.strategies`` in ordinary ``@given`` tests.

Property (the descent lemma, ``docs/theory/local_pl.md`` §2.2): for a tanh network started from
Chatterjee's positive initialisation, GD with η ≤ 1/β, β a certified bound of ‖∇²L‖ over a ball
that contains the iterates, decreases the loss at every step — certified in ball arithmetic.
"""

from __future__ import annotations

from fractions import Fraction as F

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import verify as vf
from verify.numbers import to_fraction

R = F(1, 2)


@settings(max_examples=10, deadline=None)
@given(data=vf.strategies.datasets(n=(1, 2), d=2, linearly_independent=True),
       width=st.integers(1, 3), scale=st.sampled_from([1, 2, 4]))
def test_gd_from_positive_init_decreases_the_loss_when_eta_is_below_one_over_beta(data, width, scale):
    net = vf.MLP([2, width, width, 1], "tanh")
    loss = vf.SquareLoss(net, data)
    theta0 = vf.init.positive(net, scale)
    beta = vf.pl.hessian_norm_sup(loss, theta0, R)  # certified: sup over B(θ0, R) of ‖∇²L‖ ≤ β
    eta = F(1) / beta  # η ≤ 1/β_true
    traj = vf.convergence.gd(loss, theta0, eta, 5, "ball")
    # the lemma needs the iterates (and segments) in the ball where β holds
    far = [sum((to_fraction(v.mid()) - c) ** 2 for v, c in zip(th, theta0)) for th in traj.thetas]
    assume(max(far) < (R / 2) ** 2)
    for a, b in zip(traj.losses, traj.losses[1:]):
        assert b.upper() <= a.lower() or (b - a).upper() <= 0, "the loss increased"


@given(vf.strategies.instances(activations=st.sampled_from(["relu", "abs", "leaky_relu(1/10)"]), bias=False))
def test_every_generated_instance_round_trips_through_its_json_form(inst):
    again = vf.Instance.from_dict(inst.to_dict())
    assert again == inst and again.loss().value(list(inst.theta), "exact") == inst.loss().value(list(inst.theta),
                                                                                                    "exact")
