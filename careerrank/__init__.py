"""CareerRank: vacancies and resumes matched continuously, in Russian and English.

The flow, package by package: an event (``schemas``) arrives from RabbitMQ (``messaging``); the embedder
builds its text and encodes it (``encoding``), stores item and vector in PostgreSQL (``storage``); the matcher
keeps exact top-K lists in both directions (``retrieval``) in PostgreSQL, where recruiters read them.
Around it: ``ingest`` (files of postings), ``synthetic`` (generated postings with known truth),
``evaluation`` (offline quality), ``jobs`` (reindex, publish), ``cli``, ``observability`` (logs, metrics),
``devtools`` (local services for development), ``errors`` (one exception tree), ``settings``. The deployables
themselves are composed in the ``workers`` package, which nothing here imports.

The names below are the public API for scripts and tools (``from careerrank import reindex``). Each module
loads on first use, so that a command which needs no model does not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    # configuration and errors
    "Settings": ("careerrank.settings", "Settings"),
    "ModelSettings": ("careerrank.settings", "ModelSettings"),
    "CareerRankError": ("careerrank.errors", "CareerRankError"),
    "TransientError": ("careerrank.errors", "TransientError"),
    "RejectedError": ("careerrank.errors", "RejectedError"),
    "SetupError": ("careerrank.errors", "SetupError"),
    "configure_logging": ("careerrank.observability.logs", "configure"),
    # texts to vectors
    "Encoder": ("careerrank.encoding", "Encoder"),
    "MINILM": ("careerrank.encoding", "MINILM"),
    "USE_MULTILINGUAL": ("careerrank.encoding", "USE_MULTILINGUAL"),
    "UseMultilingualEncoder": ("careerrank.encoding", "UseMultilingualEncoder"),
    "SentenceTransformerEncoder": ("careerrank.encoding", "SentenceTransformerEncoder"),
    "load_encoder": ("careerrank.encoding", "load_encoder"),
    "model_id": ("careerrank.encoding", "model_id"),
    "embedding_text": ("careerrank.encoding", "embedding_text"),
    "text_hash": ("careerrank.encoding", "text_hash"),
    "Vectors": ("careerrank.vectors", "Vectors"),
    "normalise": ("careerrank.vectors", "normalise"),
    # vectors to lists
    "ApproximateIndex": ("careerrank.retrieval", "ApproximateIndex"),
    "recall_at_k": ("careerrank.retrieval", "recall_at_k"),
    "train_size": ("careerrank.retrieval", "train_size"),
    "resolve_device": ("careerrank.retrieval", "resolve_device"),
    "top_k_both": ("careerrank.retrieval", "top_k_both"),
    # data in
    "SUPERJOB_DIR": ("careerrank.ingest", "SUPERJOB_DIR"),
    "read_events": ("careerrank.ingest", "read_events"),
    "generate": ("careerrank.synthetic", "generate"),
    "vacancy": ("careerrank.synthetic", "vacancy"),
    "resume": ("careerrank.synthetic", "resume"),
    "simulate": ("careerrank.synthetic", "simulate"),
    # the learned scorer
    "build_encoder": ("careerrank.encoding", "build_encoder"),
    "parse_model_name": ("careerrank.encoding", "parse_model_name"),
    "prepare_simulated_training": ("careerrank.evaluation.scorer", "prepare"),
    "train_on_simulation": ("careerrank.evaluation.scorer", "train_on"),
    "evaluate_judged": ("careerrank.evaluation.judged_report", "evaluate_judged"),
    "write_judging_sheet": ("careerrank.evaluation.judging_sheets", "write_sheet"),
    "sheets_for_learned_lists": ("careerrank.evaluation.judging_sheets", "sheets_for_learned_lists"),
    "experiment_power": ("careerrank.experiments.power", "experiment_power"),
    "PairScorer": ("careerrank.scoring.pair_scorer", "PairScorer"),
    "ActiveModel": ("careerrank.scoring.active_model", "ActiveModel"),
    "ListRanking": ("careerrank.scoring.list_ranking", "ListRanking"),
    # RabbitMQ
    "Names": ("careerrank.messaging", "Names"),
    "connect_broker": ("careerrank.messaging", "connect_broker"),
    "delete_topology": ("careerrank.messaging", "delete_topology"),
    "event_message": ("careerrank.messaging", "event_message"),
    "publish_events": ("careerrank.messaging", "publish_events"),
    "publish_windowed": ("careerrank.messaging", "publish_windowed"),
    "queue_stats": ("careerrank.messaging", "queue_stats"),
    # PostgreSQL
    "TABLES": ("careerrank.storage", "TABLES"),
    "Database": ("careerrank.storage", "Database"),
    "Session": ("careerrank.storage", "Session"),
    "connected": ("careerrank.storage", "connected"),
    "migrate": ("careerrank.storage", "migrate"),
    "apply_migrations": ("careerrank.storage", "apply_migrations"),
    "ensure_database": ("careerrank.storage", "ensure_database"),
    "drop_database": ("careerrank.storage", "drop_database"),
    # jobs
    "reindex": ("careerrank.jobs", "reindex"),
    "publish_files": ("careerrank.jobs", "publish_files"),
    "train_scoring_model": ("careerrank.jobs.scoring_models", "train_scoring_model"),
    "activate_scoring_model": ("careerrank.jobs.scoring_models", "activate_scoring_model"),
    # local development
    "ensure_up": ("careerrank.devtools", "ensure_up"),
    "start_worker": ("careerrank.devtools", "start_worker"),
    "stop_worker": ("careerrank.devtools", "stop_worker"),
    "wait_for_consumers": ("careerrank.devtools", "wait_for_consumers"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'careerrank' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
