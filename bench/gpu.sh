#!/usr/bin/env bash
# Issue 12's GPU check, in under 8 minutes on one H100/H200-class GPU: the peer table on CUDA
# (lamina eager and compiled against the hand-written loop; Keras too when --keras-python is
# given in PEER_ARGS) and the achieved FLOP/s of a 6-layer, width-512, sequence-512 bf16
# transformer trained with fit, eager and compiled. Results go to $OUT (default bench/results).
#
#   pip install -e . && bash bench/gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/results}"
mkdir -p "$OUT"
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device')"
python -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$OUT/device.txt"

# Each step is capped so that one slow part cannot eat the whole budget.
timeout 300 python bench/peer.py --workloads mlp,cnn,lstm,transformer,predict \
    --frameworks lamina,lamina-compiled,torch --samples 25600 --epochs 3 --repeats 2 \
    ${PEER_ARGS:-} | tee "$OUT/peer_gpu.md" || echo "peer table: stopped at its time cap" >&2
timeout 60 python bench/transformer_flops.py --steps 30 | tee "$OUT/flops_eager.json" || true
timeout 90 python bench/transformer_flops.py --steps 30 --jit | tee "$OUT/flops_jit.json" || true
