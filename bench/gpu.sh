#!/usr/bin/env bash
# Issue 12's GPU check, in under 8 minutes on one H100/H200-class GPU: the peer table on CUDA
# (lamina eager and compiled against the hand-written loop; Keras too when PEER_ARGS names it,
# e.g. PEER_ARGS="--frameworks lamina,lamina-compiled,torch,keras --keras-backends jax"), the
# compile modes against eager (CUDA graphs included) and the achieved FLOP/s of a 6-layer,
# width-512, sequence-512 bf16 transformer trained with fit, eager and compiled. Results go to
# $OUT (default bench/results).
#
#   pip install -e . && bash bench/gpu.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/results}"
PYTHON="${PYTHON:-python}"
mkdir -p "$OUT"
"$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device')" || exit 1
"$PYTHON" -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$OUT/device.txt"

# Each step is capped so that one slow part cannot eat the whole budget.
timeout "${MODES_CAP:-60}" "$PYTHON" bench/gpu_compile_modes.py | tee "$OUT/compile_modes.jsonl" \
    || echo "compile modes: stopped (time cap or error)" >&2
timeout "${PEER_CAP:-200}" "$PYTHON" bench/peer.py --workloads mlp,cnn,lstm,transformer,predict \
    --frameworks lamina,lamina-compiled,torch --samples 12800 --epochs 3 --repeats 1 \
    ${PEER_ARGS:-} 2>&1 | tee "$OUT/peer_gpu.md" || echo "peer table: stopped (time cap or error)" >&2
timeout "${FLOPS_CAP:-45}" "$PYTHON" bench/transformer_flops.py --steps 30 \
    | tee "$OUT/flops_eager.json" || echo "flops (eager): stopped" >&2
timeout "${FLOPS_JIT_CAP:-90}" "$PYTHON" bench/transformer_flops.py --steps 30 --jit \
    | tee "$OUT/flops_jit.json" || echo "flops (compiled): stopped" >&2
