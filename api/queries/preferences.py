"""The signed-in account's private preferences, and the assets a watchlist may name."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from api.db import Database
from api.models.auth import Notifications, Preferences, PreferencesIn


def _preferences(address: str, row: dict[str, object] | None) -> Preferences:
    if row is None:
        return Preferences(address=address, display_name=None, watchlist=[],
                           notifications=Notifications(), updated_at=None)  # fmt: skip
    return Preferences.model_validate({"address": address, **row})


async def preferences_of(db: Database, *, address: str) -> Preferences:
    """An account's preferences (lowercase address); the defaults until it saves some."""
    row = await db.fetch_one(
        "SELECT display_name, watchlist, notifications, updated_at FROM api_preferences"
        " WHERE address = %s",
        (address,),
    )
    return _preferences(address, row)


async def save_preferences(db: Database, *, address: str, preferences: PreferencesIn
                           ) -> Preferences:  # fmt: skip
    """Replaces an account's preferences; returns them as stored."""
    row = await db.fetch_one(
        "INSERT INTO api_preferences (address, display_name, watchlist, notifications)"
        " VALUES (%(address)s, %(name)s, %(watchlist)s, %(notifications)s)"
        " ON CONFLICT (address) DO UPDATE SET display_name = EXCLUDED.display_name,"
        " watchlist = EXCLUDED.watchlist, notifications = EXCLUDED.notifications,"
        " updated_at = now()"
        " RETURNING display_name, watchlist, notifications, updated_at",
        {
            "address": address,
            "name": preferences.display_name,
            "watchlist": Jsonb([str(asset) for asset in preferences.watchlist]),
            "notifications": Jsonb(preferences.notifications.model_dump()),
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
