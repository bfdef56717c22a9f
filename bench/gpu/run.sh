#!/usr/bin/env bash
# The GPU-machine benchmark, one call: webgpu-rnn (and tfjs webgpu, on the same Dawn adapter) through
# the GPU kit, then cuDNN (.gpu-kit/cudnn_rnn.py) on the same configs, then the tables.
# Run from the project root on the GPU machine, with .gpu-kit/ and bench/dist/ carried:
#   bash bench/gpu/run.sh                      # every config (a-f and the f16 twins)
#   BENCH_CONFIGS=a,b bash bench/gpu/run.sh    # some (BENCH_RUNNERS, BENCH_BUDGET, BENCH_FLAGS likewise)
# Worst case (every step at its timeout) about 7.5 minutes; typically 3 on an H100.
# Writes to $OUT (default bench/results/tmp/gpu): ours.jsonl, cudnn-fp32.jsonl, cudnn-fp16.jsonl,
# report.md, *.log, nvidia-smi.txt. Back here: npm run bench -- --import-gpu <that folder>.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/results/tmp/gpu}
CONFIGS=${BENCH_CONFIGS:-all}
RUNNERS=${BENCH_RUNNERS:-webgpu-rnn,tfjs-webgpu}
kit=.gpu-kit
mkdir -p "$OUT"
for f in "$kit/run.sh" "$kit/cudnn_rnn.py" bench/dist/cli.js; do
  [ -e "$f" ] || { echo "bench/gpu/run.sh: $f is missing: here, run 'bash ../shared/gpu/make-kit.sh' and 'npm run bench -- --build-only', and carry .gpu-kit and bench/dist" >&2; exit 2; }
done
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "$OUT/nvidia-smi.txt" 2>&1 || true

stamp "webgpu-rnn + tfjs webgpu ($CONFIGS; runners $RUNNERS)"
: > "$OUT/ours.jsonl"
timeout "${BENCH_TIMEOUT:-240}" bash "$kit/run.sh" node bench/dist/cli.js --mode gpu --configs "$CONFIGS" --runners "$RUNNERS" \
  --budget "${BENCH_BUDGET:-4}" ${BENCH_FLAGS:-} --json --out "$OUT/ours.jsonl" > /dev/null 2> "$OUT/ours.log"
echo "exit $?" >> "$OUT/ours.log"
grep -E '^ +[a-z0-9-]+ +(webgpu-rnn|tfjs-webgpu)|FAILED|^webgpu-rnn bench|exit' "$OUT/ours.log" | cut -c1-220

stamp "cuDNN (PyTorch)"
timeout 30 bash "$kit/run.sh" node bench/dist/cli.js --print-cudnn --configs "$CONFIGS" > "$OUT/cudnn-args.txt" 2>> "$OUT/cudnn.log"
while read -r dtype specs; do
  [ -n "$specs" ] || continue
  if [ "$dtype" = fp32 ]; then flags=(--no-tf32); else flags=(--dtype fp16); fi
  # shellcheck disable=SC2086
  timeout 75 python3 "$kit/cudnn_rnn.py" "${flags[@]}" $specs > "$OUT/cudnn-$dtype.jsonl" 2>> "$OUT/cudnn.log"
  echo "cudnn $dtype exit $?" >> "$OUT/cudnn.log"
done < "$OUT/cudnn-args.txt"
tail -n 3 "$OUT/cudnn.log"

stamp "report"
timeout 30 bash "$kit/run.sh" node bench/dist/cli.js --report "$OUT"/ours.jsonl "$OUT"/cudnn-*.jsonl > "$OUT/report.md" 2>&1
cat "$OUT/report.md"
stamp "done"
