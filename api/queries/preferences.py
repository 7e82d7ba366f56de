"""The signed-in account's private preferences, the assets a watchlist may name, and who may read
whose yearly statements."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from api.db import Database
from api.models.auth import Notifications, Preferences, PreferencesIn, StatementGrant


def _preferences(address: str, row: dict[str, object] | None) -> Preferences:
    if row is None:
        return Preferences(address=address, display_name=None, watchlist=[],
                           notifications=Notifications(), statement_viewers=[],
                           updated_at=None)  # fmt: skip
    return Preferences.model_validate({"address": address, **row})


async def preferences_of(db: Database, *, address: str) -> Preferences:
    """An account's preferences (lowercase address); the defaults until it saves some."""
    row = await db.fetch_one(
        "SELECT display_name, watchlist, notifications, statement_viewers, updated_at"
        " FROM api_preferences"
        " WHERE address = %s",
        (address,),
    )
    return _preferences(address, row)


async def save_preferences(db: Database, *, address: str, preferences: PreferencesIn
                           ) -> Preferences:  # fmt: skip
    """Replaces an account's preferences; returns them as stored."""
    row = await db.fetch_one(
        "INSERT INTO api_preferences"
        " (address, display_name, watchlist, notifications, statement_viewers)"
        " VALUES (%(address)s, %(name)s, %(watchlist)s, %(notifications)s, %(viewers)s)"
        " ON CONFLICT (address) DO UPDATE SET display_name = EXCLUDED.display_name,"
        " watchlist = EXCLUDED.watchlist, notifications = EXCLUDED.notifications,"
        " statement_viewers = EXCLUDED.statement_viewers, updated_at = now()"
        " RETURNING display_name, watchlist, notifications, statement_viewers, updated_at",
        {
            "address": address,
            "name": preferences.display_name,
            "watchlist": Jsonb([str(asset) for asset in preferences.watchlist]),
            "notifications": Jsonb(preferences.notifications.model_dump()),
            "viewers": Jsonb(preferences.statement_viewers),
        },
    )
    return _preferences(address, row)


async def missing_assets(db: Database, *, chain_id: int, asset_ids: list[int]) -> list[int]:
    """The ids among `asset_ids` that no asset of the chain has, in the order given."""
    if not asset_ids:
        return []
    rows = await db.fetch(
        "SELECT asset_id FROM assets WHERE chain_id = %s AND asset_id = ANY(%s::numeric[])",
        (chain_id, [str(asset) for asset in asset_ids]),
    )
    known = {int(row["asset_id"]) for row in rows}
    return [asset for asset in asset_ids if asset not in known]


async def may_read_statements(db: Database, *, owner: str, reader: str) -> bool:
    """Whether `reader` may read `owner`'s yearly statements (both lowercase): its own, or one
    the owner lists among its `statement_viewers`."""
    if owner == reader:
        return True
    row = await db.fetch_one(
        "SELECT 1 FROM api_preferences WHERE address = %s AND statement_viewers ? %s",
        (owner, reader),
    )
    return row is not None


MAX_STATEMENT_GRANTS = 1000


async def statement_grants_to(db: Database, *, reader: str) -> list[StatementGrant]:
    """The accounts that let `reader` (lowercase) read their yearly statements, by address (the
    first `MAX_STATEMENT_GRANTS`: anyone may name any address, so the list is bounded)."""
    rows = await db.fetch(
        "SELECT address AS owner, updated_at AS granted_at FROM api_preferences"
        " WHERE statement_viewers @> %s ORDER BY address LIMIT %s",
        (Jsonb([reader]), MAX_STATEMENT_GRANTS),
    )
    return [StatementGrant.model_validate(row) for row in rows]
