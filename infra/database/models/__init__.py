"""Every table of the platform's database, declared once as SQLModel models, one module per area.

The Alembic migrations (`infra/database/migrations/versions/`) create these tables; the drift test
(`tests/infra/test_schema_drift.py`) fails when a migrated database and `metadata` disagree, and
docgen describes the tables from these models. A new area's tables go in a module of their own
here, imported below, next to the migration that creates them.

Kept as raw SQL, where it is measurably faster than the ORM (see `docs/architecture/database/`):
the indexer's writes (COPY of raw logs and append-only rows, batched upserts) and the API's
hand-tuned reads. The models declare the schema; they are not on those hot paths.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from infra.database.models import (
    api,
    certificates,
    governance,
    market,
    registry,
    sale,
    shares,
    sync,
)
from infra.database.models.columns import JOURNALED

metadata: MetaData = SQLModel.metadata

__all__ = [
    "JOURNALED",
    "api",
    "certificates",
    "governance",
    "market",
    "metadata",
    "registry",
    "sale",
    "shares",
    "sync",
]
