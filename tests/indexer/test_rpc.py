"""The indexer's JSON-RPC client (`indexer.rpc`) over real HTTP: what a node answers becomes a
result or one of the indexer's errors, kept-alive connections survive a node that closes them, and
the URL's credentials, gzip and per-thread connections work as with requests. The node here is a
small HTTP server each test scripts; the happy path against anvil runs in every indexer test."""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from _stack import free_port

from indexer.exceptions import ConfigurationError, NodeUnavailable, RangeTooLarge, RpcError
from indexer.rpc import NodeTimeout, RpcClient

Answer = Callable[[BaseHTTPRequestHandler, Any], tuple[int, bytes, dict[str, str]]]


class Node:
    """A scripted node: `answer` turns each request's JSON into (status, body, headers)."""

    def __init__(self) -> None:
        self.answer: Answer = lambda _, request: (200, _results(request), {})
        self.requests: list[dict[str, str]] = []  # headers of each request
        self.peers: set[tuple[str, int]] = set()  # client addresses seen
        self.drop_next = False  # close the connection on the next request, without answering
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                node.requests.append(dict(self.headers))
                node.peers.add(self.client_address)
                if node.drop_next:
                    node.drop_next = False
                    self.close_connection = True
                    return
                status, content, headers = node.answer(self, body)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(content)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


def _results(request: Any) -> bytes:
    """Answers every call with its method's name as the result."""
    calls = request if isinstance(request, list) else [request]
    answers = [{"jsonrpc": "2.0", "id": c["id"], "result": c["method"]} for c in calls]
    return json.dumps(answers if isinstance(request, list) else answers[0]).encode()


@pytest.fixture
def node() -> Iterator[Node]:
    scripted = Node()
    yield scripted
    scripted.server.shutdown()
    scripted.server.server_close()


def test_a_call_and_a_batch_return_their_results_in_the_calls_order(node: Node) -> None:
    rpc = RpcClient(node.url)
    assert rpc.call("eth_chainId") == "eth_chainId"
    assert rpc.batch([("a", []), ("b", [1]), ("c", [])]) == ["a", "b", "c"]
    assert len(node.peers) == 1  # one kept-alive connection for both
    rpc.close()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_failing_node_is_unavailable(node: Node, status: int) -> None:
    node.answer = lambda _, __: (status, b"busy", {})
    with pytest.raises(NodeUnavailable, match=f"HTTP {status}"):
        RpcClient(node.url).call("eth_blockNumber")


def test_a_refusal_that_is_not_json_is_an_rpc_error_with_its_text(node: Node) -> None:
    node.answer = lambda _, __: (403, b"forbidden: bad API key", {})
    with pytest.raises(RpcError, match="bad API key"):
        RpcClient(node.url).call("eth_blockNumber")


def test_an_answer_that_is_not_json_is_unavailable(node: Node) -> None:
    node.answer = lambda _, __: (200, b"<html>maintenance</html>", {})
    with pytest.raises(NodeUnavailable, match="not JSON"):
        RpcClient(node.url).call("eth_blockNumber")


def test_a_range_the_node_finds_too_wide_is_told_apart(node: Node) -> None:
    error = {"code": -32005, "message": "query returned more than 10000 results"}
    node.answer = lambda _, r: (200, json.dumps({"id": r["id"], "error": error}).encode(), {})
    with pytest.raises(RangeTooLarge):
        RpcClient(node.url).get_logs(["0x" + "11" * 20], 0, 10)


