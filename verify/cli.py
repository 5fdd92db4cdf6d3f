"""The ``verify`` command.

``verify check`` runs every proof check in :mod:`proofs_checks`, prints a table (claim, instance,
verdict, expected verdict, margin, precision, time), writes a JSON report and exits with status 1
if any verdict differs from the expected one (2 on a usage error, e.g. nothing selected).

Exit statuses of every command: 0 success; 1 a check failed / a recheck did not refute; 2 a usage or
input error (one line on stderr: a missing or malformed file, a bad argument — never a traceback);
3 an internal error (one line on stderr asking for a report; ``VERIFY_DEBUG=1`` shows the traceback);
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="verify", description="Check theoretical claims about gradient descent "
                                "on neural networks with certified arithmetic.")
    p.add_argument("--version", action="version", version=f"verify {__version__}")
    sub = p.add_subparsers(dest="command")
    c = sub.add_parser("check", help="run the proof checks and print the report")
    c.add_argument("-k", "--keyword", help="only checks whose name, claim or instance contains this text")
    c.add_argument("--paper", help="only checks of this paper/module (e.g. homogeneous_np)")
    c.add_argument("--json", default="verify-report.json", metavar="PATH",
                   help="where to write the JSON report (default: %(default)s; '-' for stdout)")
    c.add_argument("--no-json", action="store_true", help="do not write a JSON report")
    c.add_argument("--quick", action="store_true", help="skip checks marked slow")
    c.add_argument("--list", action="store_true", help="list the selected checks and exit")
    c.add_argument("--format", choices=("text", "wide", "markdown"), default="text",
                   help="the table: 'text' wraps the claim and instance to the terminal (default), 'wide' prints one "
                        "line per check with nothing cut, 'markdown' a Markdown table")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")

    imp = argparse.ArgumentParser(add_help=False)
    imp.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                     help="import this Python module first (a dotted name such as mypkg.claims, found on sys.path "
                          "or in the current directory); its import registers user-defined claims. Repeatable. "
                          "Installed packages can also register claims through the 'verify.claims' entry point "
                          "group")
    sub.add_parser("claims", parents=[imp], help="list the registered claims")
    s = sub.add_parser("search", parents=[imp],
                       help="search a registered claim for a counterexample (hypothesis + Arb re-check)")
    s.add_argument("claim")
    s.add_argument("--max-examples", type=int, default=200)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--save", metavar="FILE.json", help="write the counterexample (if any) to this file")
    r = sub.add_parser("recheck", parents=[imp], help="re-verify a counterexample file in ball arithmetic")
    r.add_argument("file")
    w = sub.add_parser("sweep", parents=[imp],
                       help="evaluate a claim over a parameter grid (JSON lines, resumable)")
    w.add_argument("claim")
    w.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2|A:B",
                   help="a swept parameter (repeat for a product grid), e.g. --grid width=1,2,3 --grid seed=0:20")
    w.add_argument("--out", default="sweep.jsonl", help="results file (appended; existing points are skipped)")
    w.add_argument("--jobs", type=int, default=1, help="local worker processes (≥ 1)")
    w.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="time limit per point: a point over it is recorded as failed (PointTimeoutError) and the "
                        "sweep goes on (points then run in worker processes)")
    w.add_argument("--wait", action="store_true",
                   help="if another sweep is writing the same --out file, wait for it instead of refusing")
    w.add_argument("--scheduler", metavar="ADDRESS", help="a dask.distributed scheduler (tcp://host:port)")
    w.add_argument("-q", "--quiet", action="store_true")
    g = sub.add_parser("report", help="render a sweep file as a table, PNG plots and an HTML page")
    g.add_argument("file")
    g.add_argument("--out", default="sweep-report", help="output directory")
    return p


def _check(args) -> int:
    from .report import discover, render, run_checks, select

    if not args.list and not args.no_json and args.json != "-":
        from .result import check_output_file

        check_output_file(args.json, what="the JSON report")  # before running anything
    checks = select(discover(), args.keyword, args.paper, include_slow=not args.quick)
    if not checks:
        print("verify check: error: no proof check matches the selection (see --list, -k, --paper)", file=sys.stderr)
        return 2
    if args.list:
        for c in checks:
            print(f"{c.id}  [{c.paper_short}]  {c.claim} — {c.instance}  (expect {c.expected.value}; name {c.name})")
        return 0
    report = run_checks(checks, progress=None if args.quiet else sys.stderr)
    print(render(report, fmt=args.format))
    if not args.no_json:
        if args.json == "-":
            import json

            from .result import encode

            print(json.dumps(encode(report.to_dict()), indent=1))
        else:
            report.write_json(args.json)
            print(f"JSON report: {args.json}")
    return 0 if report.ok else 1


def _imports(args) -> None:
    """Import the --import modules (their import registers user-defined claims)."""
    from .claims.claim import import_claim_module

    for mod in getattr(args, "imports", []) or []:
        import_claim_module(mod)


def _claims(args) -> int:
    from .claims import claim_names, get_claim

    _imports(args)
    for name in claim_names():
        print(f"{name}: {get_claim(name).description}")
    return 0


def _search(args) -> int:
    from .claims import check

    _imports(args)
    if args.save:
        from .result import check_output_file

        check_output_file(args.save, what="--save")  # before the search, not after it
    rep = check(args.claim, max_examples=args.max_examples, seed=args.seed)
    print(rep.summary())
    if args.save and rep.counterexample is not None:
        rep.save_counterexample(args.save)
        imp = "".join(f" --import {m}" for m in args.imports)
        print(f"counterexample written to {args.save} (re-verify with: verify recheck{imp} {args.save})")
    return 0


def _recheck(args) -> int:
    from .claims import recheck_file
    from .result import read_json

    read_json(args.file, what="counterexample file")  # path, size and JSON safety first (clear errors)
    res = recheck_file(args.file, imports=args.imports)
    print(_result_line(res))
    return 0 if res.verdict.value == "REFUTED" else 1


def _result_line(res) -> str:
    """One line for a re-check's Result: verdict, claim, margin, arithmetic and rung, message (no empty fields)."""
    from .result import format_number

    parts = [f"{res.verdict.value}:"]
    if res.claim:
        parts.append(str(res.claim))
    if res.margin is not None:
        parts.append(f"(margin {format_number(res.margin)}")
        where = res.arithmetic + (f" {res.precision} bit" if res.precision else "") if res.arithmetic else ""
        parts[-1] += f", {where})" if where else ")"
    if getattr(res, "rung", None):
        parts.append(f"certified on the rung {res.rung}")
    line = " ".join(parts)
    return line + (f" — {res.message}" if res.message else "")


