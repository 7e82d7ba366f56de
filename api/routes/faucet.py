"""`/faucet`: test mUSDC for a wallet on a local chain (refused on any other; see `api.faucet`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import FaucetDep, State
from api.faucet import AMOUNT, CAP, INTERVAL_SECONDS, Availability, Faucet, FaucetRefused
from api.node import NodeUnavailable, RpcError, unavailable
from api.problems import MEDIA_TYPE, Problem, ProblemDetail
from api.state import AppState
from api.types import Address, AddressIn, Hash, Uint256

router = APIRouter(prefix="/faucet", tags=["faucet"])


class FaucetStatus(BaseModel):
    """Whether this chain has a faucet, and what one tap gives."""

    available: bool
    reason: str | None = Field(description="Why there is none (null when there is one).")
    token: Address | None = Field(description="The platform's MockStablecoin.")
    amount: Uint256 = Field(description="mUSDC base units (6 decimals) per tap.")
    cap: Uint256 = Field(description="No tap for an address that holds this much or more.")
    interval_seconds: int = Field(description="One tap per address in this time.")


class FaucetRequest(BaseModel):
    """Who gets the test money."""

    address: AddressIn


class FaucetTap(BaseModel):
    """What a tap did: the mint's transaction and the address's new balance."""

    address: Address
    token: Address
    amount: Uint256
    balance: Uint256
    transaction_hash: Hash
    gas_topped_up: bool = Field(description="Whether the address was given test ETH for gas.")


def _problem(description: str) -> dict[str, Any]:
    return {"model": ProblemDetail, "content": {MEDIA_TYPE: {}}, "description": description}


async def availability(state: AppState, faucet: Faucet) -> Availability:
    """This chain's faucet availability; 503 when the node does not answer."""
    try:
        return await faucet.availability(state.chain_id, state.settings.deployments_dir)
    except (NodeUnavailable, RpcError) as error:
        raise unavailable(error) from error


@router.get(
    "",
    summary="Whether this chain has a test-money faucet",
    responses={503: _problem("The node did not answer")},
)
async def status(state: State, faucet: FaucetDep) -> FaucetStatus:
    found = await availability(state, faucet)
    return FaucetStatus(available=found.available, reason=found.reason, token=found.stablecoin,
                        amount=AMOUNT, cap=CAP, interval_seconds=INTERVAL_SECONDS)  # fmt: skip


@router.post(
    "",
    summary="Give an address test mUSDC (local development chains only)",
    responses={
        403: _problem("Not a local development chain (or the faucet is turned off)"),
        409: _problem("The address holds the cap or more"),
        429: _problem("The address had a tap less than a minute ago"),
        503: _problem("The node did not answer"),
    },
)
async def tap(body: FaucetRequest, state: State, faucet: FaucetDep) -> FaucetTap:
    """Mints 10,000 test mUSDC (the platform's MockStablecoin) to the address, and tops its ETH
    up for gas when it has almost none, through the local node's dev methods: the server signs
    nothing. Refused (403) on any chain that is not a local development chain."""
    found = await availability(state, faucet)
    try:
        done = await faucet.tap(found, body.address)
    except FaucetRefused as refused:
        kind = {403: "faucet-unavailable", 409: "faucet-cap", 429: "rate-limited"}[refused.status]
        headers = None if refused.retry_after is None else {"Retry-After": str(refused.retry_after)}
        raise Problem(refused.status, refused.reason, kind, headers=headers) from refused
    except (NodeUnavailable, RpcError) as error:
        raise unavailable(error) from error
    return FaucetTap(address=done.address, token=done.token, amount=done.amount,
                     balance=done.balance, transaction_hash=done.transaction_hash,
                     gas_topped_up=done.gas_topped_up)  # fmt: skip
