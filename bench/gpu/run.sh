#!/usr/bin/env bash
# The GPU-machine benchmark, one call: webgpu-rnn through the GPU kit (Dawn, OpenGL ES backend), cuDNN
# (.gpu-kit/cudnn_rnn.py) on the same configs, then tfjs webgpu on the same Dawn adapter, then the tables.
# Run from the project root on the GPU machine, with .gpu-kit/ and bench/dist/ carried:
#   bash bench/gpu/run.sh                      # every config (a-f, their f16 twins, e-x4, f-x4, c-ra)
#   BENCH_CONFIGS=a,b bash bench/gpu/run.sh    # some (BENCH_BUDGET, BENCH_FLAGS, BENCH_WARMUP_MS likewise; BENCH_TFJS=0 skips tfjs,
#                                              # BENCH_FLOOR=0 the sequence-length-1 run, BENCH_VARIANTS=0 the
#                                              # forced kernels, BENCH_PROBES=0 the probes, BENCH_WAVEFRONT=1
#                                              # adds the wavefront kernel)
# Each step has a timeout, so the call returns what it measured: on an H200 (2026-11-27) 157 s in all
# without warm-up (call 10), and 135 s without the forced kernels and probes but with 1.5 s of warm-up
# before each timed run (call 11: webgpu-rnn's run 34 -> 62 s; the forced kernels should add about 30 s
# more, not tried yet), at most about 10 minutes (every step at its timeout; the forced kernels stop at
# 200 s, the probes start only while they can end by 500 s). webgpu-rnn and
# cuDNN come first: a slow tfjs or probe can not crowd them out.
# Writes to $OUT (default bench/results/tmp/gpu): ours.jsonl, tfjs.jsonl, cudnn-fp32.jsonl,
# cudnn-fp16.jsonl, report.md, *.log, nvidia-smi.txt, clocks.csv, floor/, variants/, probes/ (and
# wavefront/), then
# all of it as gpu-results.tgz: the device tool returns at most 8 files, so run it with OUT=/tmp/gpu and
# copy that one file to the tool's $OUT. Back here: npm run bench -- --import-gpu <the folder, unpacked>.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/results/tmp/gpu}
CONFIGS=${BENCH_CONFIGS:-all}
kit=.gpu-kit
export BENCH_COMMAND="bash bench/gpu/run.sh: node bench/dist/cli.js"  # what the records say ran them
# Every timed run first warms up for 1.5 s: within a second of idling (each config's float64 check) the
# SM clock falls to 345 MHz, and it rises again only under load (H200 call 10: e at 345-465 MHz took
# 20.9 ms a pass, 6.7 at 1980 with its input on the GPU).
# (Unquoted where used, like BENCH_FLAGS: two words.)
warm="--warmup-ms ${BENCH_WARMUP_MS:-1500}"
mkdir -p "$OUT"
for f in "$kit/run.sh" "$kit/cudnn_rnn.py" bench/dist/cli.js; do
  [ -e "$f" ] || { echo "bench/gpu/run.sh: $f is missing: here, run 'bash ../shared/gpu/make-kit.sh' and 'npm run bench -- --build-only', and carry .gpu-kit and bench/dist" >&2; exit 2; }
done
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
progress() { grep -E '^ +[a-z0-9-]+ +(webgpu-rnn|tfjs-webgpu)|FAILED|^webgpu-rnn bench|^exit|^variant ' "$1" | cut -c1-220; }
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "$OUT/nvidia-smi.txt" 2>&1 || true
# The GPU's clocks, power and load ten times a second through the whole call (clocks.csv): calls have
# differed by up to 3x on one build, and in H200 calls 8 and 9 the SM clock sat at 345-690 MHz for
# whole configs between stretches at 1980. bench/gpu/clocks.mjs puts each record's clock next to it.
clocks=
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,utilization.gpu \
    --format=csv -lms 100 > "$OUT/clocks.csv" 2>&1 &
  clocks=$!
fi

stamp "webgpu-rnn ($CONFIGS)"
: > "$OUT/ours.jsonl"
timeout 150 bash "$kit/run.sh" node bench/dist/cli.js --mode gpu $warm --configs "$CONFIGS" --runners webgpu-rnn \
  --budget "${BENCH_BUDGET:-3}" ${BENCH_FLAGS:-} --json --out "$OUT/ours.jsonl" > /dev/null 2> "$OUT/ours.log"
echo "exit $?" >> "$OUT/ours.log"
progress "$OUT/ours.log"

