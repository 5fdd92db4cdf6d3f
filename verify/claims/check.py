"""``vf.check``: search for a counterexample to a claim, shrink it, and certify it.

1. hypothesis generates instances from the claim's strategy; ``hypothesis.target(−margin)`` steers the
   search towards small and negative margins;
2. the first violation (margin < 0) is shrunk by hypothesis to a minimal instance (few neurons, small
   integers);
3. that instance is re-evaluated up the precision ladder — float64 balls (``ball64``) for claims whose prop
   handles them (``Claim(fast=True)``), then Arb balls at 128, 256, 512 bits: REFUTED only when a certified
   evaluation confirms the violation (``Result.rung`` names the rung); a float violation no rung confirms is
   INCONCLUSIVE (round-off), never REFUTED;
4. without a violation the verdict is SUPPORTED on N instances, with the smallest margin seen —
   sampling never PROVES a claim.

Independent searches (different seeds) can run on a ``concurrent.futures.Executor`` (``executor=``,
``workers=``); claims are then passed by registered name, so they must be registered
(:func:`verify.claims.register`) in a module the workers import or inherit by fork.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings, target
from hypothesis import seed as hyp_seed

from ..errors import ClaimError, ClaimViolation, InputError
from ..result import Result, Verdict, encode
from .claim import Claim, get_claim, margin_float

COUNTEREXAMPLE_SCHEMA = 1
RECHECK_PRECISIONS = (128, 256, 512)


@dataclass
class CheckReport:
    """The outcome of :func:`check`: a Result plus the counterexample and how to reproduce it."""

    claim: str
    result: Result
    examples: int = 0
    min_margin: float = math.inf
    counterexample: object = None
    search_result: Result | None = None
    rechecks: list = field(default_factory=list)
    seed: int = 0
    reproduce: str = ""
    elapsed: float = 0.0
    #: the module that defines the claim's prop when it is not a built-in one (a hint for ``--import``)
    module: str = ""

    @property
    def verdict(self) -> Verdict:
        """The verdict of the check (:attr:`result`'s): REFUTED with a certified counterexample, SUPPORTED when the
        search found none (evidence, not a proof), INCONCLUSIVE when a violation found in float could not be
        certified by any rung of the recheck ladder. Sampling never gives PROVED."""
        return self.result.verdict

    def summary(self) -> str:
        """One paragraph: the verdict, its message, the counterexample (if any) and how to reproduce it."""
        s = f"{self.claim}: {self.verdict.value} — {self.result.message}"
        if self.counterexample is not None:
            s += f"\n  counterexample (size {getattr(self.counterexample, 'size', '?')}): {self.counterexample}"
        if self.reproduce:
            s += f"\n  reproduce: {self.reproduce}"
        return s

    def counterexample_dict(self) -> dict:
        """The counterexample file content (schema :data:`COUNTEREXAMPLE_SCHEMA`)."""
        if self.counterexample is None:
            raise InputError("no counterexample to export")
        out = {"schema": COUNTEREXAMPLE_SCHEMA, "kind": "verify-counterexample", "claim": self.claim,
               "instance": self.counterexample.to_dict(), "verdict": self.verdict.value,
               "result": self.result.to_dict(), "seed": self.seed, "reproduce": self.reproduce}
        if self.module:
            out["module"] = self.module  # where a user-defined claim is registered: a hint for --import only
        return out

    def save_counterexample(self, path) -> None:
        """Write :meth:`counterexample_dict` as JSON to ``path`` (exact rationals as ``"p/q"`` strings); ``verify
        recheck path`` re-checks it (docs/guide/counterexamples.md). :class:`~verify.errors.InputError` if there is
        no counterexample."""
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(encode(self.counterexample_dict()), fh, indent=1)
            fh.write("\n")


def _search(claim: Claim, max_examples: int, deadline, seed: int) -> dict:
    """One hypothesis search; returns examples, min margin and the shrunk violation (if any)."""
    stats = {"n": 0, "min_margin": math.inf}

    @settings(max_examples=max_examples, deadline=deadline, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @hyp_seed(seed)
    @given(claim.instances)
    def run(instance):
        try:
            res = claim.evaluate(instance)
        except (ArithmeticError, InputError) as exc:
            raise ClaimError(f"claim {claim.name!r}: prop raised {type(exc).__name__}: {exc}", instance) from exc
        m = margin_float(res)
        stats["n"] += 1
        stats["min_margin"] = min(stats["min_margin"], m)
        if math.isfinite(m):
            target(-m, label="negative margin")
        if m < 0 or res.verdict == Verdict.REFUTED:
            raise ClaimViolation(instance, res)

    out = {"violation": None, "notes": [], "error": None}
    try:
        run()
    except ClaimViolation as v:
        out["violation"] = (v.instance, v.result)
        out["notes"] = list(getattr(v, "__notes__", []))
    except ClaimError as e:
        out["error"] = (str(e), e.instance)
    out["n"], out["min_margin"] = stats["n"], stats["min_margin"]
    return out


def _search_by_name(name, max_examples, deadline, seed):
    return _search(get_claim(name), max_examples, deadline, seed)


def _reproduce_line(notes, seed) -> str:
    blob = next((n.strip() for n in notes if "reproduce_failure" in n), "")
    return f"seed={seed}" + (f"; {blob}" if blob else "")


#: arithmetics whose REFUTED a re-check accepts (enclosures or exact values)
CERTIFIED_ARITHMETICS = ("ball64", "ball", "exact", "symbolic")


def recheck_ladder(claim: Claim, precisions=RECHECK_PRECISIONS) -> list:
    """The rungs a re-check climbs: ``ball64`` if the claim's prop handles float64 balls (``claim.fast``), then
    Arb balls at each of ``precisions``."""
    from ..arith.ladder import Rung

    return ([Rung("ball64")] if claim.fast else []) + [Rung("ball", p) for p in precisions]


def recheck(claim: Claim, instance, precisions=RECHECK_PRECISIONS) -> tuple[Result, list]:
    """Re-evaluate a counterexample up the precision ladder (:func:`recheck_ladder`). Returns (Result, history):
    ``history`` lists ``(rung label, verdict, margin)`` per attempt. REFUTED only from a certified evaluation
    (``Result.rung`` says which rung); a rung whose enclosures cannot be formed (not finite, a kink inside a ball)
    is recorded as undecided and the next rung is tried."""
    from ..arith.ladder import UNDECIDED

    history = []
    if not claim.certifiable:
        res = Result(Verdict.INCONCLUSIVE, claim=claim.name, message="prop has no arith= parameter: the float "
                     "counterexample cannot be re-checked in ball arithmetic")
        return res, history
    last = None
    for rung in recheck_ladder(claim, precisions):
        try:
            res = claim.evaluate(instance, arith=rung.arith, prec=rung.prec)
        except UNDECIDED as exc:  # enclosures not finite, a kink inside a ball, …: the next rung may decide
            history.append((rung.label, f"undecided ({type(exc).__name__})", None))
            continue
        history.append((rung.label, res.verdict.value, margin_float(res)))
        last = res
        if res.verdict == Verdict.REFUTED and res.arithmetic in CERTIFIED_ARITHMETICS:
            res.rung = rung.label
            res.certificate = {**(res.certificate or {}), "ladder": [
                {"rung": lab, "outcome": v} for lab, v, _ in history]}
            return res, history
        if res.verdict in (Verdict.PROVED, Verdict.SUPPORTED) and margin_float(res) > 0:
            break  # the enclosures say the claim holds here: the float violation was round-off
    msg = ("the float violation is not confirmed in certified arithmetic (" +
           ", ".join(f"{lab}: {v}" for lab, v, _ in history) + "): treated as round-off")
    return Result(Verdict.INCONCLUSIVE, claim=claim.name, arithmetic="ball", precision=precisions[-1],
                  margin=None if last is None else last.margin, message=msg), history


def check(claim, max_examples: int = 100, deadline=None, executor=None, seed: int = 0, workers: int = 1) -> CheckReport:
    """Search ``claim`` for a counterexample (see the module docstring). ``claim``: a Claim or a
    registered name. With ``executor`` (a concurrent.futures.Executor), ``workers`` independent
    searches with seeds seed, seed+1, … share the ``max_examples`` budget."""
    t0 = time.perf_counter()
    if isinstance(claim, str):
        claim = get_claim(claim)
    if not isinstance(claim, Claim):
        raise InputError("check() needs a verify.Claim (or a registered claim name)")
    if not isinstance(max_examples, int) or max_examples < 1:
        raise InputError(f"max_examples must be a positive integer, got {max_examples!r}")
    if executor is None or workers <= 1:
        runs = [(seed, _search(claim, max_examples, deadline, seed))]
    else:
        per = max(1, max_examples // workers)
        futs = [(seed + i, executor.submit(_search_by_name, claim.name, per, deadline, seed + i))
                for i in range(workers)]
        runs = [(s, f.result()) for s, f in futs]
    n = sum(r["n"] for _, r in runs)
    min_m = min((r["min_margin"] for _, r in runs), default=math.inf)
    errors = [(s, r["error"]) for s, r in runs if r["error"]]
    viol = [(s, r) for s, r in runs if r["violation"]]
    if errors and not viol:
        s, (msg, inst) = errors[0]
        raise ClaimError(msg + f" (instance: {inst}; seed {s})", inst)
    if not viol:
        res = Result(Verdict.SUPPORTED, claim=claim.name, margin=min_m, arithmetic="float", seed=seed,
                     message=f"no counterexample in {n} generated instances; smallest margin {min_m:.6g} "
                             "(sampling supports a claim, it never proves it)")
        return CheckReport(claim.name, res, n, min_m, seed=seed, elapsed=time.perf_counter() - t0,
                           module=_user_module(claim))
    # the smallest shrunk counterexample over the searches
    s, r = min(viol, key=lambda sr: (getattr(sr[1]["violation"][0], "size", (0,)), sr[0]))
    inst, fres = r["violation"]
    repro = _reproduce_line(r["notes"], s)
    if fres.verdict == Verdict.REFUTED and fres.arithmetic in CERTIFIED_ARITHMETICS:
        final, history = fres, [("search", fres.verdict.value, margin_float(fres))]
    else:
        final, history = recheck(claim, inst)
    final.seed = s
    if final.verdict == Verdict.REFUTED:
        at = "" if final.precision is None else f" at {final.precision} bits"
        final.message = (f"certified counterexample after {n} instances (shrunk by hypothesis, re-checked in "
                         f"{final.arithmetic} arithmetic{at}): {final.message}")
        if hasattr(inst, "to_dict"):  # the counterexample is the instance itself, plus what prop reported
            final.counterexample = {"instance": inst.to_dict(), **(final.counterexample or {})}
    return CheckReport(claim.name, final, n, min_m, inst, fres, history, s, repro, time.perf_counter() - t0,
                       module=_user_module(claim))


def _user_module(claim: Claim) -> str:
    """The module defining a user claim's prop ('' for the toolkit's own claims and for ``__main__``)."""
    mod = getattr(claim.prop, "__module__", "") or ""
    return "" if mod == "__main__" or mod == "verify" or mod.startswith("verify.") else mod


def load_counterexample(path) -> dict:
    """Read and validate a counterexample file: {'claim': name, 'instance': Instance, …}."""
    from ..errors import SchemaError
    from ..result import read_json
    from .instance import Instance

    d = read_json(path, what="counterexample file")  # size, nesting and number limits; clear errors
    if not isinstance(d, dict) or d.get("kind") != "verify-counterexample":
        raise SchemaError(f"{path}: not a verify counterexample file")
    if d.get("schema") != COUNTEREXAMPLE_SCHEMA:
        raise SchemaError(f"{path}: unsupported counterexample schema {d.get('schema')!r} "
                          f"(this toolkit reads {COUNTEREXAMPLE_SCHEMA})")
    if not isinstance(d.get("claim"), str):
        raise SchemaError(f"{path}: missing claim name")
    from .claim import _MODULE_NAME

    module = d.get("module")
    module = module if isinstance(module, str) and len(module) <= 200 and _MODULE_NAME.match(module) else None
    return {"claim": d["claim"], "instance": Instance.from_dict(d.get("instance")), "seed": d.get("seed"),
            "verdict": d.get("verdict"), "module": module}


def recheck_file(path, imports=()) -> Result:
    """Re-verify a stored counterexample: the claim by its registered name, in ball arithmetic.

    ``imports``: module names imported first (:func:`~verify.claims.claim.import_claim_module`), whose import
    registers user-defined claims; installed ``verify.claims`` entry points are loaded too. The file's optional
    ``module`` field (written by :meth:`CheckReport.save_counterexample` for a user claim) is only a hint in the
    error message: a file never causes an import."""
    from .claim import import_claim_module

    for mod in imports:
        import_claim_module(mod)
    d = load_counterexample(path)
    try:
        claim = get_claim(d["claim"])
    except InputError as exc:
        mod = d.get("module")
        if mod:
            raise InputError(f"{exc}. The file says the claim was defined in the module {mod!r}: re-run with "
                             f"--import {mod}") from None
        raise
    res, history = recheck(claim, d["instance"])
    res.certificate = dict(res.certificate or {}, rechecks=history, file=str(path))
    return res
