"""The options every API connection opens with."""

from __future__ import annotations

import pytest

from api.db import Database


def test_each_connection_opens_with_the_statement_timeout_and_plan_cache_mode() -> None:
    db = Database("postgresql://reader@db.invalid/index", statement_timeout_ms=1234,
                  plan_cache_mode="auto")  # fmt: skip
    kwargs = db.pool.kwargs
    assert isinstance(kwargs, dict)
    assert kwargs["options"] == "-c statement_timeout=1234 -c plan_cache_mode=auto"


def test_a_plan_cache_mode_postgresql_does_not_know_is_refused_before_any_connection() -> None:
    with pytest.raises(ValueError, match="plan_cache_mode is one of auto, force_custom_plan"):
        Database("postgresql://reader@db.invalid/index",
                 plan_cache_mode="auto -c statement_timeout=0")  # type: ignore[arg-type]  # fmt: skip
