#!/usr/bin/env bash
# gpu-check.sh: the one-shot GPU check of samtrain, for a machine with an NVIDIA GPU and
# the prebuilt binaries but no Go, no build tools and no network. It runs, each under a
# time limit, within BUDGET seconds (default 290, under 5 minutes) in all:
#
#   1. nvidia-smi                    the card and driver, if the tool is there
#   2. samtrain selftest --json      every cuda kernel, SGEMM, cuDNN convolutions, pooling
#                                    and (m-)SAM steps against float64 references; every
#                                    graph.Backend kernel of cuda.Backend against graph/cpu
#                                    (checks backend/...) and one PreAct ResNet-18 gradient
#                                    (width 4, batch 8) against graph/cpu in float64;
#                                    then again with --precision tf32 and bf16 (the GEMMs
#                                    and convolutions in TF32 / bfloat16 mixed precision,
#                                    judged with looser tolerances: cuda.PrecisionTol)
#   3. cuda.test                     the cuda package's tests (built with go test -c); their
#                                    "gpu" subtests and benchmarks (SGEMM and a convolution
#                                    in fp32, tf32 and bf16 too) run on the card, if the
#                                    file is there
#   4. samtrain --device cuda        a short real training run (PreAct ResNet-18 width 16,
#                                    m-SAM, 2 epochs) on generated CIFAR-10 files (random
#                                    pixels, 320 training and 64 test images), then the same
#                                    run with --device cpu: their metrics.jsonl lines go into
#                                    the report side by side (same losses to ~1e-4 expected)
#   5. samtrain bench --device cuda  ERM, n-SAM, m-SAM images/s, ResNet-18, batch 128 (weights,
#                                    gradients and optimizer state on the device, only the
#                                    losses and norms read back), in fp32 (10 timed steps), then
#                                    --precision tf32 and bf16 (5 timed steps each)
#   6. benchmarks/torch_gpu.py       the same steps in PyTorch on the same card, in fp32
#                                    (TF32 off), tf32 (TF32 allowed) and bf16
#                                    (torch.autocast), if a python with torch is there
#
# and writes one JSON report: {"steps": {name: {"status", "exit", "seconds", "log"}},
# "nvidia_smi": "...", "selftest": {...}, "selftest_tf32": {...}, "selftest_bf16": {...},
# "train": {"cuda": [...], "cpu": [...]}, "bench": {...}, "bench_tf32": {...},
# "bench_bf16": {...}, "torch": {...}} where a missing part is null. The logs stay in the
# folder beside the report. Exit status: 0 when the (fp32) self-test ran and passed, 1
# otherwise; the tf32 and bf16 self-tests are reported, not counted.
#
# Settings (environment): SAMTRAIN (./samtrain), CUDA_TEST (./cuda.test), PYTHON (python3),
# TORCH_SCRIPT (benchmarks/torch_gpu.py, then /opt/samtrain/benchmarks/torch_gpu.py),
# BATCH (128), M (32, the m-SAM micro-batch), BUDGET (290). Arguments: [samtrain [report]].
#
# Build the binaries on any machine with Go:
#   CGO_ENABLED=0 go build -o bin/samtrain ./cmd/samtrain
#   CGO_ENABLED=0 go test -c -o bin/cuda.test ./cuda
# then, on the GPU machine:
#   scripts/gpu-check.sh ./bin/samtrain gpu-check.json
set -u

SAMTRAIN=${1:-${SAMTRAIN:-./samtrain}}
OUT=${2:-${OUT:-gpu-check.json}}
CUDA_TEST=${CUDA_TEST:-$(dirname "$SAMTRAIN")/cuda.test}
PYTHON=${PYTHON:-python3}
BATCH=${BATCH:-128}
M=${M:-32}
BUDGET=${BUDGET:-290}
TORCH_SCRIPT=${TORCH_SCRIPT:-}
if [ -z "$TORCH_SCRIPT" ]; then
	for f in benchmarks/torch_gpu.py /opt/samtrain/benchmarks/torch_gpu.py "$(dirname "$0")/../benchmarks/torch_gpu.py"; do
		if [ -f "$f" ]; then TORCH_SCRIPT=$f; break; fi
	done
fi

LOGS=${OUT%.json}.d
mkdir -p "$LOGS" || exit 1
START=$(date +%s)
STEPS=""

# left prints the seconds left of the budget, at least 1.
left() { local l=$((BUDGET - ($(date +%s) - START))); [ "$l" -lt 1 ] && l=1; echo "$l"; }

