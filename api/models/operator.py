"""Models of the operator's dashboard and of meter readings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.types import MAX_SAFE_INTEGER, Address, AddressIn, Uint256, Uint256In

SIGNATURE_PATTERN = r"^0x[0-9a-fA-F]{130}$"


class ReadingIn(BaseModel):
    """A meter's reading and its EIP-712 signature (the `Reading` fields of the production
    oracle; snake_case names are accepted too)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    asset_id: Uint256In = Field(alias="assetId")
    meter: AddressIn
    period_start: int = Field(alias="periodStart", ge=0, le=MAX_SAFE_INTEGER,
                              description="Unix seconds.")  # fmt: skip
    period_end: int = Field(alias="periodEnd", ge=0, le=MAX_SAFE_INTEGER, description="Exclusive.")
    energy_wh: Uint256In = Field(alias="energyWh")
    signature: str = Field(pattern=SIGNATURE_PATTERN, description="65 bytes: r, s, v (27/28).")


class MeterReading(BaseModel):
    """A signed reading kept by the API until the operator relays it on chain."""

    asset_id: int
    meter: Address
    period_start: int
    period_end: int
    energy_wh: Uint256
    signature: str
    received_at: str = Field(description="ISO 8601, UTC.")


class Funding(BaseModel):
    total_shares: Uint256
    shares_sold: Uint256
    raised: Uint256
    min_raise: Uint256
    sale_start: int
    sale_end: int
    finalized: bool
    succeeded: bool | None


class Revenue(BaseModel):
    deposits: int
    gross: Uint256
    fees: Uint256
    reserve: Uint256
    distributed: Uint256
    claimed: Uint256


class Production(BaseModel):
    energy_wh: Uint256
    report_count: int
    last_period_end: int | None
    active_meters: int


class OperatorAsset(BaseModel):
    """One asset on its operator's dashboard."""

    asset_id: int
    name: str
    symbol: str
    kind: str
    status: str
    paused: bool
    share_token: Address
    payment_token: Address
    holder_count: int
    funding: Funding
    revenue: Revenue
    production: Production
    pending_readings: int = Field(description="Signed readings waiting to be relayed.")


class OperatorDashboard(BaseModel):
    """What an operator runs."""

    operator: Address
    has_operator_role: bool = Field(description="May register new assets.")
    assets: list[OperatorAsset]


class OperatorStatus(BaseModel):
    """Whether an address operates anything (from the index)."""

    operates_assets: bool
    has_operator_role: bool