# The fixed cost of a pass (upload, submit, read back, and each kernel's set-up): the issue's configs at
# sequence length 1, into a folder of its own, which --import-gpu leaves out.
if [ "${BENCH_FLOOR:-1}" != 0 ]; then
  stamp "webgpu-rnn at sequence length 1 (a-d)"
  mkdir -p "$OUT/floor"
  timeout 45 bash "$kit/run.sh" node bench/dist/cli.js --mode gpu $warm --configs a,b,c,d --runners webgpu-rnn --seq 1 \
    --budget 1 --json --out "$OUT/floor/ours.jsonl" > /dev/null 2> "$OUT/floor/ours.log"
  echo "exit $?" >> "$OUT/floor/ours.log"
  progress "$OUT/floor/ours.log"
fi

# Forced kernels where 'auto' chose on thin margins (docs/BENCHMARKS-H100-KERNELS.md), alternated
# twice, one file each (variants/CONFIG-KERNEL-ROUND.jsonl), while the call is young enough. f's step and
# tiled kernels run on f-x4: most of f's pass is its 32 MiB input, checked and uploaded by the host.
# The stacked configs run 'auto' (the wavefront step kernel since call 8) next to the kernels 'auto'
# ran them with before (b: step, a: sequence), and d its sequence and tiled kernels, which traded
# places from call to call. f and e also run with their inputs already on the GPU ('gpu-input':
# --ours-options '{"gpuInput":true}', uploaded before timing and passed to predict() as GPU tensors),
# as cuDNN's timing has them.
if [ "${BENCH_VARIANTS:-1}" != 0 ]; then
  stamp "forced kernels (a, b, c-ra, d, f-x4) and GPU inputs (e, f), alternated twice"
  mkdir -p "$OUT/variants"
  for round in 1 2; do
    for v in b:auto b:step a:auto a:sequence f:gpu-input e:gpu-input d:sequence d:tiled f-x4:step f-x4:tiled; do
      [ $(( $(date +%s) - start )) -lt 200 ] || { echo "variant $v round $round skipped: the call is past 200 s" >> "$OUT/variants/variants.log"; continue; }
      opts="{\"kernel\":\"${v##*:}\"}"
      [ "${v##*:}" = gpu-input ] && opts='{"gpuInput":true}'
      echo "variant $v round $round" >> "$OUT/variants/variants.log"
      timeout 40 bash "$kit/run.sh" node bench/dist/cli.js --mode gpu $warm --configs "${v%%:*}" --runners webgpu-rnn --budget 1 ${BENCH_FLAGS:-} \
        --ours-options "$opts" --json --out "$OUT/variants/${v%%:*}-${v##*:}-$round.jsonl" > /dev/null 2>> "$OUT/variants/variants.log"
    done
  done
  progress "$OUT/variants/variants.log"
fi

# The wavefront kernel (kernel: 'wavefront', which lost on an H200: docs/BENCHMARKS-H100-KERNELS.md) on
# the stacked configs, on request: into a folder of its own, which --import-gpu leaves out.
if [ "${BENCH_WAVEFRONT:-0}" != 0 ]; then
  stamp "webgpu-rnn, wavefront kernel (a, b)"
  mkdir -p "$OUT/wavefront"
  timeout 45 bash "$kit/run.sh" node bench/dist/cli.js --mode gpu $warm --configs a,b,a-f16,b-f16 --runners webgpu-rnn \
    --budget "${BENCH_BUDGET:-3}" --ours-options '{"kernel":"wavefront"}' --json --out "$OUT/wavefront/ours.jsonl" > /dev/null 2> "$OUT/wavefront/ours.log"
  echo "exit $?" >> "$OUT/wavefront/ours.log"
  progress "$OUT/wavefront/ours.log"
fi

stamp "cuDNN (PyTorch)"
timeout 30 bash "$kit/run.sh" node bench/dist/cli.js --print-cudnn --configs "$CONFIGS" > "$OUT/cudnn-args.txt" 2>> "$OUT/cudnn.log"
while read -r dtype specs; do
  [ -n "$specs" ] || continue
  if [ "$dtype" = fp32 ]; then flags=(--no-tf32); else flags=(--dtype fp16); fi
  # shellcheck disable=SC2086
  timeout 60 python3 "$kit/cudnn_rnn.py" "${flags[@]}" $specs > "$OUT/cudnn-$dtype.jsonl" 2>> "$OUT/cudnn.log"
  echo "cudnn $dtype exit $?" >> "$OUT/cudnn.log"
  sed -i "s/^{/{\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", /" "$OUT/cudnn-$dtype.jsonl"  # its lines carry no date
done < "$OUT/cudnn-args.txt"
grep -c '"system"' "$OUT"/cudnn-*.jsonl; tail -n 2 "$OUT/cudnn.log"

