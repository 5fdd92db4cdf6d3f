"""verify.plot: figures build without a display, axis scales follow the documented rule, the sharpness error bars
are exactly the outward-rounded certified enclosures."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from matplotlib.figure import Figure

import verify as vf
from verify import plot
from verify.convergence.gd import gd
from verify.errors import InputError
from verify.result import Result, Verdict, make_scope
from verify.stability.sharpness import SharpnessCheckpoint, SharpnessResult, certify_sharpness


def _lf(tr):
    """Trajectory.losses_float as an array, whether a property (now) or a method (before)."""
    v = tr.losses_float
    return np.asarray(v if isinstance(v, np.ndarray) else v())


def _tf(tr):
    v = tr.thetas_float
    return np.asarray(v if isinstance(v, np.ndarray) else v())


def _quadratic_run(arith="float", steps=30):
    x, y = sp.symbols("x y")
    L = vf.Objective.from_sympy(sp.Rational(3, 2) * x**2 + y**2 / 2, [x, y])
    return gd(L, [1, 1], Fraction(1, 4), steps, arith)


@pytest.mark.parametrize("values,scale", [
    ([1.0, 0.1, 0.01], "log"),            # positive, 2 decades
    ([1.0, 0.5, 0.2], "linear"),          # positive, < 2 decades
    ([3.0, -2.5e17, 0.5], "symlog"),      # both signs, spanning decades
    ([0.0, 1.0, 1e-5], "symlog"),         # a zero among values spanning decades
    ([-1.0, 1.0, 0.5], "linear"),         # both signs, narrow
    ([0.0, 0.0], "linear"),
    ([], "linear"),
    ([np.nan, np.inf, 1.0, 1e-9], "log"),  # non-finite values are ignored
])
def test_choose_scale_rule(values, scale):
    got, kw = plot.choose_scale(values)
    assert got == scale
    if scale == "symlog":
        nz = [abs(v) for v in values if v != 0 and np.isfinite(v)]
        assert kw["linthresh"] == min(nz)
    assert plot.choose_scale([1.0, 2.0], log=True)[0] == "log"
    assert plot.choose_scale([-1.0, 2.0], log=True)[0] == "symlog"
    assert plot.choose_scale([1.0, 1e-9], log=False)[0] == "linear"


def test_losses_accepts_trajectories_arrays_lists_and_dicts():
    tr = _quadratic_run()
    ax = plot.losses(tr)
    assert isinstance(ax.figure, Figure) and ax.get_yscale() == "log"  # GD contracts the loss over decades
    (line,) = ax.get_lines()
    assert np.array_equal(line.get_ydata(), _lf(tr))
    ax = plot.losses([tr, _lf(tr)[:10]], labels=["a", "b"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    ax = plot.losses({"run": tr}, log=False)
    assert ax.get_yscale() == "linear"
    ax = plot.losses(np.array([1.0, -1.0, 1e-6]))
    assert ax.get_yscale() == "symlog"
    with pytest.raises(InputError):
        plot.losses([tr], labels=["a", "b"])
    with pytest.raises(InputError):
        plot.losses(object())


def test_loss_values_accepts_attribute_and_method_apis():
    tr = _quadratic_run(steps=5)
    ref = np.asarray(_lf(tr))

    class MethodOnly:  # a Trajectory whose ``losses`` became a method returning floats
        thetas = tr.thetas

        def losses(self):
            return list(ref)

    class AttributeOnly:
        thetas = tr.thetas
        losses = list(tr.losses)

    assert np.array_equal(plot.loss_values(MethodOnly()), ref)
    assert np.array_equal(plot.loss_values(AttributeOnly()), ref)
    b = _quadratic_run("ball64", steps=5)
    assert np.allclose(plot.loss_values(b), ref, rtol=1e-12)
    e = _quadratic_run("exact", steps=3)
    assert np.allclose(plot.loss_values(e), ref[:4], rtol=1e-12)


def test_trajectory_figure_has_loss_and_parameter_panels():
    tr = _quadratic_run()
    fig = plot.trajectory(tr)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_yscale() == "log"
    assert len(fig.axes[1].get_lines()) == 2  # p = 2 ≤ 12: one curve per coordinate
    fig = plot.trajectory(tr, params=1)
    (line,) = fig.axes[1].get_lines()
    th = _tf(tr)
    assert np.allclose(line.get_ydata(), np.linalg.norm(th - th[0], axis=1))
    with pytest.raises(InputError):
        plot.trajectory([1.0, 2.0])


def test_sharpness_error_bars_are_the_enclosures(tmp_path):
    res = certify_sharpness(_quadratic_run(steps=6), every=2)
    ax = plot.sharpness(res, losses_axis=True)
    lo, hi = res.float_bounds()
    (bars,) = ax.collections
    segs = bars.get_segments()
    assert len(segs) == len(res.checkpoints)
    for seg, c, a, b in zip(segs, res.checkpoints, lo, hi):
        assert seg[0][0] == seg[1][0] == c.step
        assert (seg[0][1], seg[1][1]) == (a, b)
        assert Fraction(seg[0][1]) <= c.lower and c.upper <= Fraction(seg[1][1])  # outward: contains the proof
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(lines) == 1 and lines[0].get_ydata()[0] == float(res.threshold) == 8.0
    assert ax.loss_axis.get_yscale() == "log"
    ax.figure.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 1000
    ax = plot.sharpness(res, eta=Fraction(1, 2))
    assert [ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"] == [4.0]


def test_sharpness_plot_of_hand_made_and_uncertified_checkpoints():
    cps = [SharpnessCheckpoint(0, Fraction(1, 3), Fraction(2, 3)), SharpnessCheckpoint(5, None, None),
           SharpnessCheckpoint(10, Fraction(10**400), Fraction(10**400 + 1))]
    res = SharpnessResult(Fraction(1, 10), cps, "float", "hand-made")
    ax = plot.sharpness(res)
    segs = ax.collections[0].get_segments()
    assert len(segs) == 1  # no bar for the uncertified checkpoint nor for the one beyond the float range
    assert segs[0][0][1] <= 1 / 3 and segs[0][1][1] >= 2 / 3
    assert res.float_bounds()[1][2] == np.inf  # outward to infinity, never a finite wrong bound
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "uncertified at steps [5]" in texts and "beyond the float range at steps [10]" in texts
    with pytest.raises(InputError):
        plot.sharpness(object())
    with pytest.raises(InputError):
        plot.sharpness(res, eta=0)


def test_margins_plot_uses_symlog_for_margins_spanning_decades():
    sc = make_scope("x", count=1)
    rs = [Result(Verdict.PROVED, claim="a", margin=Fraction(1, 3), arithmetic="exact", scope=sc),
          Result(Verdict.REFUTED, claim="b", margin=-2.5e17, arithmetic="ball"),
          Result(Verdict.SUPPORTED, claim="c", margin=0.02),
          Result(Verdict.INCONCLUSIVE, claim="d", margin=None),
          Result(Verdict.SUPPORTED, claim="e", margin=[Fraction(1), Fraction(3)])]
    ax = plot.margins(rs)
    assert ax.get_yscale() == "symlog"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "PROVED" in texts and "REFUTED" in texts and "1 without a margin" in texts
    pts = {tuple(xy) for ln in ax.get_lines() for xy in ln.get_xydata()}
    assert (4.0, 2.0) in pts and (0.0, 1 / 3) in pts
    assert plot.margins(rs[:1] + rs[2:3]).get_yscale() == "linear"  # 1/3 and 0.02: less than two decades
    with pytest.raises(InputError):
        plot.margins(rs, labels=["x"])
