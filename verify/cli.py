"""The ``verify`` command.

``verify check`` runs every proof check in :mod:`proofs_checks`, prints a table (claim, instance,
verdict, expected verdict, margin, precision, time), writes a JSON report and exits with status 1
if any verdict differs from the expected one (2 on a usage error, e.g. nothing selected).
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
    c.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    return p


def _check(args) -> int:
    from .report import discover, render, run_checks, select

    checks = select(discover(), args.keyword, args.paper, include_slow=not args.quick)
    if not checks:
        print("verify check: no proof check matches the selection", file=sys.stderr)
        return 2
    if args.list:
        for c in checks:
            print(f"{c.name}  (expect {c.expected.value})")
        return 0
    report = run_checks(checks, progress=None if args.quiet else sys.stderr)
    print(render(report))
    if not args.no_json:
        if args.json == "-":
            import json

            from .result import encode

            print(json.dumps(encode(report.to_dict()), indent=1))
        else:
            report.write_json(args.json)
            print(f"JSON report: {args.json}")
    return 0 if report.ok else 1


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args)
    _parser().print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
