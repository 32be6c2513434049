"""Runs setups on a labelled set and writes the prototype's table (Markdown and JSON)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from careerrank.evaluation.datasets import LabelledSet
from careerrank.evaluation.metrics import DirectionScores, evaluate_direction, top_k
from careerrank.evaluation.setups import PIPELINE_DEFAULT, EncodeCache, Setup


@dataclass
class Row:
    setup: str
    model: str
    topn: int
    cvs_for_vacancy: float
    vacancies_for_cv: float
    average: float
    ndcg10_cvs_for_vacancy: float
    ndcg10_vacancies_for_cv: float
    recall100_cvs_for_vacancy: float | None
    recall100_vacancies_for_cv: float | None
    judged_share_at_10: float
    resume_index_s: float
    vacancy_index_s: float
    overall_s: float
    note: str


def evaluate(data: LabelledSet, setups: Sequence[Setup], cache: EncodeCache | None = None) -> list[Row]:
    cache = cache or EncodeCache()
    v_pos = {v.id: i for i, v in enumerate(data.vacancies)}
    r_pos = {r.id: i for i, r in enumerate(data.resumes)}
    rows = []
    for setup in setups:
        started = time.perf_counter()
        built = setup.run(data.vacancies, data.resumes, cache)
        overall = time.perf_counter() - started
        v_rows = [v_pos[q] for q in data.v_queries]
        r_rows = [r_pos[q] for q in data.r_queries]
        v_top = top_k(built.scores[v_rows], 100) if v_rows else np.zeros((0, 0), dtype=np.int64)
        r_top = top_k(built.scores.T[r_rows], 100) if r_rows else np.zeros((0, 0), dtype=np.int64)
        v2r = _direction(data, data.v_queries, [[data.resumes[j].id for j in row] for row in v_top], "v")
        r2v = _direction(data, data.r_queries, [[data.vacancies[j].id for j in row] for row in r_top], "r")
        rows.append(
            Row(
                setup.name,
                setup.model,
                10,
                round(v2r.precision_at_10, 3),
                round(r2v.precision_at_10, 3),
                round((v2r.precision_at_10 + r2v.precision_at_10) / 2, 3),
                round(v2r.ndcg_at_10, 3),
                round(r2v.ndcg_at_10, 3),
                None if v2r.recall_at_100 is None else round(v2r.recall_at_100, 3),
                None if r2v.recall_at_100 is None else round(r2v.recall_at_100, 3),
                round((v2r.judged_at_10 + r2v.judged_at_10) / 2, 3),
                round(built.resume_index_s, 2),
                round(built.vacancy_index_s, 2),
                round(max(overall, built.resume_index_s + built.vacancy_index_s), 2),
                setup.note,
            )
        )
    return rows


def _direction(data: LabelledSet, queries: list[str], ranked: list[list[str]], side: str) -> DirectionScores:
    grader = data.v2r if side == "v" else data.r2v
    ideal_map = data.v_ideal if side == "v" else data.r_ideal
    ideal = [ideal_map.get(q, []) for q in queries] if ideal_map is not None else None
    counts = [sum(1 for g in grades if g >= 1) for grades in ideal] if ideal is not None else None
    return evaluate_direction(ranked, queries, grader, counts, ideal)


def markdown(title: str, rows: Sequence[Row]) -> str:
    head = (
        "| setup | model | topn | cvs_for_vacancy | vacancies_for_cv | average | nDCG@10 v→r | nDCG@10 r→v "
        "| recall@100 v→r | recall@100 r→v | resume index, s | vacancy index, s | overall, s |"
    )
    lines = [f"### {title}", "", head, "|" + "---|" * 13]
    for r in rows:
        lines.append(
            f"| {r.setup} | {r.model} | {r.topn} | {r.cvs_for_vacancy:.3f} | {r.vacancies_for_cv:.3f} | "
            f"{r.average:.3f} | {r.ndcg10_cvs_for_vacancy:.3f} | {r.ndcg10_vacancies_for_cv:.3f} | "
            f"{_fmt(r.recall100_cvs_for_vacancy)} | {_fmt(r.recall100_vacancies_for_cv)} | "
            f"{r.resume_index_s:.1f} | {r.vacancy_index_s:.1f} | {r.overall_s:.1f} |"
        )
    return "\n".join(lines) + "\n"


def write(out_dir: Path, name: str, title: str, rows: Sequence[Row], meta: dict[str, Any]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"{name}.md"
    js = out_dir / f"{name}.json"
    md.write_text(markdown(title, rows), encoding="utf-8")
    js.write_text(
        json.dumps({"title": title, **meta, "rows": [asdict(r) for r in rows]}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return md, js


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def gains_over_prototype(rows: list[Row]) -> list[dict[str, object]]:
    """Precision@10 of the pipeline's default setup minus each prototype-method row's, both directions."""
    default = next((r for r in rows if r.setup.endswith(PIPELINE_DEFAULT)), None)
    if default is None:
        return []
    return [
        {
            "baseline": r.setup,
            "cvs_for_vacancy": round(default.cvs_for_vacancy - r.cvs_for_vacancy, 3),
            "vacancies_for_cv": round(default.vacancies_for_cv - r.vacancies_for_cv, 3),
        }
        for r in rows
        if r.setup.startswith("prototype method")
    ]
