"""`/faucet` on a local anvil of the test's own with the platform's MockStablecoin: a tap mints
test mUSDC (sent by the node's impersonated faucet address: the server signs nothing), tops up gas,
is limited per address and capped, and is refused on any chain that is not a local development
chain (a chain id that is not a dev one, a node on another chain, a node without dev methods)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eth_abi
import pytest
from _stack import ROOT, Anvil, FaultyNode, receipt, rpc
from conftest import api_settings_for
from eth_account import Account
from eth_utils import keccak
from fastapi.testclient import TestClient

from api.app import create_app
from api.faucet import AMOUNT, CAP, FAUCET_ADDRESS


class LocalChain:
    """An anvil with the MockStablecoin deployed and recorded in a deployments folder."""

    def __init__(self, folder: Path) -> None:
        self.node = Anvil()
        self.url = self.node.url
        bytecode = json.loads((ROOT / ".build" / "__local__.json").read_text())[
            "contractTypes"]["MockStablecoin"]["deploymentBytecode"]["bytecode"]  # fmt: skip
        deployer = rpc(self.url, "eth_accounts")[0]
        tx = rpc(self.url, "eth_sendTransaction", {"from": deployer, "data": bytecode})
        mined = receipt(self.url, tx)
        self.token = mined["contractAddress"]
        self.deployments = folder
        (folder / "31337.json").write_text(json.dumps({"chain_id": 31337, "contracts": {
            "MockStablecoin": {"address": self.token, "block": int(mined["blockNumber"], 16)},
        }}))  # fmt: skip

    def balance(self, address: str) -> int:
        data = keccak(text="balanceOf(address)")[:4] + eth_abi.encode(["address"], [address])
        return int(rpc(self.url, "eth_call", {"to": self.token, "data": "0x" + data.hex()},
                       "latest"), 16)  # fmt: skip

    def mint(self, address: str, amount: int) -> None:
        data = keccak(text="mint(address,uint256)")[:4] + eth_abi.encode(
            ["address", "uint256"], [address, amount]
        )
        sender = rpc(self.url, "eth_accounts")[0]
        rpc(self.url, "eth_sendTransaction", {"from": sender, "to": self.token,
                                              "data": "0x" + data.hex()})  # fmt: skip


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalChain]:
    local = LocalChain(tmp_path_factory.mktemp("faucet-deployments"))
    yield local
    local.node.stop()


@pytest.fixture(scope="module")
def make_client(
    chain: LocalChain, postgres_admin_url: str, redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:  # fmt: skip
    """Starts the API over an empty index for a node URL and a served chain id."""
    from _stack import Databases

    databases = Databases(postgres_admin_url)
    database_url = databases.create()
    opened: list[TestClient] = []

    def make(rpc_url: str = chain.url, chain_id: int = 31337, faucet: bool = True) -> TestClient:
        settings = api_settings_for(
            rpc_url, chain.deployments, database_url, redis_url, f"faucet-{uuid.uuid4().hex[:8]}",
            tmp_path_factory.mktemp("api"), chain_id=chain_id, faucet=faucet,
        )  # fmt: skip
        client = TestClient(create_app(settings))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
    databases.drop_all()


def new_address() -> str:
    return Account.create().address


def test_a_tap_mints_test_musdc_from_the_faucets_address_and_tops_up_gas(
    chain: LocalChain, make_client: Any
) -> None:
    client = make_client()
    status = client.get("/faucet").json()
    assert status["available"] is True and status["reason"] is None
    assert status["token"].lower() == chain.token.lower()
    assert client.get("/dapp/config").json()["faucet"] is True
    address = new_address()
    assert rpc(chain.url, "eth_getBalance", address, "latest") == "0x0"
    answer = client.post("/faucet", json={"address": address})
    assert answer.status_code == 200, answer.text
    tap = answer.json()
    assert tap["address"] == address
    assert int(tap["amount"]) == AMOUNT == chain.balance(address) == int(tap["balance"])
    assert tap["gas_topped_up"] is True
    assert int(rpc(chain.url, "eth_getBalance", address, "latest"), 16) > 0
    # Sent by the faucet's own impersonated address, never by (or for) the user's account.
    sent = rpc(chain.url, "eth_getTransactionByHash", tap["transaction_hash"])
    assert sent["from"].lower() == FAUCET_ADDRESS.lower()
    assert sent["to"].lower() == chain.token.lower()
    assert rpc(chain.url, "eth_getTransactionCount", address, "latest") == "0x0"


def test_one_tap_per_address_per_minute(chain: LocalChain, make_client: Any) -> None:
    client = make_client()
    address = new_address()
    assert client.post("/faucet", json={"address": address}).status_code == 200
    again = client.post("/faucet", json={"address": address.lower()})
    assert again.status_code == 429, again.text
    assert "one tap per address every 60 s" in again.json()["detail"]
    assert 1 <= int(again.headers["retry-after"]) <= 60
    assert chain.balance(address) == AMOUNT
    # Another address is not held back.
    assert client.post("/faucet", json={"address": new_address()}).status_code == 200


def test_no_tap_for_an_address_at_the_cap(chain: LocalChain, make_client: Any) -> None:
    client = make_client()
    address = new_address()
    chain.mint(address, CAP)
    answer = client.post("/faucet", json={"address": address})
    assert answer.status_code == 409, answer.text
    assert "cap" in answer.json()["detail"]
    assert chain.balance(address) == CAP


def test_the_faucet_can_be_turned_off(chain: LocalChain, make_client: Any) -> None:
    client = make_client(faucet=False)
    assert client.get("/dapp/config").json()["faucet"] is False
    address = new_address()
    answer = client.post("/faucet", json={"address": address})
    assert answer.status_code == 403
    assert "turned off" in answer.json()["detail"]
    assert chain.balance(address) == 0


def test_a_bad_address_is_refused_with_the_reason(make_client: Any) -> None:
    answer = make_client().post("/faucet", json={"address": "0x1234"})
    assert answer.status_code == 422
    assert "40 hexadecimal digits" in answer.text


@pytest.mark.parametrize(
    ("case", "chain_id", "reason"),
    [
        ("api on a chain that is not a dev one", 1, "chain 1 is not a local development chain"),
        ("node on another chain", 1337, "the node serves chain 31337, not the API's chain 1337"),
        ("node without dev methods", 31337, "not a development node"),
    ],
)
def test_the_faucet_is_refused_on_any_other_chain(
    chain: LocalChain, make_client: Any, case: str, chain_id: int, reason: str
) -> None:
    proxy = FaultyNode(chain.url)
    if case == "node without dev methods":
        proxy.mode = "plain"
    try:
        client = make_client(proxy.url, chain_id)
        status = client.get("/faucet").json()
        assert status["available"] is False
        assert reason in status["reason"]
        assert client.get("/dapp/config").json()["faucet"] is False
        address = new_address()
        answer = client.post("/faucet", json={"address": address})
        assert answer.status_code == 403, answer.text
        assert answer.json()["detail"] == f"no faucet here: {status['reason']}"
        assert chain.balance(address) == 0
    finally:
        proxy.stop()