if [ "${BENCH_TFJS:-1}" != 0 ]; then
  stamp "tfjs webgpu on the same adapter (f32 configs)"
  : > "$OUT/tfjs.jsonl"
  timeout 180 bash "$kit/run.sh" node bench/dist/cli.js --mode gpu $warm --configs "$( [ "$CONFIGS" = all ] && echo f32 || echo "$CONFIGS" )" \
    --runners tfjs-webgpu --budget "${BENCH_BUDGET:-3}" ${BENCH_FLAGS:-} --json --out "$OUT/tfjs.jsonl" > /dev/null 2> "$OUT/tfjs.log"
  echo "exit $?" >> "$OUT/tfjs.log"
  progress "$OUT/tfjs.log"
fi

# Probes (bench/gpu/probes/README.md): a short pass's cost beyond the GPU's work, the projection matmul
# alone, a step's cost by kernel and hidden size, predict() with and without its upload, the host cost of a dispatch by how it is bound and of encoding one, and three upload paths;
# into probes/. Last
# before the report, and each only while it can end before the call is 500 s old, so they never crowd
# out the benchmarks or push a slow call past the device's 10 minutes.
if [ "${BENCH_PROBES:-1}" != 0 ]; then
  stamp "probes: floor, matmul, steps, no-upload, bind, encode, upload"
  mkdir -p "$OUT/probes"
  probe() {  # probe NAME TIMEOUT COMMAND...: its output into probes/NAME.txt, then its exit status
    local name=$1 limit=$2; shift 2
    if [ $(( $(date +%s) - start + limit )) -gt 500 ]; then echo "probe $name skipped: the call is too old" >> "$OUT/probes/probes.log"; return; fi
    timeout "$limit" "$@" > "$OUT/probes/$name.txt" 2>&1
    echo "probe $name exit $?" >> "$OUT/probes/probes.log"
  }
  if [ -e bench/dist/probes/floor.js ]; then
    probe floor 60 bash "$kit/run.sh" node bench/dist/probes/floor.js
  else
    echo "bench/dist/probes/floor.js is missing (a bench/dist built before it): rebuild with 'npm run bench -- --build-only'" >> "$OUT/probes/probes.log"
  fi
  if [ -e bench/dist/probes/matmul.js ] && [ -e bench/dist/probes/steps.js ] && [ -e bench/dist/probes/no-upload.js ]; then
    probe matmul 40 bash "$kit/run.sh" node bench/dist/probes/matmul.js
    probe steps 60 bash "$kit/run.sh" node bench/dist/probes/steps.js
    probe no-upload 60 env NOREF=1 N=7 CFG=f,f-x4,e,e-x4,b bash "$kit/run.sh" node bench/dist/probes/no-upload.js
  else
    echo "bench/dist/probes/ is missing (a bench/dist built before the probes): rebuild with 'npm run bench -- --build-only'" >> "$OUT/probes/probes.log"
  fi
  probe bind 30 bash "$kit/run.sh" node bench/gpu/probes/bind.mjs
  probe encode 20 bash "$kit/run.sh" node bench/gpu/probes/encode.mjs
  probe upload 30 bash "$kit/run.sh" node bench/gpu/probes/upload.mjs
  cat "$OUT/probes/probes.log"
  grep -hoE '^(matmul|steps:|[a-z0-9-]+: whole|round|[0-9]+ MiB).*|[a-z] T=[0-9]+: empty.*' "$OUT"/probes/*.txt | cut -c1-200
fi

[ -n "$clocks" ] && kill "$clocks" 2> /dev/null
# Each record's SM clock while it was timed (bench/gpu/clocks.mjs). cuDNN's lines carry no times: its
# step's clocks are in clocks.csv (1980 MHz while it ran in calls 9 and 10).
if [ -n "$clocks" ]; then
  timeout 30 bash "$kit/run.sh" node bench/gpu/clocks.mjs "$OUT/clocks.csv" "$OUT"/ours.jsonl "$OUT"/tfjs.jsonl "$OUT"/floor/*.jsonl \
    "$OUT"/variants/*.jsonl "$OUT"/wavefront/*.jsonl 2>&1
fi
stamp "report"
timeout 30 bash "$kit/run.sh" node bench/dist/cli.js --report "$OUT"/ours.jsonl "$OUT"/tfjs.jsonl "$OUT"/cudnn-*.jsonl > "$OUT/report.md" 2>&1
cat "$OUT/report.md"
# Packed outside $OUT and then moved in: tar fails ("file changed as we read it") on a folder it writes into.
tgz=$(mktemp /tmp/gpu-results.XXXXXX)
tar czf "$tgz" -C "$OUT" --exclude=gpu-results.tgz . && mv "$tgz" "$OUT/gpu-results.tgz" || { rm -f "$tgz"; echo "bench/gpu/run.sh: packing gpu-results.tgz failed" >&2; }
stamp "done"