def _sweep(args) -> int:
    from .report.sweep import parse_grid, sweep

    if not args.grid:
        print("verify sweep: error: give at least one --grid NAME=VALUES", file=sys.stderr)
        return 2
    _imports(args)  # local worker processes are forked, so they inherit the registered claims
    counts = sweep(args.claim, parse_grid(args.grid), args.out, jobs=args.jobs, scheduler=args.scheduler,
                   progress=None if args.quiet else sys.stderr, timeout=args.timeout, wait=args.wait,
                   warn=_warner("sweep"))
    print(", ".join(f"{k}: {v}" for k, v in counts.items() if k != "elapsed") + f"; {counts['elapsed']:.1f} s")
    print(f"results: {args.out} (render with: verify report {args.out})")
    return 0


def _report(args) -> int:
    from .report.sweep_report import render

    out = render(args.file, args.out, warn=_warner("report"))
    print(out["table"])
    print(f"wrote {', '.join(out['files'])} to {args.out}/")
    return 0


def _warner(command: str):
    def warn(msg: str) -> None:
        print(f"verify {command}: warning: {_one_line(msg)}", file=sys.stderr, flush=True)

    return warn


def _one_line(msg, limit: int = 2000) -> str:
    text = " ".join(part.strip() for part in str(msg).splitlines() if part.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv=None) -> int:
    """Run a command; every failure becomes one line on stderr and an exit status (see the module doc)."""
    import os

    from .errors import VerifyError

    args = _parser().parse_args(argv)
    commands = {"check": _check, "claims": _claims, "search": _search, "recheck": _recheck, "sweep": _sweep,
                "report": _report}
    if args.command not in commands:
        _parser().print_help()
        return 2
    name = f"verify {args.command}"
    try:
        return commands[args.command](args)
    except VerifyError as exc:  # bad input: a clear message, no traceback
        print(f"{name}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `verify claims | head -1`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 1
    except OSError as exc:  # a file system problem the command did not anticipate (disk full, permissions)
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"{name}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - last resort: one line, not a traceback
        if os.environ.get("VERIFY_DEBUG"):
            raise
        print(f"{name}: internal error: {type(exc).__name__}: {_one_line(exc, 500)} (please report; "
              "VERIFY_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
