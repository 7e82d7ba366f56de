"""The local chain of `make run`: anvil itself is started, so stopping it waits for its state."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx

from launcher.anvil import ANVIL, LocalChain


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_chain_is_anvil_itself_not_the_wrapper_that_exits_before_the_state_is_written() -> None:
    # npm's `.bin/anvil` is a Node script that exits on SIGTERM while anvil writes its state.
    assert ANVIL.read_bytes()[:2] != b"#!", ANVIL


def test_a_stopped_chain_has_written_its_whole_state_and_resumes_from_it(tmp_path: Path) -> None:
    state = tmp_path / "anvil-state.json"
    chain = LocalChain(_free_port(), state)
    chain.start()
    try:
        for _ in range(3):
            httpx.post(chain.url, json={"jsonrpc": "2.0", "id": 1, "method": "evm_mine"})
    finally:
        chain.stop()
    assert json.loads(state.read_text())["blocks"]  # whole JSON, as soon as stop() returned
    again = LocalChain(_free_port(), state)
    assert again.resumed
    again.start()
    try:
        head = httpx.post(again.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})
        assert int(head.json()["result"], 16) == 3
    finally:
        again.stop()
