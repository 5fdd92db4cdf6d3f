#!/usr/bin/env bash
# Build the documentation site (Sphinx + MyST-NB + autodoc/napoleon) with warnings as errors.
#
#   bash docs/build.sh [OUTDIR]            # default OUTDIR: docs/_build/html
#
# PYTHON: the interpreter that has the package and the `docs` extra (default: python3).
# VERIFY_DOCS_EXECUTE: force (default here: every notebook is executed, so the pages show its outputs and figures;
# a failing cell fails the build), cache (reuse jupyter-cache outputs of unchanged notebooks, for local rebuilds),
# off (render the notebooks without outputs). VERIFY_DOCS_CELL_TIMEOUT: seconds per notebook cell (600).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3}"
OUT="${1:-docs/_build/html}"
export VERIFY_DOCS_EXECUTE="${VERIFY_DOCS_EXECUTE:-force}"
# one BLAS/OpenMP thread per process: the notebooks' timings are then those the benchmarks report, and the build
# does not oversubscribe a small machine
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" \
       MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"

start=$(date +%s)
# -E: a fresh environment (no stale pages); -W --keep-going: every warning is an error, all of them are reported
"$PY" -m sphinx -E -W --keep-going -b html -d "$OUT/.doctrees" docs "$OUT"
echo "docs: built in $(( $(date +%s) - start )) s (notebooks: $VERIFY_DOCS_EXECUTE) -> $OUT/index.html"
