"""The events the contracts' hardening (issue 12) added, projected from logs alone: the two pause
flags, a seller's invalidated listings, a cancelled sale, a redirected raise, an announced fee rise
and a claim to another address; and a re-projection from the raw logs gives the same rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from _stack import assert_same_state, index, settings_for
from ape import accounts, chain, project
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from indexer.settings import IndexerSettings
from scripts._lib import DAY, USDC, Asset, Platform, asset_params, register_asset


@pytest.fixture
def settings(ape_rpc_url: str, platform_deployments: Path) -> IndexerSettings:
    return settings_for(ape_rpc_url, platform_deployments)


def impersonate(address: object) -> AccountAPI:
    """An account sending as a contract (an asset's timelock), funded for gas."""
    plain = str(getattr(address, "address", address))
    chain.set_balance(plain, 10**18)
    return accounts[plain]


def _rows(url: str, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def test_new_events_are_projected(
    settings: IndexerSettings, database_url: str, new_database: Callable[[], str],
    platform: Platform, asset: Asset, create_asset: Callable[..., Asset], buy: Callable[..., None],
    deposit_revenue: Callable[..., object], market: ContractInstance, admin: AccountAPI,
    operator: AccountAPI, treasury: AccountAPI, stranger: AccountAPI, investors: list[AccountAPI],
) -> None:  # fmt: skip
    registry, sale, aid = platform.registry, platform.sale, asset.asset_id
    registry.setAssetPaused(aid, True, sender=impersonate(asset.timelock))
    registry.setAssetPaused(aid, True, sender=admin)
    registry.setAssetPaused(aid, False, sender=admin)  # governance's pause holds

    seller, token = investors[0], asset.token
    registry.setAssetPaused(aid, False, sender=impersonate(asset.timelock))
    token.approve(market, 200, sender=seller)
    market.list(token, 100, USDC, chain.pending_timestamp + DAY, sender=seller)
    dead = int(market.listingCount())
    market.invalidateListings(sender=seller)
    market.list(token, 100, USDC, chain.pending_timestamp + DAY, sender=seller)
    alive = int(market.listingCount())

    cancelled = create_asset(symbol="CNCL")
    buy(cancelled, investors[1], 10)
    sale.cancelSale(cancelled.asset_id, sender=operator)

    coin = admin.deploy(project.MockBlocklistStablecoin)
    registry.setPaymentTokenAllowed(coin, True, sender=admin)
    deferred = register_asset(
        platform, operator, asset_params(payment_token=coin, treasury=treasury, total_shares=10)
    )
    coin.mint(investors[2], 10 * 50 * USDC, sender=investors[2])
    coin.approve(sale, 10 * 50 * USDC, sender=investors[2])
    sale.buy(deferred.asset_id, 10, sender=investors[2])
    coin.setBlocked(treasury, True, sender=admin)
    sale.finalize(deferred.asset_id, sender=investors[2])
    sale.redirectRaise(deferred.asset_id, stranger, sender=impersonate(deferred.timelock))

    registry.setPlatformFees(250, 100, admin, sender=admin)  # a rise: announced
    deposit_revenue(asset, 1_000 * USDC)
    token.claimRevenueTo(stranger, sender=investors[3])

    index(settings, database_url)

    assert _rows(database_url, "SELECT paused, paused_by_pauser, paused_by_governance FROM assets"
                 " WHERE asset_id = %s", aid) == [(False, False, False)]  # fmt: skip
    statuses = dict(_rows(database_url, "SELECT listing_id, status FROM listings"))
    assert (statuses[dead], statuses[alive]) == ("invalidated", "open")
    [(nonce,)] = _rows(database_url, "SELECT listing_nonce FROM market_sellers WHERE seller = %s",
                       str(seller.address).lower())  # fmt: skip
    assert nonce == 1
    assert _rows(database_url, "SELECT sale_cancelled, sale_succeeded, status FROM assets"
                 " WHERE asset_id = %s", cancelled.asset_id) == [(True, False, "failed")]  # fmt: skip
    assert _rows(database_url, "SELECT treasury, raise_deferred FROM assets WHERE asset_id = %s",
                 deferred.asset_id) == [(str(stranger.address).lower(), 500 * USDC)]  # fmt: skip
    [(rev, mkt, when)] = _rows(database_url, "SELECT pending_revenue_fee_bps,"
                               " pending_market_fee_bps, pending_fees_effective_at FROM platform")  # fmt: skip
    assert (rev, mkt, when) == (250, 100, registry.pendingPlatformFees().effectiveAt)
    [(recipient,)] = _rows(database_url, "SELECT recipient FROM revenue_claims WHERE account = %s",
                           str(investors[3].address).lower())  # fmt: skip
    assert recipient == str(stranger.address).lower()

    fresh = new_database()
    index(settings, fresh)
    assert_same_state(database_url, fresh)
