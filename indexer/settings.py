"""The indexer's settings: one object, read from `INDEXER_*` variables and the shared URLs.

The environment is read here rather than through pydantic-settings (as the API does): importing
pydantic-settings cost 0.25 s of the indexer's start-up, on top of pydantic, which stays and
validates every value as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from infra.settings import ROOT

PREFIX = "INDEXER_"


class IndexerSettings(BaseModel):
    """Everything the indexer can be told; command-line options override these.

    `DATABASE_URL`, `REDIS_URL` and `RPC_URL` are shared with the API and scripts, so they are read
    without the prefix; everything else is `INDEXER_<NAME>`. Values given to the constructor win
    over the environment.
    """

    model_config = ConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True)
    env_prefix: ClassVar[str] = PREFIX  # what pydantic-settings' `env_prefix` is to the API's

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_environment(), **values})

    rpc_url: str = Field(
        default="http://127.0.0.1:8545", validation_alias=AliasChoices("RPC_URL", "INDEXER_RPC_URL")
    )
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "INDEXER_DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "INDEXER_REDIS_URL")
    )
    redis_namespace: str = Field(
        default="platform",
        validation_alias=AliasChoices("REDIS_NAMESPACE", "INDEXER_REDIS_NAMESPACE"),
        description="Prefix of the Redis channel, shared with the API.",
    )
    data_dir: Path = ROOT / ".data"
    deployments_dir: Path = Field(
        default=ROOT / "deployments",
        validation_alias=AliasChoices("DEPLOYMENTS_DIR", "INDEXER_DEPLOYMENTS_DIR"),
    )
    build_file: Path = ROOT / ".build" / "__local__.json"
    from_block: int | None = None
    confirmations: int = Field(default=0, ge=0)
    reorg_window: int = Field(
        default=128, ge=1, description="Blocks kept reversible below the head."
    )
    poll_interval: float = Field(default=0.5, gt=0)
    initial_range: int = Field(default=10, ge=1)
    max_range: int = Field(default=100_000, ge=1)
    target_logs_per_request: int = Field(default=10_000, ge=1)
    prefetch_batches: int = Field(default=4, ge=1)
    analyze_after_events: int = Field(
        default=500_000,
        ge=1,
        description="A backfill of at least this many events ends with ANALYZE (fresh planner"
        " statistics before autovacuum gets to the new rows).",
    )
    defer_indexes: bool = Field(
        default=True,
        description="A first backfill (raw_logs empty) writes raw_logs with its key alone and"
        " builds the secondary indexes once it has caught up (make bench-indexer ARGS='--row-by-row"
        " --transfers 400000': 53,264 and 42,526 events/s against 38,615 and 40,828 row by row).",
    )
    header_batch_size: int = Field(default=200, ge=1)
    switch_interval: float = Field(
        default=0.0005, gt=0, description="Python's GIL switch interval."
    )
    request_timeout: float = Field(default=30.0, gt=0)
    max_backoff: float = Field(default=10.0, gt=0)
    standby_poll: float = Field(default=1.0, gt=0)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = Field(
        default="127.0.0.1", description="Address the metrics listen on (0.0.0.0: every interface)."
    )
    publish_limit: int = Field(
        default=1_000, ge=0, description="Events above which a commit is published as a range only."
    )
    ready_max_lag_blocks: int = Field(
        default=50, ge=0, description="Most blocks behind the head for /readyz to answer 200."
    )
    lag_alarm_blocks: int = Field(
        default=20, ge=1, description="Lag that logs a warning once the indexer had caught up."
    )
    progress: bool | None = None
    use_websocket: bool = True


def _environment() -> dict[str, str]:
    """The settings the environment sets, by field name: the first of a field's names (its
    `AliasChoices`, else `INDEXER_<NAME>`) that is set, compared without regard to case."""
    environ = {name.upper(): value for name, value in os.environ.items()}
    found = {}
    for field, info in IndexerSettings.model_fields.items():
        alias = info.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [PREFIX + field]
        for name in names:
            if isinstance(name, str) and name.upper() in environ:
                found[field] = environ[name.upper()]
                break
    return found
