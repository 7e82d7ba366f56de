"""Unsigned transactions for wallets: every user action as `eth_sendTransaction` params (and
EIP-712 typed data for permits), simulated first.

Each action is `POST /tx/<action>` with a JSON body naming `from` (the signer) and the action's
inputs, amounts as decimal strings. The answer lists the wallet's steps in order (an approval
before the action when the allowance is short). A call that would revert answers 422 with the
contract's error in plain words (`detail`), its name (`error`), arguments (`args`) and `step`; a
node that does not answer, 503.

Preparing signs nothing, so it needs no sign-in. A request that does carry a bearer token must be
valid and its address must be `from` (a dApp never prepares for another account than the one
signed in by mistake).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import OPTIONAL_SIGN_IN, State, bearer, signed_in
from api.models.transactions import (
    ApproveSharesRequest,
    AssetRequest,
    BuyRequest,
    CertificateClaimRequest,
    CertificateRetireRequest,
    CertificateTransferRequest,
    ClaimRequest,
    DelegateRequest,
    DepositRequest,
    FillRequest,
    ListingRequest,
    ListRequest,
    Prepared,
    ProposeRequest,
    RegisterAssetRequest,
    SubmitReadingRequest,
    TransferRequest,
    TxRequest,
    VoteRequest,
)
from api.problems import MEDIA_TYPE, Problem, ProblemDetail
from api.queries.operator import stored_reading
from api.state import AppState
from api.transactions import actions
from api.transactions import certificates as certificate_actions
from api.transactions.build import Chain, Plan

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ProblemDetail,
        "content": {MEDIA_TYPE: {}},
        "description": "An Authorization header was sent but is not a valid bearer token"
        " (sign-in is optional here; a token that is sent must be valid)",
    },
    403: {
        "model": ProblemDetail,
        "content": {MEDIA_TYPE: {}},
        "description": "`from` is not the signed-in address",
    },
    503: {
        "model": ProblemDetail,
        "content": {MEDIA_TYPE: {}},
        "description": "The Ethereum node does not answer",
    },
}
router = APIRouter(prefix="/tx", tags=["transactions"], responses=ERRORS)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
R = TypeVar("R", bound=TxRequest)


async def _prepare(state: AppState, credentials: HTTPAuthorizationCredentials | None, body: R,
                   action: Callable[[Chain, R], Awaitable[Plan]]) -> Prepared:  # fmt: skip
    if credentials is not None:
        claims = await signed_in(state, credentials)
        if claims.address != body.sender:
            raise Problem(403, "`from` is not the signed-in address: a wallet signs only for "
                          "its own account", "forbidden")  # fmt: skip
    chain = Chain(state)
    return await chain.prepare(await action(chain, body), body.sender)


@router.post(
    "/buy",
    summary="Buy shares in a primary sale (approve, or sign a permit)",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def buy(body: BuyRequest, state: State, credentials: Bearer) -> Prepared:
    """With `method: approve` (default): an approval step when the allowance is short, then the
    purchase. With `method: permit`: first the EIP-2612 typed data to sign; send the same body
    again with `permit: {deadline, signature}` for the one-transaction purchase."""
    return await _prepare(state, credentials, body, actions.buy)


@router.post(
    "/claim",
    summary="Claim an asset's revenue owed to you (to you or a recipient)",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def claim(body: ClaimRequest, state: State, credentials: Bearer) -> Prepared:
    return await _prepare(state, credentials, body, actions.claim)


@router.post(
    "/certificates/claim",
    summary="Claim your energy certificates (your part of production reports)",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def certificates_claim(body: CertificateClaimRequest, state: State,
                             credentials: Bearer) -> Prepared:  # fmt: skip
    """Without `report_ids`: every report you have something left to claim of (at most 100)."""
    return await _prepare(state, credentials, body, certificate_actions.claim)


@router.post(
    "/certificates/transfer",
    summary="Send energy certificates of one vintage to another account",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def certificates_transfer(body: CertificateTransferRequest, state: State,
                                credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, certificate_actions.transfer)


@router.post(
    "/certificates/retire",
    summary="Retire energy certificates for a beneficiary (the public proof of consumption)",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def certificates_retire(body: CertificateRetireRequest, state: State,
                              credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, certificate_actions.retire)


@router.post(
    "/refund",
    summary="Take a refund from a sale that missed its minimum",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def refund(body: AssetRequest, state: State, credentials: Bearer) -> Prepared:
    return await _prepare(state, credentials, body, actions.refund)


@router.post("/transfer", summary="Send shares to another account", openapi_extra=OPTIONAL_SIGN_IN)
async def transfer(body: TransferRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, actions.transfer)


@router.post("/delegate", summary="Delegate your votes of an asset", openapi_extra=OPTIONAL_SIGN_IN)
async def delegate(body: DelegateRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, actions.delegate)


@router.post("/propose", summary="Make a governance proposal", openapi_extra=OPTIONAL_SIGN_IN)
async def propose(body: ProposeRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    """`details.proposal_id` is the id the proposal will have."""
    return await _prepare(state, credentials, body, actions.propose)


@router.post("/vote", summary="Vote on a proposal (with a reason)", openapi_extra=OPTIONAL_SIGN_IN)
async def vote(body: VoteRequest, state: State, credentials: Bearer) -> Prepared:
    return await _prepare(state, credentials, body, actions.vote)


@router.post(
    "/market/list",
    summary="List shares for sale (with the market's share approval)",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def market_list(body: ListRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    """The approval step, when present, covers these shares and those of your other open
    listings of the asset, so every one stays fillable."""
    return await _prepare(state, credentials, body, actions.market_list)


@router.post(
    "/market/fill",
    summary="Buy shares from a listing (with the payment approval)",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def market_fill(body: FillRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, actions.market_fill)


@router.post("/market/cancel", summary="Withdraw your listing", openapi_extra=OPTIONAL_SIGN_IN)
async def market_cancel(body: ListingRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, actions.market_cancel)


@router.post(
    "/market/invalidate",
    summary="Invalidate all your listings made so far, at once",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def market_invalidate(body: TxRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    """Use it before parting with listed shares off-market: a listing made before can never be
    filled again, even once you hold shares again."""
    return await _prepare(state, credentials, body, actions.market_invalidate)


@router.post(
    "/market/approve",
    summary="Set how many of your shares the market may move",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def market_approve(body: ApproveSharesRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, actions.market_approve)


@router.post(
    "/assets/register",
    summary="Operator: register an asset and open its sale",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def register_asset(body: RegisterAssetRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, actions.register_asset)


@router.post(
    "/revenue/deposit",
    summary="Operator: deposit revenue (with the token approval)",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def deposit_revenue(body: DepositRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    return await _prepare(state, credentials, body, actions.deposit_revenue)


@router.post(
    "/readings/submit",
    summary="Operator: relay a stored meter reading on chain",
    openapi_extra=OPTIONAL_SIGN_IN,
)
async def submit_reading(body: SubmitReadingRequest, state: State, credentials: Bearer) -> Prepared:  # fmt: skip
    """The reading is one `POST /meters/readings` stored, named by its meter and start."""
    reading = await stored_reading(state.primary, chain_id=state.chain_id, meter=body.meter,
                                   period_start=body.period_start)  # fmt: skip
    if reading is None:
        raise Problem(404, "no stored reading of this meter starts then", "not-found")

    async def plan(chain: Chain, _: SubmitReadingRequest) -> Plan:
        return await actions.submit_reading(chain, reading)

    return await _prepare(state, credentials, body, plan)
