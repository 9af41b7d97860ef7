#!/usr/bin/env bash
# CPU instructions per alert of a warm NDJSON stream into SQLite, counted by valgrind's callgrind: a figure
# that stays within ~1% from run to run on a machine whose wall-clock and CPU-time figures move by 10–30%
# within minutes (the same code measured 77 and 103 µs of main-thread CPU per alert ten minutes apart here).
# Use it to judge changes of a few percent in the work done; it cannot see what instructions do not show
# (cache misses, the kernel's part of a write, waits), so confirm those with paired runs.
#
#   bash scripts/ingest-instructions.sh [measured alerts=5000] [warm-up alerts=6000] [alerts a step=1000]
#   bash scripts/paired-runs.sh HEAD~1 2 -- bash scripts/ingest-instructions.sh
#
# It runs scripts/ingest-warm.ts under callgrind with V8's --predictable (garbage collection and compilation
# on the main thread, in a repeatable order), counts only the measured stream, and prints the main thread's
# instructions per alert: SQLite (better-sqlite3's library), garbage collection, V8's compilers, and the rest
# (our JavaScript, V8's runtime and builtins, libc). Compare "sqliteAndRest": the garbage collection and
# compiler shares move by up to a third from run to run, with where a collection or an optimisation falls.
# Takes 1-2 minutes.
set -euo pipefail

measured=${1:-5000}
warmup=${2:-6000}
# 16 for the transactions single POSTs share at 16 clients: 205k SQLite and 468k other instructions per alert
# against 136k and 368k in steps of 1,000 (2026-12-01); their CPU time differed by 2.5-4x, the rest being
# the kernel's and memory's share (WAL pages).
batch=${3:-1000}
if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
  echo "needs valgrind (Debian package valgrind)" >&2
  exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
RIPOSTE_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
  --callgrind-out-file="$out/callgrind.out" \
  node --predictable --import tsx scripts/ingest-warm.ts sqlite "$batch" "$measured" "$warmup" >"$out/log" 2>&1 || {
  tail -n 20 "$out/log" >&2
  exit 1
}
# The first thread's file is the main thread's.
npx tsx scripts/support/callgrind-summary.ts "$out/callgrind.out-01" "$measured"
