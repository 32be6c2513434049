#!/usr/bin/env python3
"""Approximate (IVF) against exact (flat) inner-product search on real embeddings; prints JSON.

    # 1. encode once; vectors are cached in var/ann/<model>/ in chunks, so reruns and larger runs reuse them
    .venv/bin/python scripts/bench_ann.py encode --model use-multilingual --resumes 40000 --vacancies 12000
    .venv/bin/python scripts/bench_ann.py encode --model hashing-512 --resumes 1040000 --vacancies 100000 --workers 2
    # 2. measure; each run merges its sizes into --out (one section per model and direction)
    .venv/bin/python scripts/bench_ann.py bench --model use-multilingual --sizes 5000 10000 20000 40000 \\
        --out results/ann/cpu.json
    .venv/bin/python scripts/bench_ann.py bench --model hashing-512 --sizes 1000000 --quantizers hnsw \\
        --hnsw-max 0 --neighbours-max 0 --out results/ann/cpu.json

The exact commands behind results/ann/cpu.json are in results/ann/README.md.

Embeddings are never random: the index holds encoded synthetic resumes (``careerrank.synthetic``, seed 7)
and is queried by held-out encoded synthetic vacancies and by the real SuperJob vacancies, which is the
direction the matcher searches in. Exact duplicate vectors (templated texts) are removed from the index
and counted; recall still counts ties on scores (a returned item is correct if its score is at least the
exact k-th score - 1e-6). ``neighbours_above`` is measured with realistic floors: each indexed resume's
floor is the score of its 10th best vacancy among the encoded vacancies that are not queries.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss

from careerrank import (
    SUPERJOB_DIR,
    USE_MULTILINGUAL,
    ApproximateIndex,
    Encoder,
    ModelSettings,
    UseMultilingualEncoder,
    Vectors,
    embedding_text,
    load_encoder,
    read_events,
    recall_at_k,
    resume,
    train_size,
    vacancy,
)
from schemas import Upsert

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "ann"
SEED = 7
MAX_CHARS = 2000
CHUNK = 4000
K = 10
QUERIES = 1000  # the first QUERIES encoded vacancies are queries; the others only set the resumes' floors
_MAKERS: dict[str, Callable[[int, int], Any]] = {"vacancy": vacancy, "resume": resume}


# ---------------------------------------------------------------- embeddings


def _chunk_path(model: str, kind: str, start: int) -> Path:
    return CACHE / model / f"synthetic-{SEED}-{kind}" / f"{start:09d}.npy"


def _synthetic_texts(kind: str, start: int, count: int) -> list[str]:
    make = _MAKERS[kind]
    return [embedding_text(make(SEED, i)[0], MAX_CHARS)[0] for i in range(start, start + count)]


_worker_encoder: Encoder | None = None


def _load(model: str) -> Encoder:
    if model == USE_MULTILINGUAL:
        # one thread per process: on cores shared with other work, USE's two threads mostly wait on each other
        return UseMultilingualEncoder(threads=int(os.environ.get("ANN_ENCODER_THREADS", "1")))
    return load_encoder(ModelSettings(name=model))


def _encode_chunk(job: tuple[str, str, int]) -> tuple[int, float]:
    global _worker_encoder
    model, kind, start = job
    if _worker_encoder is None:
        _worker_encoder = _load(model)
    t0 = time.perf_counter()
    vectors = _worker_encoder.encode(_synthetic_texts(kind, start, CHUNK))
    path = _chunk_path(model, kind, start)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.rename(path)
    return start, time.perf_counter() - t0


def encode(model: str, counts: dict[str, int], workers: int) -> dict[str, Any]:
    """Encode what the cache lacks, in chunks of CHUNK items; the first n items never depend on the total."""
    jobs = [
        (model, kind, start)
        for kind, n in counts.items()
        for start in range(0, n, CHUNK)
        if not _chunk_path(model, kind, start).exists()
    ]
    t0 = time.perf_counter()
    if workers > 1 and jobs:
        # the hashing encoder is pure Python: one process per core
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for done, (start, seconds) in enumerate(pool.imap_unordered(_encode_chunk, jobs), 1):
                print(f"chunk {start} {seconds:.1f}s ({done}/{len(jobs)})", file=sys.stderr, flush=True)
    else:
        for done, job in enumerate(jobs, 1):
            start, seconds = _encode_chunk(job)
            print(f"{job[1]} chunk {start} {seconds:.1f}s ({done}/{len(jobs)})", file=sys.stderr, flush=True)
    superjob = CACHE / model / "superjob-vacancy.npy"
    if not superjob.exists():
        enc = _worker_encoder or _load(model)
        events = [e for e in read_events(SUPERJOB_DIR / "vacancies.csv") if isinstance(e, Upsert)]
        superjob.parent.mkdir(parents=True, exist_ok=True)
        np.save(superjob, enc.encode([embedding_text(e, MAX_CHARS)[0] for e in events]))
    seconds = time.perf_counter() - t0
    count = len(jobs) * CHUNK
    return {"model": model, "encoded_texts": count, "seconds": round(seconds, 1), "texts_per_s": _rate(count, seconds)}


def load_vectors(model: str, kind: str, n: int) -> Vectors:
    parts = []
    for start in range(0, n, CHUNK):
        path = _chunk_path(model, kind, start)
        if not path.exists():
            raise SystemExit(f"{path} missing: run `bench_ann.py encode --model {model}` with enough items first")
        parts.append(np.load(path, mmap_mode="r"))
    return np.ascontiguousarray(np.concatenate(parts)[:n], dtype=np.float32)


def cached_count(model: str, kind: str) -> int:
    n = 0
    while _chunk_path(model, kind, n).exists():
        n += CHUNK
    return n


def deduplicate(vectors: Vectors) -> tuple[Vectors, int]:
    """Exact duplicate rows removed (first occurrence kept, order kept); and how many were removed."""
    rows = np.ascontiguousarray(vectors).view(np.dtype((np.void, vectors.dtype.itemsize * vectors.shape[1])))
    _, first = np.unique(rows.ravel(), return_index=True)
    first.sort()
    return np.ascontiguousarray(vectors[first]), len(vectors) - len(first)


# ---------------------------------------------------------------- measurement


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def _timed(fn: Callable[..., T], *args: Any, repeat: int = 1) -> tuple[T, float]:
    """``fn(*args)`` and its best wall time over ``repeat`` runs (the cores are shared)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return result, best