# step NAME CAP CMD...: runs CMD with stdout+stderr in $LOGS/NAME.log under min(CAP, left),
# and records its status.
step() {
	local name=$1 cap=$2; shift 2
	local lim; lim=$(left); [ "$cap" -lt "$lim" ] && lim=$cap
	local t0; t0=$(date +%s)
	echo "== $name (limit ${lim}s): $*" >&2
	timeout --kill-after=5 "$lim" "$@" >"$LOGS/$name.log" 2>&1
	local rc=$?
	local status=ok
	[ "$rc" -ne 0 ] && status=failed
	[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && status=timeout
	tail -n 5 "$LOGS/$name.log" >&2
	record "$name" "$status" "$rc" "$(($(date +%s) - t0))"
}

# record NAME STATUS EXIT SECONDS
record() {
	[ -n "$STEPS" ] && STEPS="$STEPS,"
	STEPS="$STEPS\"$1\": {\"status\": \"$2\", \"exit\": $3, \"seconds\": $4, \"log\": \"$LOGS/$1.log\"}"
	echo "== $1: $2" >&2
}

# json FILE prints FILE's JSON, or null when it is missing or empty.
json() { if [ -s "$1" ]; then cat "$1"; else echo null; fi; }

# jstr prints stdin as a JSON string.
jstr() { printf '"'; sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' | awk '{printf "%s\\n", $0}'; printf '"'; }

# 1. The card.
SMI=""
if command -v nvidia-smi >/dev/null 2>&1; then
	SMI=$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1)
	record nvidia_smi ok 0 0
else
	record nvidia_smi missing 0 0
fi

# 2. Self-test (correctness first).
SELFTEST_OK=1
if [ ! -x "$SAMTRAIN" ]; then
	record selftest missing 127 0
elif ! "$SAMTRAIN" help selftest >/dev/null 2>&1; then
	record selftest missing 3 0 # the binary has no selftest command (not wired yet)
else
	step selftest 90 "$SAMTRAIN" selftest --device cuda --json "$LOGS/selftest.json"
	grep -q '"pass": true' "$LOGS/selftest.json" 2>/dev/null && SELFTEST_OK=0
	if "$SAMTRAIN" help selftest 2>/dev/null | grep -q -- --precision; then
		for p in tf32 bf16; do
			step "selftest_$p" 45 "$SAMTRAIN" selftest --device cuda --precision "$p" --json "$LOGS/selftest_$p.json"
		done
	fi
fi

# 3. The cuda package's tests and binding benchmarks (SGEMM, convolutions, BatchNorm) on the card.
if [ -x "$CUDA_TEST" ]; then
	step cuda_test 90 "$CUDA_TEST" -test.v -test.count=1
	step cuda_bench 60 "$CUDA_TEST" -test.run '^$' -test.bench . -test.benchtime 20x
else
	record cuda_test missing 127 0
fi

# 4. A short training run on the GPU, then on the CPU, on generated CIFAR-10 files.
# gendata DIR N writes N records per file (label i mod 10, random pixels) of every file.
gendata() {
	local d=$1/cifar-10-batches-bin f i
	mkdir -p "$d" || return 1
	for f in data_batch_1 data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch; do
		for ((i = 0; i < $2; i++)); do
			printf "\\$(printf %03o $((i % 10)))"
			head -c 3072 /dev/urandom
		done >"$d/$f.bin" || return 1
	done
}
TRAIN_CUDA=null
TRAIN_CPU=null
if [ -x "$SAMTRAIN" ] && gendata "$LOGS/data" 64; then
	TRAIN_ARGS=(--data-dir "$LOGS/data" --model preact-resnet18 --width 16 --batch-size 32 --m 16
		--epochs 2 --seed 1)
	rm -rf "$LOGS/train_cuda" "$LOGS/train_cpu"
	step train_cuda 45 "$SAMTRAIN" --device cuda --out "$LOGS/train_cuda" "${TRAIN_ARGS[@]}"
	step train_cpu 45 "$SAMTRAIN" --device cpu --out "$LOGS/train_cpu" "${TRAIN_ARGS[@]}"
	# jlines FILE prints FILE's JSON lines as a JSON array.
	jlines() { if [ -s "$1" ]; then printf '['; paste -sd, "$1"; printf ']'; else echo null; fi; }
	TRAIN_CUDA=$(jlines "$LOGS/train_cuda/metrics.jsonl")
	TRAIN_CPU=$(jlines "$LOGS/train_cpu/metrics.jsonl")
else
	record train_cuda missing 127 0
fi

# 5. samtrain's own benchmark.
if [ -x "$SAMTRAIN" ] && "$SAMTRAIN" help bench >/dev/null 2>&1; then
	step bench 100 "$SAMTRAIN" bench --device cuda --model resnet18 --batch-size "$BATCH" \
		--m "$BATCH,$M" --steps 10 --warmup 2 --json "$LOGS/bench.json"
	if "$SAMTRAIN" help bench 2>/dev/null | grep -q -- --precision; then
		for p in tf32 bf16; do
			step "bench_$p" 60 "$SAMTRAIN" bench --device cuda --precision "$p" --model resnet18 \
				--batch-size "$BATCH" --m "$BATCH,$M" --steps 5 --warmup 1 --json "$LOGS/bench_$p.json"
		done
	fi
else
	record bench missing 3 0 # no bench command in this binary yet
fi

# 6. PyTorch on the same card.
if [ -n "$TORCH_SCRIPT" ] && "$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
	step torch 100 "$PYTHON" "$TORCH_SCRIPT" --batch "$BATCH" --m "$M" --steps 10 --warmup 3 \
		--precision fp32,tf32,bf16 --json "$LOGS/torch.json"
else
	record torch missing 127 0 # no python with CUDA torch, or no script
fi

{
	echo "{"
	echo "\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
	echo "\"seconds\": $(($(date +%s) - START)),"
	echo "\"steps\": {$STEPS},"
	printf '"nvidia_smi": '; printf '%s' "$SMI" | jstr; echo ","
	printf '"selftest": '; json "$LOGS/selftest.json"; echo ","
	printf '"selftest_tf32": '; json "$LOGS/selftest_tf32.json"; echo ","
	printf '"selftest_bf16": '; json "$LOGS/selftest_bf16.json"; echo ","
	echo "\"train\": {\"cuda\": $TRAIN_CUDA, \"cpu\": $TRAIN_CPU},"
	printf '"bench": '; json "$LOGS/bench.json"; echo ","
	printf '"bench_tf32": '; json "$LOGS/bench_tf32.json"; echo ","
	printf '"bench_bf16": '; json "$LOGS/bench_bf16.json"; echo ","
	printf '"torch": '; json "$LOGS/torch.json"
	echo "}"
} >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "report: $OUT (logs in $LOGS)" >&2
exit $SELFTEST_OK
