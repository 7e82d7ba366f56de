"""A wallet for the API's transaction tests: the demo's test keys, local signing, raw sends.

The API only prepares transactions; these helpers do what a browser wallet does with them (sign
locally with the account's key, send the raw transaction) and read the chain's views back. Tests
that send import `sandbox`, which reverts the shared demo chain after each test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import eth_abi
import psycopg
import pytest
from _stack import Views, rpc
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from api.auth import tokens
from api.settings import ApiSettings
from infra.abi import canonical_type

MNEMONIC = "test test test test test test test test test test test junk"  # ape-config.yaml
USDC = 10**6
ADMIN, OPERATOR, TREASURY, METER_ADMIN, SECOND_OPERATOR = 0, 1, 2, 3, 39  # scripts/demo.py's cast
Account.enable_unaudited_hdwallet_features()


@cache
def account(index: int) -> LocalAccount:
    """Test account `index` of the demo (ape's test accounts: the mnemonic's standard path)."""
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def meter_key(asset_id: int) -> str:
    """The demo meter's key for an asset (scripts/demo.py: keccak of "meter-<id>")."""
    return "0x" + keccak(text=f"meter-{asset_id}").hex()


@pytest.fixture
def sandbox(demo_chain: tuple[str, Path]) -> Iterator[str]:
    """The demo chain's RPC URL; everything sent during the test is undone afterwards."""
    url = demo_chain[0]
    snapshot = rpc(url, "evm_snapshot")
    try:
        yield url
    finally:
        assert rpc(url, "evm_revert", snapshot) is True


def bearer(settings: ApiSettings, address: str) -> dict[str, str]:
    """The Authorization header of a signed-in `address`."""
    token, _ = tokens.issue(settings, tokens.signing_key(settings), address=address.lower(),
                            chain_id=31337)  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


def send_raw(url: str, signer: LocalAccount, tx: dict[str, Any]) -> dict[str, Any]:
    """Signs `tx` locally (nonce and gas price from the node) and sends it; gives the receipt."""
    full = dict(tx, to=to_checksum_address(tx["to"]))
    full.setdefault("value", 0)
    full["nonce"] = int(rpc(url, "eth_getTransactionCount", signer.address, "pending"), 16)
    full["gasPrice"] = int(rpc(url, "eth_gasPrice"), 16)
    full["chainId"] = int(rpc(url, "eth_chainId"), 16)
    signed = signer.sign_transaction(full)
    tx_hash = rpc(url, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())
    deadline = time.monotonic() + 30
    while (receipt := rpc(url, "eth_getTransactionReceipt", tx_hash)) is None:
        assert time.monotonic() < deadline, f"{tx_hash} was not mined"
        time.sleep(0.02)  # anvil mines at once, but answers before the receipt is stored
    return dict(receipt)


def send(url: str, signer: LocalAccount, params: dict[str, Any]) -> dict[str, Any]:
    """Sends `eth_sendTransaction` params as the API gave them, like a wallet; asserts success."""
    assert params["from"].lower() == signer.address.lower()
    assert int(params["chainId"], 16) == int(rpc(url, "eth_chainId"), 16)
    tx = {"to": params["to"], "data": params["data"], "value": int(params["value"], 16),
          "gas": int(params["gas"], 16)}  # fmt: skip
    receipt = send_raw(url, signer, tx)
    assert receipt["status"] == "0x1", f"reverted on chain: {params}"
    return receipt


def send_steps(url: str, signer: LocalAccount, prepared: dict[str, Any]) -> list[dict[str, Any]]:
    """Sends every transaction step of a prepared action in order."""
    return [send(url, signer, s["params"]) for s in prepared["steps"] if s["kind"] == "transaction"]


def call(url: str, views: Views, signer: LocalAccount, contract: str, address: str,
         function: str, *args: Any) -> dict[str, Any]:  # fmt: skip
    """Sends a call the API has no action for (a faucet mint, a bare approval)."""
    spec = next(f for f in views.types[contract]["abi"]
                if f.get("name") == function and len(f["inputs"]) == len(args))  # fmt: skip
    types = [canonical_type(p) for p in spec["inputs"]]
    data = keccak(text=f"{function}({','.join(types)})")[:4] + eth_abi.encode(types, list(args))
    receipt = send_raw(url, signer, {"to": address, "data": data, "gas": 500_000})
    assert receipt["status"] == "0x1"
    return receipt


def chain_time(url: str) -> int:
    return int(rpc(url, "eth_getBlockByNumber", "latest", False)["timestamp"], 16)


def advance(url: str, seconds: int) -> None:
    """Moves the chain's clock forward and mines a block."""
    rpc(url, "evm_increaseTime", seconds)
    rpc(url, "evm_mine")


def reading_typed_data(oracle: str, reading: dict[str, Any]) -> dict[str, Any]:
    """What a meter signs (ProductionOracle: EIP712("EnergyProductionOracle", "1"))."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Reading": [
                {"name": "assetId", "type": "uint256"},
                {"name": "meter", "type": "address"},
                {"name": "periodStart", "type": "uint64"},
                {"name": "periodEnd", "type": "uint64"},
                {"name": "energyWh", "type": "uint256"},
            ],
        },
        "primaryType": "Reading",
        "domain": {
            "name": "EnergyProductionOracle",
            "version": "1",
            "chainId": 31337,
            "verifyingContract": oracle,
        },
        "message": reading,
    }


def signed_reading(key: str, oracle: str, *, asset_id: int, start: int, end: int, wh: int,
                   meter: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A reading body for `POST /meters/readings`, signed with `key` (the meter's own unless
    the test wants a forgery)."""
    reading = {"assetId": asset_id, "meter": meter or Account.from_key(key).address,
               "periodStart": start, "periodEnd": end, "energyWh": wh}  # fmt: skip
    signed = Account.sign_message(encode_typed_data(full_message=reading_typed_data(oracle, reading)),
                                  key)  # fmt: skip
    body = {k: str(v) if k in ("assetId", "energyWh") else v for k, v in reading.items()}
    return body | {"signature": "0x" + bytes(signed.signature).hex()}


@pytest.fixture
def readings_cleanup(demo_index: tuple[str, str]) -> Iterator[None]:
    """Forgets the meter readings a test stored in the demo's database."""
    yield
    with psycopg.connect(demo_index[0]) as conn:
        conn.execute("DELETE FROM api_meter_readings")
