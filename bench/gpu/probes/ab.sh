#!/usr/bin/env bash
# Two builds of the bench CLI alternated on the GPU machine, round by round (calls there are noisy: only
# differences that hold in every round count). Run from the project root, carrying .gpu-kit and both
# builds (a second build: `npm run bench -- --build-only` on the other sources, then copy bench/dist to a
# git-ignored folder):
#   bash bench/gpu/probes/ab.sh OUT_DIR DIST_A DIST_B      # e.g. bench/dist-a bench/dist (paths from the root)
# CFGS (default a,b,d,e,f,f-x4), ROUNDS (3), BUDGET (1 s a config) and LIMIT (stop starting rounds after
# this many seconds, 240) narrow it. A runs first in odd rounds, B in even ones. Writes
# OUT_DIR/ab-{A,B}-ROUND.{jsonl,log} and prints the medians.
set -uo pipefail
O=${1:?out dir}; A=${2:?build A}; B=${3:?build B}
cd "$(dirname "$0")/../../.."
mkdir -p "$O"
CFGS=${CFGS:-a,b,d,e,f,f-x4}; ROUNDS=${ROUNDS:-3}
start=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
  order="A B"; [ $(( round % 2 )) = 0 ] && order="B A"
  for v in $order; do
    [ $(( $(date +%s) - start )) -lt "${LIMIT:-240}" ] || { echo "skip $v $round"; continue; }
    d=$B; [ $v = A ] && d=$A
    timeout 90 bash .gpu-kit/run.sh node "$d/cli.js" --mode gpu --configs "$CFGS" --runners webgpu-rnn --budget "${BUDGET:-1}" \
      --json --out "$O/ab-$v-$round.jsonl" > /dev/null 2> "$O/ab-$v-$round.log"; rc=$?
    echo "[$(( $(date +%s) - start )) s] $v round $round exit $rc"
    grep -E '^ +[a-z0-9-]+ +webgpu-rnn' "$O/ab-$v-$round.log" | sed "s/^/$v$round /" | cut -c1-150
  done
done
