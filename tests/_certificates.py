"""Helpers the certificate tests share: a meter per asset, reports by the hour, claims."""

from __future__ import annotations

from ape import chain
from ape.api import AccountAPI, ReceiptAPI
from ape.contracts import ContractInstance
from eth_account import Account

from scripts._lib import Asset, advance_time, sign_reading

HOUR = 3_600


def meter_key(asset: Asset) -> str:
    """A private key for the asset's meter, distinct per asset."""
    return "0x" + (0xC0FFEE00 + asset.asset_id).to_bytes(32, "big").hex()


class Reporter:
    """Registers one meter per asset (on first use) and relays its signed hourly readings."""

    def __init__(self, oracle: ContractInstance, admin: AccountAPI, operator: AccountAPI) -> None:
        self.oracle = oracle
        self.admin = admin
        self.operator = operator

    def __call__(self, asset: Asset, energy_wh: int, *, hours: int = 1) -> ReceiptAPI:
        """Lets `hours` pass and reports them as one period; returns the receipt."""
        key = meter_key(asset)
        meter = Account.from_key(key).address
        if int(self.oracle.meterAsset(meter)) == 0:
            self.oracle.registerMeter(meter, asset.asset_id, sender=self.admin)
        advance_time(hours * HOUR)
        end = int(chain.blocks.head.timestamp)
        start = max(end - hours * HOUR, int(self.oracle.lastPeriodEnd(meter)))
        reading, signature = sign_reading(
            self.oracle, key, asset_id=asset.asset_id, period_start=start, period_end=end,
            energy_wh=energy_wh,
        )  # fmt: skip
        return self.oracle.submitReading(reading, signature, sender=self.operator)


def token_id(asset_id: int, start: int, end: int) -> int:
    """The certificates' token id of an asset's vintage."""
    return (asset_id << 128) | (start << 64) | end