def exact_top_k(base: Vectors, queries: Vectors, k: int) -> Vectors:
    """Exact top-``k`` scores per query, best first (numpy blocks: faster here than IndexFlatIP)."""
    best = np.full((len(queries), k), -np.inf, np.float32)
    for start in range(0, len(base), 100_000):
        both = np.concatenate([best, queries @ base[start : start + 100_000].T], axis=1)
        best = -np.partition(-both, k - 1, axis=1)[:, :k]
    return -np.sort(-best, axis=1)


def exact_speed(base: Vectors, queries: Vectors, k: int) -> float:
    """Queries per second of the matcher's exact search (IndexFlatIP) on one batch of up to 256 queries."""
    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(base)
    batch = queries[:256]
    _, seconds = _timed(flat.search, batch, k, repeat=2 if len(base) <= 200_000 else 1)
    return _rate(len(batch), seconds)


def floors_of(base: Vectors, others: Vectors, k: int) -> Vectors:
    """Each base row's floor: the score of its k-th best row of ``others`` (the matcher's list floor).

    numpy's BLAS, not IndexFlatIP: on this machine FAISS's bundled OpenBLAS runs a quarter as fast."""
    out = np.empty(len(base), np.float32)
    for start in range(0, len(base), 2000):
        block = base[start : start + 2000] @ others.T
        out[start : start + 2000] = -np.partition(-block, k - 1, axis=1)[:, k - 1]
    return out


def exact_above(
    base: Vectors, queries: Vectors, floors: Vectors, depth: int
) -> tuple[list[npt.NDArray[np.int64]], Vectors]:
    """Per query, the rows of ``base`` that beat their own floor (the full scan the ANN replaces); and each
    query's exact ``depth`` best scores, best first."""
    hits: list[list[npt.NDArray[np.int64]]] = [[] for _ in queries]
    best = np.full((depth, len(queries)), -np.inf, np.float32)
    for start in range(0, len(base), 50_000):
        block = base[start : start + 50_000] @ queries.T
        rows, cols = np.nonzero(block > floors[start : start + 50_000, None])
        for col in np.unique(cols):
            hits[col].append(rows[cols == col] + start)
        both = np.concatenate([best, block])
        best = -np.partition(-both, depth - 1, axis=0)[:depth]
    exact = [np.concatenate(h) if h else np.zeros(0, np.int64) for h in hits]
    return exact, -np.sort(-best.T, axis=1)


