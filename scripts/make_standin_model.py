#!/usr/bin/env python3
"""Builds a SPEED STAND-IN for cointegrated/rubert-tiny2, fully offline: its architecture, random weights.

    .venv/bin/python scripts/make_standin_model.py            # -> var/models/rubert-tiny2-standin
    CAREERRANK_MODEL__NAME=var/models/rubert-tiny2-standin ...  # loads like any sentence-transformers dir

Its vectors are meaningless: it exists to measure how fast a rubert-tiny2-sized model encodes our texts
(CPU or GPU) on machines that cannot reach a model hub. Never index with it.

What is copied from rubert-tiny2 (its published config.json, as I know it; not checked against the hub,
which this machine cannot reach): BERT, hidden size 312, 3 layers, 12 heads, intermediate size 600,
vocabulary 83,828, 2,048 positions, 2 token types, GELU, layer-norm eps 1e-12 — about 29M parameters, most
of them the embedding table. Its WordPiece vocabulary is replaced by one trained here with ``tokenizers``
on the SuperJob sample and synthetic job texts, cased like the original, so that Russian text splits into
Russian pieces rather than the characters an English vocabulary gives. The corpus (~3 MB) runs out of
merges at about 20k entries, every word it holds becoming one token; the table is filled to 83,828 with
``[unusedN]`` rows. Token counts are therefore a lower bound: rubert-tiny2 splits rarer words, so it
likely sees somewhat more tokens per text and runs somewhat slower than this. Pooling: mean over tokens,
then L2 normalisation.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from careerrank import SUPERJOB_DIR, embedding_text, generate, read_events
from schemas import ResumeUpserted, VacancyUpserted

RUBERT_TINY2: dict[str, Any] = {
    "vocab_size": 83828,
    "hidden_size": 312,
    "num_hidden_layers": 3,
    "num_attention_heads": 12,
    "intermediate_size": 600,
    "max_position_embeddings": 2048,
    "type_vocab_size": 2,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
}
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "var" / "models" / "rubert-tiny2-standin"


def corpus(superjob_dir: Path = SUPERJOB_DIR, synthetic: int = 6000, seed: int = 11) -> list[str]:
    """Texts to train the vocabulary on: the SuperJob sample (when present) and synthetic postings.

    The seed differs from the benchmark's (3), so the vocabulary is not fitted to the measured texts.
    """
    texts = [embedding_text(e, 2000)[0] for e, _ in generate(synthetic * 2 // 3, synthetic // 3, seed=seed)]
    for name in ("vacancies.csv", "resumes.csv"):
        if (superjob_dir / name).exists():
            events = read_events(superjob_dir / name)
            texts += [embedding_text(e, 2000)[0] for e in events if isinstance(e, VacancyUpserted | ResumeUpserted)]
    return texts


def train_tokenizer(texts: Iterable[str], vocab_size: int, max_seq_length: int) -> Any:
    """A cased WordPiece tokenizer of exactly ``vocab_size`` entries; when the corpus runs out of merges
    first, the rest are ``[unusedN]`` fillers, so the embedding table keeps the original's size."""
    from tokenizers import BertWordPieceTokenizer, Tokenizer, models, processors
    from transformers import PreTrainedTokenizerFast

    trained = BertWordPieceTokenizer(lowercase=False, strip_accents=False, clean_text=True)
    trained.train_from_iterator(texts, vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False)
    vocab = dict(sorted(trained.get_vocab().items(), key=lambda item: item[1])[:vocab_size])
    learned = len(vocab)
    vocab.update({f"[unused{i}]": learned + i for i in range(vocab_size - learned)})
    backend = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    backend.normalizer = trained.normalizer
    backend.pre_tokenizer = trained.pre_tokenizer
    # A trained tokenizer has no [CLS]/[SEP] template yet (it is set from a vocabulary file, not by training).
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    backend.decoder = trained.decoder
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_seq_length,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )
    tokenizer.learned_vocabulary = learned
    return tokenizer


def build(
    out_dir: Path,
    texts: list[str],
    *,
    seed: int = 0,
    max_seq_length: int = 512,
    **config_overrides: Any,
) -> dict[str, Any]:
    """Write the stand-in to ``out_dir`` (``SentenceTransformer.save``) and return a summary of it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel

    config = BertConfig(**{**RUBERT_TINY2, **config_overrides})
    tokenizer = train_tokenizer(texts, config.vocab_size, max_seq_length)
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(seed)
        BertModel(config).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        transformer = Transformer(tmp, max_seq_length=max_seq_length)
        model = SentenceTransformer(
            modules=[transformer, Pooling(config.hidden_size, "mean"), Normalize()], device="cpu"
        )
        model.save(str(out_dir))
    counts = [len(ids) for ids in tokenizer(texts[:2000], truncation=True, max_length=max_seq_length)["input_ids"]]
    return {
        "model": str(out_dir),
        "note": "SPEED STAND-IN: rubert-tiny2's architecture with random weights; vectors are meaningless",
        "config": {key: getattr(config, key) for key in RUBERT_TINY2},
        "parameters": sum(p.numel() for p in model.parameters()),
        "learned_vocabulary": tokenizer.learned_vocabulary,
        "mean_tokens_per_training_text": round(sum(counts) / max(len(counts), 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0, help="Seed of the random weights.")
    parser.add_argument("--superjob-dir", type=Path, default=SUPERJOB_DIR)
    args = parser.parse_args()
    summary = build(args.out, corpus(args.superjob_dir), seed=args.seed)
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
