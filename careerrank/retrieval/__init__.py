"""Vectors to lists: the exact index, incremental top-K lists, all-pairs lists, and an approximate index.

Pure computation (no storage, no messaging), blocking: callers run it on a thread of their own.
"""

from careerrank.retrieval.all_pairs import TopK, block_rows_for, ranked_rows, resolve_device, top_k_both
from careerrank.retrieval.approximate_index import ApproximateIndex, default_nlist, recall_at_k, train_size
from careerrank.retrieval.blocks import by_score, score_blocks, top_k_rows
from careerrank.retrieval.exact_index import ItemIndex, gpu_available
from careerrank.retrieval.incremental import ListState

__all__ = [
    "ApproximateIndex",
    "ItemIndex",
    "ListState",
    "TopK",
    "block_rows_for",
    "by_score",
    "default_nlist",
    "gpu_available",
    "ranked_rows",
    "recall_at_k",
    "resolve_device",
    "score_blocks",
    "top_k_both",
    "top_k_rows",
    "train_size",
]