def bench_neighbours(
    index: ApproximateIndex, base: Vectors, queries: Vectors, floors: Vectors, ms: list[int], nprobe: int
) -> dict[str, Any]:
    exact, best = exact_above(base, queries, floors, max(ms))
    sizes = np.array([len(e) for e in exact])
    total = int(sizes.sum())
    # how deep in its query's own exact ranking each floor-beater sits: what a top-m search can reach at best
    beater_scores = [base[e] @ q for q, e in zip(queries, exact, strict=True)]
    out: dict[str, Any] = {
        "nprobe": nprobe,
        "queries": len(queries),
        "exact_set_size": {
            "mean": round(float(sizes.mean()), 2),
            "p50": int(np.percentile(sizes, 50)),
            "p99": int(np.percentile(sizes, 99)),
            "max": int(sizes.max()),
            "empty_share": round(float((sizes == 0).mean()), 3),
        },
        "by_m": [],
    }
    for m in ms:
        found, seconds = _timed(index.neighbours_above_batch, queries, floors, m, nprobe)
        got = sum(len(np.intersect1d(f[0], e)) for f, e in zip(found, exact, strict=True))
        false = sum(len(np.setdiff1d(f[0], e)) for f, e in zip(found, exact, strict=True))
        out["by_m"].append(
            {
                "m": m,
                "recall": round(got / total, 4) if total else None,
                "exact_within_top_m": round(
                    sum(int((b >= row[m - 1]).sum()) for b, row in zip(beater_scores, best, strict=True)) / total, 4
                )
                if total
                else None,
                "false_positives": false,
                "queries_per_s": _rate(len(queries), seconds),
            }
        )
    return out


def build_ivf(base: Vectors, quantizer: str, rng: np.random.Generator) -> tuple[ApproximateIndex, dict[str, Any]]:
    index = ApproximateIndex.for_size(base.shape[1], len(base), quantizer=quantizer)  # type: ignore[arg-type]
    sample = base[np.sort(rng.choice(len(base), min(len(base), train_size(index.nlist)), replace=False))]
    _, train_s = _timed(index.train, sample)
    _, add_s = _timed(index.add, base, np.arange(len(base), dtype=np.int64))
    sizes = index.list_sizes()
    return index, {
        "config": f"IVF{index.nlist}{'_HNSW32' if quantizer == 'hnsw' else ''},Flat",
        "quantizer": quantizer,
        "nlist": index.nlist,
        "train_vectors": len(sample),
        "train_s": round(train_s, 2),
        "add_s": round(add_s, 2),
        "add_vectors_per_s": _rate(len(base), add_s),
        "memory_mib": round(index.memory_bytes() / 2**20, 1),
        "list_size": {"max": int(sizes.max()), "mean": round(float(sizes.mean()), 1), "empty": int((sizes == 0).sum())},
    }


def sweep(
    search: Callable[[Vectors, int], Vectors],
    knobs: list[int],
    query_sets: dict[str, Vectors],
    exact: dict[str, Vectors],
) -> list[dict[str, Any]]:
    everything = np.concatenate(list(query_sets.values()))
    rows = []
    for knob in knobs:
        scores, seconds = _timed(search, everything, knob, repeat=2 if len(everything) * knob <= 100_000 else 1)
        row: dict[str, Any] = {"knob": knob, "queries_per_s": _rate(len(everything), seconds)}
        start = 0
        for name, queries in query_sets.items():
            part = scores[start : start + len(queries)]
            row[f"recall@{K}_{name}"] = round(recall_at_k(part, exact[name], K), 4)
            start += len(queries)
        rows.append(row)
    return rows


def _ivf_scores(index: ApproximateIndex) -> Callable[[Vectors, int], Vectors]:
    def search(queries: Vectors, nprobe: int) -> Vectors:
        return index.search(queries, K, nprobe)[0]

    return search


def _meets(row: dict[str, Any], target: float) -> bool:
    return all(v >= target for key, v in row.items() if key.startswith("recall@"))


