#!/usr/bin/env bash
# The one device call for issue 7's GPU targets (H100/H200 host: no Node.js, no registry).
# Prepare here:   npm ci && npm run build && ../shared/gpu-host/pack.sh gpu-pack bench/train-step.ts
# Test here first (lavapipe):  bash bench/gpu-check.sh --preset tiny --steps 2
# On the device:  run(command="bash bench/gpu-check.sh", carry=["gpu-pack"], timeout_s=540)
# Writes $OUT/train-step.json and $OUT/train-step.log: img/s, ms/step and peak memory of the
# paper's single-level and hierarchical training steps (256², batch 16, D 8, Ks 8192 / Kh 4096),
# stock tfjs-backend-webgpu vs vqkit's kernels, and the PyTorch reference (fp32, TF32) in one run.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp -d)}
[ -d gpu-pack ] || { echo "gpu-check: gpu-pack/ is missing; run ../shared/gpu-host/pack.sh gpu-pack bench/train-step.ts" >&2; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
${PYTHON:-python3} -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' 2>&1 | tee -a "$out/gpu.txt"
bash gpu-pack/run.sh train-step --backend webgpu --preset paper --steps 10 --warmup 2 --pytorch --python "${PYTHON:-python3}" \
  --json "$out/train-step.json" "$@" 2>&1 | tee "$out/train-step.log"
echo "gpu-check: results in $out"
