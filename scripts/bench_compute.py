#!/usr/bin/env python3
"""The reindex's two heavy stages without PostgreSQL or RabbitMQ: encode a prototype-scale synthetic corpus, then
every list of both directions from one blocked score matrix. Prints JSON.

    .venv/bin/python scripts/bench_compute.py --model var/models/rubert-tiny2-standin --device cuda

``scripts/bench --stages compute`` runs the same; this entry point imports nothing of the services, so it
runs on a GPU machine that has only torch, sentence-transformers and pydantic.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careerrank import Settings, embedding_text, generate, load_encoder, model_id, resolve_device, top_k_both


def machine() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    features: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                # What decides the CPU numbers here: vector width and matrix units (the VM hides the model).
                wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8")
                features = [f for f in wanted if f in line.split(":", 1)[1].split()]
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cpu_features": features,
        "cores": os.cpu_count(),
        "gpu": gpu,
        "torch": torch.__version__,
    }


def compute_stage(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """The reindex's two heavy stages with no database: encode the prototype-scale corpus, then every list of both
    directions (what a GPU machine without PostgreSQL or RabbitMQ can measure)."""

    events = [e for e, _ in generate(args.reindex_vacancies, args.reindex_resumes, seed=args.seed + 2)]
    texts = [embedding_text(e, settings.model.max_chars)[0] for e in events]
    is_vacancy = np.asarray([e.type.startswith("vacancy") for e in events])
    encoder = load_encoder(settings.model)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.empty((len(texts), encoder.dim), dtype=np.float32)
    chunk = settings.reindex.encode_chunk
    started = time.perf_counter()
    for i in range(0, len(order), chunk):
        rows = order[i : i + chunk]
        vectors[rows] = encoder.encode([texts[r] for r in rows])
    encode_s = time.perf_counter() - started
    device = resolve_device(settings.reindex.device)
    started = time.perf_counter()
    v_top, r_top = top_k_both(vectors[is_vacancy], vectors[~is_vacancy], settings.matcher.top_k, device=device)
    lists_s = time.perf_counter() - started
    return {
        "vacancies": int(is_vacancy.sum()),
        "resumes": int((~is_vacancy).sum()),
        "encoder_device": encoder.device,
        "lists_device": device,
        "encode_s": round(encode_s, 2),
        "encode_texts_per_s": round(len(texts) / encode_s, 1),
        "lists_s": round(lists_s, 2),
        "lists": len(v_top) + len(r_top),
        "total_s": round(encode_s + lists_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reindex-vacancies", type=int, default=100_000)
    ap.add_argument("--reindex-resumes", type=int, default=45_000)
    ap.add_argument("--model", default=None)
    ap.add_argument("--device", default=None, help="model and score-matrix device (default: auto)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.model:
        os.environ["CAREERRANK_MODEL__NAME"] = args.model
    if args.device:
        os.environ["CAREERRANK_MODEL__DEVICE"] = args.device
        os.environ["CAREERRANK_REINDEX__DEVICE"] = args.device
    settings = Settings()
    result = {"benchmark": "careerrank-compute", "machine": machine(), "model": model_id(settings.model.name)}
    result["compute"] = compute_stage(settings, args)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
