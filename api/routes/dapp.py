"""The dApp page: static files from `dapp/` at `/app/`, and what the page needs to know.

The page is plain ES modules and CSS (no build step): it talks to this API like any client and to
the user's wallet through EIP-1193. The server signs nothing for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.types import Scope

from api.deps import State
from api.node import NodeUnavailable, RpcError
from api.settings import ApiSettings

DAPP = Path(__file__).resolve().parents[2] / "dapp"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

router = APIRouter(tags=["dapp"])


class DappConfig(BaseModel):
    """What the page needs to connect a wallet to the right chain."""

    chain_id: int = Field(examples=[31337])
    chain_name: str = Field(examples=["Local anvil"])
    rpc_url: str | None = Field(
        description="The RPC URL a wallet adds for this chain; null when it is not public.",
        examples=["http://127.0.0.1:8545"],
    )
    faucet: bool = Field(
        default=False, description="Whether `POST /faucet` gives test mUSDC (local chains only)."
    )


class RevalidatedFiles(StaticFiles):
    """Static files a browser keeps but checks before each use (`no-cache`, answered by a 304
    when unchanged): the page's modules have no content hash in their names, so a long cache
    would keep an old module next to a new one after an update."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
        status_code: int = 200,
    ) -> Response:  # fmt: skip
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_page(app: FastAPI) -> None:
    """Serves `dapp/` at `/app/` (when the folder is there)."""
    if DAPP.is_dir():
        app.mount("/app", RevalidatedFiles(directory=DAPP, html=True), name="dapp")


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/app/")


def wallet_rpc_url(settings: ApiSettings) -> str | None:
    """The RPC URL the page gives wallets: `API_WALLET_RPC_URL` when set, else the API's own node
    when it is on this machine (a local chain); a remote node's URL may hold a key and is never
    shown."""
    if settings.wallet_rpc_url is not None:
        return settings.wallet_rpc_url
    node = urlsplit(settings.rpc_url)
    if node.hostname in LOOPBACK and "@" not in node.netloc:
        return settings.rpc_url  # a user part (user:key@) is a secret even on loopback
    return None


@router.get("/dapp/config", summary="The chain the dApp page connects wallets to")
async def config(state: State) -> DappConfig:
    """The chain, the RPC URL a wallet adds for it (see `wallet_rpc_url`) and whether the
    faucet serves it."""
    local = state.chain_id == 31337
    try:
        found = await state.faucet.availability(state.chain_id, state.settings.deployments_dir)
        available = found.available
    except (NodeUnavailable, RpcError):
        available = False  # asked again next time
    return DappConfig(
        chain_id=state.chain_id,
        chain_name="Local anvil" if local else f"Chain {state.chain_id}",
        rpc_url=wallet_rpc_url(state.settings),
        faucet=available,
    )
