#!/usr/bin/env bash
# The one device call for the GPU targets (issues 7 and 14 §4; H100/H200 host: no Node.js, no registry),
# plus — on that host's idle CPU cores — the CPU tables of issue 14 (thread scaling, nearest code).
# Prepare here:   npm ci && npm run build && ../shared/gpu-host/pack.sh gpu-pack bench/train-step.ts bench/nearest-code.ts
# Test here first (lavapipe):  bash bench/gpu-check.sh --preset tiny --steps 2
#   (add VQKIT_CPU_BENCH_ARGS="--preset tiny --steps 2" VQKIT_NEAREST_ARGS="--n 4096" to keep the CPU part short,
#    or VQKIT_CPU_BENCH=0 to skip it)
# On the device:  run(command="bash bench/gpu-check.sh", carry=["gpu-pack"], timeout_s=540)
# Writes to $OUT:
#   train-step.json/.log      img/s, ms/step and peak memory of the paper's single-level and hierarchical training
#                             steps (256², batch 16, D 8, Ks 8192 / Kh 4096), stock tfjs-backend-webgpu vs vqkit's
#                             kernels, and the PyTorch reference (fp32, TF32) in one run;
#   nearest-code.json/.log    N 65,536 × K 8,192 × D 8 on cpu: scalar (before) vs SIMD, 1 thread vs all cores;
#   train-step-cpu.json/.log  paper architecture, batch 4, cpu: vqkit 1 thread vs all cores vs PyTorch (default
#                             threads and all cores), GFLOP/s against the measured WebAssembly-SIMD peak.
# The GPU part runs first and its files are written before the CPU part starts (each CPU run has a timeout).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp -d)}
py=${PYTHON:-python3}
[ -d gpu-pack ] || { echo "gpu-check: gpu-pack/ is missing; run ../shared/gpu-host/pack.sh gpu-pack bench/train-step.ts bench/nearest-code.ts" >&2; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
"$py" -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' 2>&1 | tee -a "$out/gpu.txt"
bash gpu-pack/run.sh train-step --backend webgpu --preset paper --steps 10 --warmup 2 --pytorch --python "$py" \
  --json "$out/train-step.json" "$@" 2>&1 | tee "$out/train-step.log"
if [ "${VQKIT_CPU_BENCH:-1}" != 0 ] && [ -f gpu-pack/nearest-code.mjs ]; then
  nproc | sed 's/^/cpu cores: /' | tee "$out/cpu.txt"
  # shellcheck disable=SC2086
  timeout "${VQKIT_CPU_BENCH_TIMEOUT:-150}" bash gpu-pack/run.sh nearest-code --relaxed-simd --threads 1,all \
    --json "$out/nearest-code.json" ${VQKIT_NEAREST_ARGS:-} 2>&1 | tee "$out/nearest-code.log"
  # shellcheck disable=SC2086
  timeout "${VQKIT_CPU_BENCH_TIMEOUT:-150}" bash gpu-pack/run.sh train-step --backend cpu --relaxed-simd \
    --preset paper --batch 4 --modes vqkit --threads 1,all --steps 2 --warmup 1 --pytorch --pytorch-threads default,all \
    --python "$py" --json "$out/train-step-cpu.json" ${VQKIT_CPU_BENCH_ARGS:-} 2>&1 | tee "$out/train-step-cpu.log"
fi
echo "gpu-check: results in $out"