def bench_size(
    base: Vectors, query_sets: dict[str, Vectors], floor_source: Vectors | None, args: argparse.Namespace
) -> dict[str, Any]:
    n = len(base)
    rng = np.random.default_rng(0)
    exact = {name: exact_top_k(base, queries, K) for name, queries in query_sets.items()}
    result: dict[str, Any] = {
        "n": n,
        "queries": {name: len(q) for name, q in query_sets.items()},
        "exact": {
            "config": "Flat (IndexFlatIP), batch of 256 queries",
            "queries_per_s": exact_speed(base, np.concatenate(list(query_sets.values())), K),
            "memory_mib": round(base.nbytes / 2**20, 1),
        },
        "configs": [],
    }
    chosen: tuple[ApproximateIndex, int] | None = None
    for quantizer in args.quantizers:
        index, info = build_ivf(base, quantizer, rng)
        knobs = [p for p in args.nprobes if p <= index.nlist]
        info["sweep"] = [{"nprobe": r.pop("knob"), **r} for r in sweep(_ivf_scores(index), knobs, query_sets, exact)]
        meeting = [r for r in info["sweep"] if _meets(r, args.target)]
        info["min_nprobe_for_target"] = meeting[0]["nprobe"] if meeting else None
        info["speedup_at_min_nprobe"] = (
            round(meeting[0]["queries_per_s"] / result["exact"]["queries_per_s"], 2) if meeting else None
        )
        victims = rng.choice(n, min(1000, n // 10), replace=False).astype(np.int64)
        removed, remove_s = _timed(index.remove, victims)
        _, left = index.search(np.concatenate(list(query_sets.values())), K, index.nlist)
        info["remove"] = {
            "ids": len(victims),
            "removed": removed,
            "seconds": round(remove_s, 4),
            "removed_ids_returned_after": int(np.isin(left, victims).sum()),
        }
        index.add(base[victims], victims)  # back, so that neighbours_above sees the full set
        result["configs"].append(info)
        if meeting and (chosen is None or quantizer == args.quantizers[0]):
            chosen = (index, int(meeting[0]["nprobe"]))
    if n <= args.hnsw_max:
        result["configs"].append(bench_hnsw(base, query_sets, exact, args))
    if floor_source is not None and n <= args.neighbours_max and chosen is not None:
        index, nprobe = chosen
        queries = next(iter(query_sets.values()))
        # the production ratio of resumes to vacancies is about 1: as many vacancies set the floors as there
        # are resumes, where enough are cached (the number of floor-beaters grows with n / vacancies)
        floor_source = floor_source[: max(K, round(n / args.floor_ratio))]
        floors = floors_of(base, floor_source, K)
        result["neighbours_above"] = {
            "index": f"IVF{index.nlist}_{index.quantizer_kind}",
            "floor_source": f"{len(floor_source)} vacancies (not queries); floor = each resume's {K}th best score",
            "n_over_floor_vacancies": round(n / len(floor_source), 2),
            **bench_neighbours(index, base, queries, floors, args.ms, nprobe),
        }
    return result


def bench_hnsw(
    base: Vectors, query_sets: dict[str, Vectors], exact: dict[str, Vectors], args: argparse.Namespace
) -> dict[str, Any]:
    index = faiss.IndexHNSWFlat(base.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    _, add_s = _timed(index.add, base)

    def search(q: Vectors, ef: int) -> Vectors:
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = ef
        return index.search(q, K, params=params)[0]

    rows = [{"ef_search": r.pop("knob"), **r} for r in sweep(search, args.efs, query_sets, exact)]
    meeting = [r for r in rows if _meets(r, args.target)]
    return {
        "config": "HNSW32,Flat (no remove_ids: not usable by the matcher)",
        "add_s": round(add_s, 2),
        "memory_mib": round(len(faiss.serialize_index(index)) / 2**20, 1),
        "sweep": rows,
        "min_ef_for_target": meeting[0]["ef_search"] if meeting else None,
    }


def machine() -> dict[str, Any]:
    info: dict[str, str] = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    flags = set(info.get("flags", "").split())
    return {
        "cpu": info.get("model name", platform.processor()),
        "cpu_family_model": f"{info.get('cpu family')}/{info.get('model')}",
        "avx512": sorted(f for f in flags if f.startswith("avx512"))[:6],
        "cores": os.cpu_count(),
        "faiss": faiss.__version__,
        "faiss_simd": faiss.get_compile_options(),
        "faiss_threads": faiss.omp_get_max_threads(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "note": "2 shared cores: another workload ran at the same time, so speeds are lower bounds",
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    model = args.model
    vac_n = cached_count(model, "vacancy")
    index_kind, query_kind = ("resume", "vacancy") if args.direction == "v2r" else ("vacancy", "resume")
    want = max(args.sizes)
    # dedup over a little more than needed, so the largest size is still reached after removing duplicates
    have = cached_count(model, index_kind)
    raw = load_vectors(model, index_kind, min(have, want + want // 20 + CHUNK))
    unique, duplicates = deduplicate(raw)
    dim, read = int(raw.shape[1]), len(raw)
    del raw
    query_all = load_vectors(model, query_kind, cached_count(model, query_kind))
    query_sets = {f"synthetic_{query_kind}": query_all[:QUERIES]}
    floor_source: Vectors | None = query_all[QUERIES:]
    if args.direction == "v2r":
        query_sets["superjob_vacancy"] = np.load(CACHE / model / "superjob-vacancy.npy")
    else:
        floor_source = None
    _, q_dups = deduplicate(query_all)
    section: dict[str, Any] = {
        "embeddings": f"{model} on synthetic {index_kind}s (seed {SEED}) as the index; queries: "
        + ", ".join(f"{len(v)} {k}" for k, v in query_sets.items()),
        "model": model,
        "direction": args.direction,
        "dim": dim,
        "index_vectors_read": read,
        "exact_duplicates_removed": duplicates,
        "duplicate_query_vectors": q_dups,
        "vacancies_cached": vac_n,
        "target_recall": args.target,
        "sizes": [],
    }
    for n in sorted(args.sizes):
        if n > len(unique) * 1.01:
            print(f"skip n={n}: only {len(unique)} unique vectors cached", file=sys.stderr)
            continue
        n = min(n, len(unique))  # a size cut short by a few duplicates is still that size
        t0 = time.perf_counter()
        section["sizes"].append(bench_size(unique[:n], query_sets, floor_source, args))
        print(f"n={n} done in {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    section["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return section


def crossing(sweep_rows: list[dict[str, Any]], target: float, query_set: str) -> float | None:
    """The nprobe at which recall on ``query_set`` reaches ``target``, interpolated in log(nprobe)."""
    key = f"recall@{K}_{query_set}"
    previous = None
    for row in sweep_rows:
        if row[key] >= target:
            if previous is None:
                return float(row["nprobe"])
            (p0, r0), (p1, r1) = previous, (row["nprobe"], row[key])
            t = (target - r0) / (r1 - r0) if r1 > r0 else 1.0
            return float(np.exp(np.log(p0) + t * (np.log(p1) - np.log(p0))))
        previous = (row["nprobe"], row[key])
    return None


def extrapolate(section: dict[str, Any], target: float, fit_max_n: int, to_n: int) -> dict[str, Any]:
    """Fit nprobe-for-target ~ a·n^b on sizes up to ``fit_max_n`` (nlist = 4·sqrt(n)), per quantizer, and
    predict it at ``to_n``; where ``to_n`` was measured too, the prediction can be checked against it."""
    out: dict[str, Any] = {"fit_sizes_up_to": fit_max_n, "predict_n": to_n}
    query_sets = list(section["sizes"][0]["queries"]) if section["sizes"] else []
    for quantizer in ("flat", "hnsw"):
        out[quantizer] = _extrapolate(section, target, fit_max_n, to_n, quantizer, query_sets)
    return out


def _extrapolate(
    section: dict[str, Any], target: float, fit_max_n: int, to_n: int, quantizer: str, query_sets: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in query_sets:
        points = []
        measured = None
        for size in section["sizes"]:
            config = next((c for c in size["configs"] if c.get("quantizer") == quantizer), None)
            if config is None:
                continue
            probe = crossing(config["sweep"], target, name)
            if abs(size["n"] - to_n) <= to_n // 100:
                measured = probe
            if probe is not None:
                points.append((size["n"], probe, config["nlist"]))
        entry: dict[str, Any] = {
            "points": [{"n": n, "nprobe": round(p, 2), "nlist": nl, "fitted": n <= fit_max_n} for n, p, nl in points]
        }
        fit = [p for p in points if p[0] <= fit_max_n]
        if len(fit) >= 2:
            b, a = np.polyfit(np.log([p[0] for p in fit]), np.log([p[1] for p in fit]), 1)
            entry["exponent"] = round(float(b), 3)
            entry["predicted_nprobe"] = round(float(np.exp(a + b * np.log(to_n))), 1)
        if measured is not None:
            entry["measured_nprobe"] = round(measured, 1)
        out[name] = entry
    return out


def chosen_default(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """Per section, at its largest size: the fastest IVF config that meets the target recall, and its nprobe."""
    out = []
    for key, section in sections.items():
        if not section["sizes"]:
            continue
        largest = section["sizes"][-1]
        best = None
        for config in largest["configs"]:
            nprobe = config.get("min_nprobe_for_target")
            if nprobe is None:
                continue
            row = next(r for r in config["sweep"] if r["nprobe"] == nprobe)
            if best is None or row["queries_per_s"] > best["queries_per_s"]:
                best = {"section": key, "n": largest["n"], "config": config["config"], "nprobe": nprobe, **row}
        if best is not None:
            best["exact_queries_per_s"] = largest["exact"]["queries_per_s"]
            out.append(best)
    return out


def merge_sizes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Earlier results of other sizes, and of other configs at the same size, stay: a large size or one
    config can be measured on its own, within a few minutes. The newer run wins where both measured."""
    by_n = {int(r["n"]): r for r in old}
    for size in new:
        before = by_n.get(int(size["n"]))
        if before is not None:
            names = {c["config"] for c in size["configs"]}
            size["configs"] = [c for c in before["configs"] if c["config"] not in names] + size["configs"]
            if "neighbours_above" in before and "neighbours_above" not in size:
                size["neighbours_above"] = before["neighbours_above"]
        by_n[int(size["n"])] = size
    return [by_n[n] for n in sorted(by_n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    enc = sub.add_parser("encode", help="encode synthetic resumes/vacancies and SuperJob vacancies into var/ann")
    enc.add_argument("--model", default="use-multilingual")
    enc.add_argument("--resumes", type=int, default=40000)
    enc.add_argument("--vacancies", type=int, default=12000)
    enc.add_argument("--workers", type=int, default=1, help="processes; USE already uses both cores")
    run = sub.add_parser("bench", help="measure on cached vectors; merge the section into --out")
    run.add_argument("--model", default="use-multilingual")
    run.add_argument("--direction", choices=["v2r", "r2v"], default="v2r", help="v2r: vacancies query resumes")
    run.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 35_000])
    run.add_argument("--quantizers", nargs="+", default=["flat", "hnsw"], choices=["flat", "hnsw"])
    run.add_argument("--nprobes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 256])
    run.add_argument("--efs", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    run.add_argument("--ms", type=int, nargs="+", default=[64, 256, 1024])
    run.add_argument("--hnsw-max", type=int, default=100_000, help="largest n to also build IndexHNSWFlat for")
    run.add_argument("--neighbours-max", type=int, default=2_000_000, help="largest n to measure neighbours_above")
    run.add_argument("--target", type=float, default=0.95)
    run.add_argument("--floor-ratio", type=float, default=1.0, help="resumes per floor-setting vacancy")
    run.add_argument("--fit-max-n", type=int, default=40_000, help="sizes the 1M extrapolation is fitted on")
    run.add_argument("--threads", type=int, default=2)
    run.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.command == "encode":
        print(json.dumps(encode(args.model, {"vacancy": args.vacancies, "resume": args.resumes}, args.workers)))
        return
    faiss.omp_set_num_threads(args.threads)
    section = bench(args)
    report: dict[str, Any] = {"machine": machine(), "sections": {}}
    if args.out is not None and args.out.exists():
        report = json.loads(args.out.read_text())
        report["machine"] = machine()
    key = f"{args.model}/{args.direction}"
    if key in report["sections"]:
        section["sizes"] = merge_sizes(report["sections"][key]["sizes"], section["sizes"])
    report["sections"][key] = section
    report["chosen_default"] = chosen_default(report["sections"])
    report["extrapolation_to_1m"] = {
        key: extrapolate(sec, args.target, args.fit_max_n, 1_000_000) for key, sec in report["sections"].items()
    }
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(json.dumps(section, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
