"""Timing helpers shared by the benchmarks: medians over repeated calls on a chosen clock, and short formats.

The clock is the process's CPU time by default (one BLAS/FLINT thread: equal to wall time on an idle machine,
and not inflated by other processes on a shared one), or wall time (``set_clock("wall")``). Float calls under
40 ms are timed in batches (≥ 21 of them): a single float call on a shared machine varies by 10×.
"""

from __future__ import annotations

import math
import os
import statistics
import time

CLOCK = "cpu"


def set_clock(kind: str) -> None:
    """``"cpu"`` (process time) or ``"wall"`` (perf_counter)."""
    global CLOCK
    if kind not in ("cpu", "wall"):
        raise ValueError(f"clock must be 'cpu' or 'wall', got {kind!r}")
    CLOCK = kind


def clock() -> float:
    """CPU time of this process (one thread: = wall time on an idle machine), or wall time (--clock wall)."""
    return time.process_time() if CLOCK == "cpu" else time.perf_counter()


class Timing:
    """A median time per call, the number of samples (batches or calls) behind it, their spread (half the
    interquartile range over the median; the range for 3 samples) and the last output."""

    def __init__(self, times: list, calls: int, out):
        self.median, self.samples, self.calls, self.out = statistics.median(times), len(times), calls, out
        self.again = None
        q = statistics.quantiles(times, n=4) if len(times) >= 4 else [min(times), 0, max(times)]
        self.spread = (q[2] - q[0]) / (2 * self.median) if self.median > 0 else 0.0  # half the IQR, relative

    def __str__(self):
        return fmt_t(self.median)

    def detail(self) -> str:
        if self.samples == 1:
            return "1 call"
        batch = f" × {self.calls // self.samples}" if self.calls > self.samples else ""
        return f"median of {self.samples}{batch}, ±{100 * self.spread:.0f}%"


def timed(f, repeat: int, again: bool = False) -> Timing:
    """Time f() (see the module docstring): a first call (untimed warm-up; kept as the only sample if it takes
    ≥ 10 s), a probe call, then batches of k calls for calls under 40 ms (≥ 21 batches), ``repeat`` calls under
    1 s, 3 calls under 10 s. ``again``: after a single call of ≥ 10 s, time a second (warm) one as ``.again``."""
    t0 = clock()
    out = f()
    t1 = clock() - t0
    if t1 >= 10:
        t = Timing([t1], 1, out)
        if again:
            t0 = clock()
            f()
            t.again = clock() - t0
        return t
    if t1 < 1:  # the first call filled caches: probe again
        t0 = clock()
        out = f()
        t1 = clock() - t0
    if t1 >= 1:
        ts = [t1]
        for _ in range(2):
            t0 = clock()
            out = f()
            ts.append(clock() - t0)
        return Timing(ts, 3, out)
    k = max(1, math.ceil(0.01 / max(t1, 1e-7))) if t1 < 0.04 else 1
    nb = max(repeat, 21) if t1 < 0.04 else repeat
    ts = []
    for _ in range(nb):
        t0 = clock()
        for _ in range(k):
            out = f()
        ts.append((clock() - t0) / k)
    return Timing(ts, nb * k, out)


def fmt_t(t: float | None) -> str:
    if t is None:
        return "—"
    if t < 0.9995e-3:
        return f"{t * 1e6:.0f}µs"
    if t < 0.9995:
        return f"{t * 1e3:.1f}ms"
    if t < 600:
        return f"{t:.2f}s"
    return f"{t / 60:.0f}min"


def fmt_r(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def load() -> str:
    """The machine's load averages (1, 5, 15 min), for the header of a benchmark's output."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"
