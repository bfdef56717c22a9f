#!/usr/bin/env bash
# Call 10 (scratch, not committed): the committed build's full run.sh, then d's sequence kernel at 1, 2
# and 4 rows a workgroup (SEQ_ROWS, from .lead/sweep-dist), alternated twice.
set -u
D=${OUT:-/tmp/out}
start=$(date +%s)
OUT=/tmp/gpu bash bench/gpu/run.sh > /tmp/gpu-run-sh.txt 2>&1
echo "run.sh done at $(( $(date +%s) - start )) s" >> /tmp/gpu-run-sh.txt
mkdir -p /tmp/sweep
for round in 1 2; do
  for rows in 1 2 4; do
    [ $(( $(date +%s) - start )) -lt 300 ] || { echo "rows $rows round $round skipped" >> /tmp/sweep/sweep.log; continue; }
    echo "sweep d rows $rows round $round" >> /tmp/sweep/sweep.log
    SEQ_ROWS=$rows timeout 30 bash .gpu-kit/run.sh node .lead/sweep-dist/cli.js --mode gpu --configs d --runners webgpu-rnn --budget 1 \
      --json --out "/tmp/sweep/d-rows$rows-$round.jsonl" > /dev/null 2>> /tmp/sweep/sweep.log
  done
done
grep -E "^\[|webgpu-rnn +median|^variant|T=[0-9]+: empty|GPU SM clock|met \||\| (yes|\*\*no\*\*) \|" /tmp/gpu-run-sh.txt | sed 's/(20 runs.*max err/max err/' | cut -c1-400
grep -E "^sweep|median" /tmp/sweep/sweep.log | sed 's/(20 runs.*max err/max err/'
cp /tmp/gpu/gpu-results.tgz "$D/" ; cp /tmp/gpu-run-sh.txt "$D/"; tar czf "$D/sweep.tgz" -C /tmp sweep
