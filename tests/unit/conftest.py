"""Shared fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import faiss
import pytest


@pytest.fixture(scope="module")
def single_threaded_faiss() -> Iterator[None]:
    # Tiny indexes: FAISS's OpenMP threads only fight numpy's BLAS threads for the cores (10x slower).
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(threads)
