#!/usr/bin/env bash
# Calls 13 and 14: call12.sh with the builds to alternate in VARIANTS (call 13: "a d e", call 14:
# "m g h", each under .gpu-variants/) and the step probe optional (STEP_CASES empty skips it).
# Call 14 ran: O=/tmp/c14 VARIANTS="m g h" SEQ_CASES=gruv1:128:1,lstm:64:1,lstm:64:32,lstm:16:1
# STEP_CASES= CFGS=c,c-f16,d,d-f16,c-ra LIMIT=150 bash .gpu-variants/call14.sh
# Writes to $O (steps-*.txt, cfg-*.jsonl/log, clocks.csv) and tars it.
set -uo pipefail
O=${O:-/tmp/c12}; mkdir -p "$O"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,utilization.gpu --format=csv -lms 100 > "$O/clocks.csv" 2>&1 &
fi
SEQ_CASES=${SEQ_CASES:-lstm:16:1,lstm:64:1,lstm:128:1,gru:128:1,lstm:64:32}
STEP_CASES=${STEP_CASES-lstm:256:16,lstm:1024:1}
CFGS=${CFGS:-a,b,c,d,c-ra}
for round in 1 2; do
  order="${VARIANTS:-a d e}"; [ $round = 2 ] && order=$(echo $order | tr " " "\n" | tac | tr "\n" " ")
  for v in $order; do
    [ $(( $(date +%s) - start )) -lt ${LIMIT:-330} ] || { stamp "skip $v $round"; continue; }
    stamp "steps $v $round"
    HW=1 WARM_MS=${WARM_MS:-800} N=${N:-9} T=${T:-8,136} CASES=$SEQ_CASES KERNELS=sequence timeout 60 bash .gpu-kit/run.sh node .gpu-variants/$v/probes/steps.js > "$O/steps-$v-$round.txt" 2>&1
    [ -n "$STEP_CASES" ] && HW=1 WARM_MS=${WARM_MS:-800} N=${N:-9} T=${T:-8,136} CASES=$STEP_CASES KERNELS=step timeout 60 bash .gpu-kit/run.sh node .gpu-variants/$v/probes/steps.js >> "$O/steps-$v-$round.txt" 2>&1
    grep -E '^steps:|maxCompute|rror' "$O/steps-$v-$round.txt" | cut -c1-170 | sed "s/^/$v$round /"
    stamp "configs $v $round"
    timeout 90 bash .gpu-kit/run.sh node .gpu-variants/$v/cli.js --mode gpu --warmup-ms ${WARMUP:-1500} --configs "$CFGS" --runners webgpu-rnn --budget ${BUDGET:-1} \
      --json --out "$O/cfg-$v-$round.jsonl" > /dev/null 2> "$O/cfg-$v-$round.log"; echo "exit $?" >> "$O/cfg-$v-$round.log"
    grep -E '^ +[a-z0-9-]+ +webgpu-rnn|FAILED|rror|^exit' "$O/cfg-$v-$round.log" | cut -c1-150 | sed "s/^/$v$round /"
  done
done
stamp done
kill %1 2> /dev/null
tar czf "$O.tgz" -C "$(dirname "$O")" "$(basename "$O")"
