#!/usr/bin/env bash
# Call 9 (scratch, not committed): the committed build's run.sh on a-d (+ f16 twins), then a shape sweep
# of the wavefront step kernel on a and b from .lead/sweep-dist (WF_SHAPE=R,UW,KS overrides the shape).
set -u
D=${OUT:-/tmp/out}
mkdir -p /tmp/gpu
start=$(date +%s)
OUT=/tmp/gpu BENCH_CONFIGS=a,b,c,d,a-f16,b-f16,c-ra BENCH_TFJS=0 BENCH_PROBES=0 bash bench/gpu/run.sh > /tmp/gpu/run-sh.txt 2>&1
echo "run.sh done at $(( $(date +%s) - start )) s" >> /tmp/gpu/run-sh.txt
LIB=../../dist/index.js N=30 ROUNDS=10 timeout 60 bash .gpu-kit/run.sh node .lead/probe/h200-floor.mjs d,a,b > /tmp/gpu/floor-probe.txt 2>&1
echo "floor probe exit $? at $(( $(date +%s) - start )) s" >> /tmp/gpu/floor-probe.txt
mkdir -p /tmp/gpu/sweep
for round in 1 2; do
  for spec in b:4,16,16 b:2,16,16 b:1,16,16 b:4,8,32 b:2,8,32 b:4,32,8 b:4,16,8 b:4,4,64 a:1,16,16 a:1,8,32 a:1,4,64 a:1,16,8 a:1,32,8 a:1,8,16; do
    [ $(( $(date +%s) - start )) -lt 290 ] || { echo "sweep $spec round $round skipped: past 290 s" >> /tmp/gpu/sweep/sweep.log; continue; }
    cfg=${spec%%:*}; shape=${spec##*:}
    echo "sweep $cfg shape $shape round $round" >> /tmp/gpu/sweep/sweep.log
    WF_SHAPE=$shape timeout 30 bash .gpu-kit/run.sh node .lead/sweep-dist/cli.js --mode gpu --configs "$cfg" --runners webgpu-rnn --budget 1 \
      --ours-options '{"kernel":"wavefront-step"}' --json --out "/tmp/gpu/sweep/$cfg-${shape//,/-}-$round.jsonl" > /dev/null 2>> /tmp/gpu/sweep/sweep.log
  done
done
echo "all done at $(( $(date +%s) - start )) s" >> /tmp/gpu/sweep/sweep.log
grep -E "^variant|^sweep|webgpu-rnn +median" /tmp/gpu/variants/variants.log /tmp/gpu/sweep/sweep.log | sed 's/(20 runs.*max err/max err/' | cut -c1-160
grep -E "webgpu-rnn +median|^\[" /tmp/gpu/run-sh.txt | cut -c1-160
grep -v "^warning\|^Calling" /tmp/gpu/floor-probe.txt
tar czf "$D/call9.tgz" -C /tmp gpu
