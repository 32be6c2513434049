"""Data that comes with the repository: the SuperJob sample (MIT, see its LICENSE) and its judgments.

Found next to the package, like ``migrations/``: in a clone or an editable install.
"""

from __future__ import annotations

from pathlib import Path

DATASETS_DIR = Path(__file__).resolve().parents[2] / "datasets"
SUPERJOB_DIR = DATASETS_DIR / "superjob"  # vacancies.csv, resumes.csv
JUDGMENTS_DIR = DATASETS_DIR / "judgments"  # *.jsonl: direction, query, candidate, grade
