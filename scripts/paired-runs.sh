#!/usr/bin/env bash
# Compares the working tree with an earlier commit on a machine whose speed drifts (neighbours on a shared
# host moved the same fixed task between 110 and 210 ms within minutes here, so two runs minutes apart
# compare nothing). Both versions run the same command at the same moment, each pinned to its own core,
# and swap cores every round: whatever the machine does to one, it does to the other.
#
#   bash scripts/paired-runs.sh <base-commit> [rounds] -- <command…>
#   bash scripts/paired-runs.sh HEAD~3 4 -- npx tsx scripts/ingest-warm.ts sqlite 1000 20000 4000
#
# The command runs from each tree's root; its last output line is printed per round, base first. Compare
# CPU figures (µs per alert) rather than wall time: each side has one core for everything, threads included.
# The base runs this tree's scripts/ and bench/ over its own src/, so they must not import what the base
# lacks. Node.js flags go into the command (`npx tsx --flag …`), and both sides get them.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: bash scripts/paired-runs.sh <base-commit> [rounds] -- <command…>" >&2
  exit 2
fi
base_rev=$1
shift
rounds=3
if [ "$1" != "--" ]; then
  rounds=$1
  shift
fi
[ "$1" = "--" ] && shift
if [ "$(nproc)" -lt 2 ]; then
  echo "paired runs need two cores" >&2
  exit 2
fi

here=$(git rev-parse --show-toplevel)
base_tree=$(mktemp -d /tmp/riposte-base-XXXXXX)
cleanup() {
  git -C "$here" worktree remove --force "$base_tree" >/dev/null 2>&1 || rm -rf "$base_tree"
}
trap cleanup EXIT
git -C "$here" worktree add --detach -q "$base_tree" "$base_rev"
ln -s "$here/node_modules" "$base_tree/node_modules"
# Measuring tools improve over time: the base runs this tree's scripts and bench helpers, its own src.
cp -r "$here/scripts" "$here/bench" "$base_tree/"
# The compiled SQLite extension is not in git: without it the base would run on SQLite's own file layer.
[ -d "$here/build" ] && cp -r "$here/build" "$base_tree/"

out=$(mktemp -d)
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then base_core=0 current_core=1; else base_core=1 current_core=0; fi
  (cd "$base_tree" && taskset -c "$base_core" "$@" >"$out/base" 2>&1) &
  base_pid=$!
  (cd "$here" && taskset -c "$current_core" "$@" >"$out/current" 2>&1) || true
  wait "$base_pid" || true
  echo "round $round"
  echo "  base    ($base_rev, core $base_core): $(tail -n 1 "$out/base")"
  echo "  current (working tree, core $current_core): $(tail -n 1 "$out/current")"
done
rm -rf "$out"
