"""The indexer's own /healthz, /readyz and metrics, and its log lines, on a real node and
database: `python -m indexer run --metrics-port` behind a node proxy that can refuse logs."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import requests
from _logs import log_documents
from _stack import (
    FaultyNode,
    Output,
    checkpoint,
    free_port,
    head,
    indexer_process,
    rpc,
    settings_for,
)
from prometheus_client.parser import text_string_to_metric_families


def _until(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def _status(url: str) -> int:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return 0


def _samples(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(requests.get(url, timeout=5).text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_readyz_is_503_while_the_index_lags_and_200_after_catching_up(
    ape_rpc_url: str, platform_deployments: Path, database_url: str
) -> None:
    node = FaultyNode(ape_rpc_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = indexer_process(
        settings_for(node.url, platform_deployments), database_url,
        env={"INDEXER_READY_MAX_LAG_BLOCKS": "5"}, extra=["--metrics-port", str(port)],
    )  # fmt: skip
    output = Output(process)
    try:
        _until(lambda: _status(f"{base}/healthz") == 200, "no /healthz")
        _until(lambda: _status(f"{base}/readyz") == 200, "never ready")
        assert checkpoint(database_url) >= head(ape_rpc_url) - 5

        samples = _samples(f"{base}/metrics")
        indexed = int(samples["indexer_indexed_block"][0][1])
        block = rpc(ape_rpc_url, "eth_getBlockByNumber", hex(indexed), False)
        assert samples["indexer_indexed_block_timestamp_seconds"][0][1] == int(
            block["timestamp"], 16
        )
        labels, value = samples["energy_build_info"][0]
        assert labels["service"] == "indexer" and labels["version"] and labels["revision"]
        assert value == 1
        assert samples["indexer_leader"][0][1] == 1
        assert "indexer_events_per_second" not in samples  # a rate is PromQL's job

        node.failing = {"eth_getLogs"}  # the node's head moves on, the index cannot follow
        rpc(ape_rpc_url, "anvil_mine", hex(20))
        _until(lambda: _status(f"{base}/readyz") == 503, "still ready while lagging")
        answer = requests.get(f"{base}/readyz", timeout=2)
        assert "lagging" in answer.text and "bound 5" in answer.text
        assert _status(f"{base}/healthz") == 200  # alive all the same: no restart for a lag
        assert _samples(f"{base}/metrics")["indexer_lag_blocks"][0][1] > 5

        node.failing.clear()
        _until(lambda: _status(f"{base}/readyz") == 200, "not ready after catching up")
        assert checkpoint(database_url) >= head(ape_rpc_url) - 5
    finally:
        process.terminate()
        process.wait(30)
        node.stop()
    time.sleep(0.2)  # the reader thread takes the last lines
    documents = log_documents(output.lines, "indexer")  # every line it printed is ECS JSON
    assert documents[0]["message"].startswith("indexing ")
    assert documents[0]["log"]["logger"] == "indexer.cli"
