"""Sign-in with Ethereum: a nonce, a signed message for tokens, refresh and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response

from api.auth import sessions, siwe
from api.deps import SignedIn, State
from api.models.auth import NonceOut, RefreshIn, TokensOut, VerifyIn
from api.node import NodeUnavailable
from api.problems import MEDIA_TYPE, Problem, ProblemDetail

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemDetail, "content": {MEDIA_TYPE: {}},
          "description": "Refused, with the reason (bad signature, wrong chain, spent nonce...)"},
    503: {"model": ProblemDetail, "content": {MEDIA_TYPE: {}},
          "description": "Redis or the node did not answer"},
}  # fmt: skip
"""OpenAPI `responses` of routes that sign in or need a bearer token."""

router = APIRouter(prefix="/auth", tags=["auth"], responses=UNAUTHORIZED)


def _tokens(state: State, session: sessions.Session) -> TokensOut:
    now = datetime.now(UTC)
    return TokensOut(
        access_token=session.access_token,
        expires_in=state.settings.access_token_seconds,
        refresh_token=session.refresh_token,
        refresh_expires_in=int((session.refresh_expires_at - now).total_seconds()),
        address=session.claims.address,
        chain_id=session.claims.chain_id,
    )


@router.post("/nonce", summary="A single-use nonce and the message to sign with it")
async def nonce(state: State) -> NonceOut:
    """Step 1 of sign-in: replace `{address}` in `message_template`, sign it (personal_sign),
    then `POST /auth/verify` before `expiration_time`."""
    try:
        value, expires_at = await sessions.new_nonce(state)
    except sessions.StoreUnavailable as error:
        raise Problem(503, "sign-in is unavailable: Redis did not answer", "unavailable") from error
    expected = siwe.expected_for(state.settings, state.chain_id)
    now = datetime.now(UTC)
    return NonceOut(
        nonce=value,
        domain=expected.domain,
        uri=expected.origin,
        chain_id=state.chain_id,
        statement=siwe.STATEMENT,
        issued_at=siwe.iso(now),
        expiration_time=siwe.iso(expires_at),
        message_template=siwe.template(expected, nonce=value, issued_at=now, expires_at=expires_at),
    )


@router.post("/verify", summary="Sign in with a signed EIP-4361 message")
async def verify(state: State, body: VerifyIn) -> TokensOut:
    """Step 2 of sign-in: checks the signature (EIP-191, or EIP-1271 for a contract wallet),
    domain, URI, chain, times and nonce, spends the nonce, and answers a token pair."""
    expected = siwe.expected_for(state.settings, state.chain_id)
    signature = bytes.fromhex(body.signature[2:])
    try:
        message = siwe.parse(body.message)
        siwe.check_fields(message, expected, datetime.now(UTC))
        await siwe.check_signature(body.message, message.address, signature, state.node)
    except siwe.SignInRefused as error:
        status, kind = (422, "invalid-sign-in") if error.malformed else (401, "sign-in-refused")
        raise Problem(status, error.reason, kind) from error
    except NodeUnavailable as error:
        raise Problem(503, f"sign-in is unavailable: {error}", "unavailable") from error
    try:
        spent = await sessions.spend_nonce(state, message.nonce)
    except sessions.StoreUnavailable as error:
        raise Problem(503, "sign-in is unavailable: Redis did not answer", "unavailable") from error
    if spent is sessions.Nonce.USED:
        raise Problem(401, f"the nonce {message.nonce} was already used to sign in: ask"
                      " POST /auth/nonce for a new one", "sign-in-refused")  # fmt: skip
    if spent is sessions.Nonce.UNKNOWN:
        raise Problem(401, f"the nonce {message.nonce} was not issued by this API or has"
                      f" expired (nonces live {state.settings.siwe_nonce_seconds} s): ask"
                      " POST /auth/nonce for a new one", "sign-in-refused")  # fmt: skip
    return _tokens(state, await sessions.start(state, message.address.lower()))


@router.post("/refresh", summary="A new token pair for a refresh token (which is spent)")
async def refresh(state: State, body: RefreshIn) -> TokensOut:
    """Rotates the refresh token; a refresh token used twice ends its whole session."""
    try:
        session = await sessions.rotate(state, body.refresh_token)
    except sessions.RefreshRefused as error:
        raise Problem(401, str(error), "invalid-refresh-token") from error
    return _tokens(state, session)


@router.post("/logout", status_code=204, summary="Sign out: revoke this token and its session")
async def logout(state: State, claims: SignedIn) -> Response:
    """Revokes the bearer token and every refresh token of its session."""
    await sessions.end(state, claims)
    return Response(status_code=204)