def test_a_slow_node_times_out_after_the_timeout(node: Node) -> None:
    def slow(_: BaseHTTPRequestHandler, request: Any) -> tuple[int, bytes, dict[str, str]]:
        time.sleep(1.5)
        return 200, _results(request), {}

    node.answer = slow
    rpc = RpcClient(node.url, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(NodeTimeout, match=r"timed out after 0\.5 s"):
        rpc.call("eth_blockNumber")
    assert time.monotonic() - started < 1.2
    node.answer = lambda _, request: (200, _results(request), {})
    assert rpc.call("eth_blockNumber") == "eth_blockNumber"  # the next call starts afresh


def test_a_node_that_is_down_is_unavailable() -> None:
    with pytest.raises(NodeUnavailable, match="unreachable"):
        RpcClient(f"http://127.0.0.1:{free_port()}").call("eth_blockNumber")


def test_a_kept_alive_connection_the_node_closed_is_opened_again(node: Node) -> None:
    def then_close(
        handler: BaseHTTPRequestHandler, request: Any
    ) -> tuple[int, bytes, dict[str, str]]:
        handler.close_connection = True  # closes after answering, without saying so
        return 200, _results(request), {}

    node.answer = then_close
    rpc = RpcClient(node.url)
    assert [rpc.call("eth_blockNumber") for _ in range(3)] == ["eth_blockNumber"] * 3
    assert len(node.peers) == 3


def test_a_request_a_reused_connection_lost_unanswered_is_sent_once_more(node: Node) -> None:
    rpc = RpcClient(node.url)
    assert rpc.call("eth_chainId") == "eth_chainId"
    node.drop_next = True  # the kept-alive connection is open when the request goes out
    assert rpc.call("eth_blockNumber") == "eth_blockNumber"
    assert len(node.requests) == 3 and len(node.peers) == 2


def test_a_new_connection_lost_unanswered_is_not_sent_again(node: Node) -> None:
    node.drop_next = True
    with pytest.raises(NodeUnavailable, match="unreachable"):
        RpcClient(node.url).call("eth_sendRawTransaction", ["0x00"])
    assert len(node.requests) == 1


def test_a_redirect_is_a_configuration_error_naming_where_it_points(node: Node) -> None:
    node.answer = lambda _, __: (308, b"", {"Location": "https://node.example/rpc"})
    with pytest.raises(ConfigurationError, match=r"https://node\.example/rpc"):
        RpcClient(node.url).call("eth_blockNumber")


def test_threads_share_the_idle_connections_and_leave_none_behind(node: Node) -> None:
    rpc = RpcClient(node.url)
    for _ in range(20):  # one thread after another, as prefetchers come and go
        thread = threading.Thread(target=rpc.call, args=("eth_blockNumber",))
        thread.start()
        thread.join()
    assert len(node.peers) == 1
    assert len(rpc._idle) == 1
    rpc.close()
    assert rpc._idle == []


def test_a_gzip_answer_is_unpacked(node: Node) -> None:
    node.answer = lambda _, r: (200, gzip.compress(_results(r)), {"Content-Encoding": "gzip"})
    rpc = RpcClient(node.url)
    assert rpc.call("eth_getLogs", [{}]) == "eth_getLogs"
    assert node.requests[-1]["Accept-Encoding"] == "gzip"


def test_credentials_in_the_url_are_sent_as_basic_auth_and_the_path_is_kept(node: Node) -> None:
    paths = []

    def record(handler: BaseHTTPRequestHandler, request: Any) -> tuple[int, bytes, dict[str, str]]:
        paths.append(handler.path)
        return 200, _results(request), {}

    node.answer = record
    url = node.url.replace("http://", "http://reader:s%40cret@") + "/v2/key?network=main"
    RpcClient(url).call("eth_chainId")
    assert (
        node.requests[-1]["Authorization"] == "Basic " + base64.b64encode(b"reader:s@cret").decode()
    )
    assert paths == ["/v2/key?network=main"]


def test_concurrent_threads_each_get_a_connection(node: Node) -> None:
    rpc = RpcClient(node.url)
    started = threading.Barrier(3)

    def slow(_: BaseHTTPRequestHandler, request: Any) -> tuple[int, bytes, dict[str, str]]:
        time.sleep(0.2)  # the three requests overlap
        return 200, _results(request), {}

    node.answer = slow

    def work() -> None:
        started.wait()
        rpc.call("x")

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(node.requests) == 3
    assert len(node.peers) == 3
    assert len(rpc._idle) == 3
    rpc.close()


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8546", "127.0.0.1:8545", "http://",
                                 "http://127.0.0.1:99999"])  # fmt: skip
def test_a_url_that_is_not_http_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"must be http|bad port"):
        RpcClient(url)


def test_a_user_agent_is_sent(node: Node) -> None:
    RpcClient(node.url).call("eth_chainId")
    assert node.requests[-1]["User-Agent"] == "energy-coownership-indexer"
