#!/usr/bin/env bash
# Everything a session lent a GPU machine checks, in two parts that each fit one device call
# (at most 4 and 9 minutes on an H200: run `tests` with timeout_s=280, `bench` with 580).
# Results go to $OUT (default bench/results).
#
#   bash bench/gpu_session.sh tests   # the whole suite on CUDA (16 workers), one line per failure
#   bash bench/gpu_session.sh bench   # compile modes, peer table, bf16 transformer FLOP/s, profiles
#
# The machine's own python3 (with torch+CUDA) runs lamina from this checkout (PYTHONPATH), so
# nothing is installed. Keras for the peer columns travels as wheels in .whl/ (see
# bench/README.md, "GPU runs"), installed after the tests so that they run without Keras.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/results}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD"
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" \
    | tee "$OUT/device.txt" || exit 1

if [ "${1:-all}" != "bench" ]; then
    start=$(date +%s)
    # -v: one line per test as it finishes, so a run stopped by its cap still names what
    # failed; --tb=line: the reason of each failure in one line at the end. (No SIGINT: pytest
    # with xdist then crashes in its own teardown and prints no summary.)
    timeout -k 10 "${TEST_CAP:-230}" python3 -m pytest -p no:cacheprovider -p no:benchmark \
        -n 16 --timeout 90 -v --tb=line -rfE -k "not test_scikit_learn_estimator_checks" \
        > "$OUT/pytest_cuda.txt" 2>&1
    echo "pytest rc=$? in $(( $(date +%s) - start )) s"
    grep -E "^(FAILED|ERROR) " "$OUT/pytest_cuda.txt" | cut -c1-220 | sort | head -150
    # (if the summary is missing, the -v lines still name what failed)
    grep -cE "\] (FAILED|ERROR) " "$OUT/pytest_cuda.txt"
    grep -E "^/.*: [A-Za-z]*(Error|Exception)" "$OUT/pytest_cuda.txt" | sed -E 's/^[^ ]+ //' \
        | cut -c1-120 | sort | uniq -c | sort -rn | head -30
    tail -1 "$OUT/pytest_cuda.txt"
fi

if [ "${1:-all}" != "tests" ]; then
    if ls .whl/*.whl > /dev/null 2>&1; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site .whl/*.whl && export PYTHONPATH="$PWD:/tmp/site"
    fi
    timeout 120 python3 bench/gpu_compile_modes.py --workloads mlp,transformer,cnn \
        | tee "$OUT/compile_modes.jsonl"
    timeout 220 python3 bench/peer.py --workloads mlp,cnn,lstm,transformer,predict \
        --frameworks lamina,lamina-compiled,torch,keras --keras-backends jax --samples 12800 \
        --epochs 3 --repeats 1 > "$OUT/peer_gpu.md" 2>&1
    cat "$OUT/peer_gpu.md"
    timeout 40 python3 bench/transformer_flops.py --steps 30 | tee "$OUT/flops_eager.json"
    timeout 80 python3 bench/transformer_flops.py --steps 30 --jit | tee "$OUT/flops_jit.json"
    timeout 60 python3 bench/step_ops.py | tee "$OUT/step_ops_cuda.txt"
    for jit in "" "--jit"; do
        timeout 40 python3 bench/gpu_profile.py --workload mlp $jit --rows 15 2>&1 \
            | grep -v USDT | tee -a "$OUT/profile_mlp.txt" | tail -22
    done
fi
