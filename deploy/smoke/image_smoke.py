"""`make image-smoke`: builds the container image with podman and runs the platform from it.

Against the machine's PostgreSQL (a scratch database) and Redis and an anvil of its own with the
demo deployed, it runs the image's three jobs as containers on the host network, each as it runs
in Kubernetes (read-only root filesystem, a tmpfs /tmp, every capability dropped):
`indexer migrate`, `indexer run` and the API. It checks that both `/readyz` turn 200, that a share
transfer reaches a WebSocket subscriber, that the containers do not run as root, that every log
line they print is ECS JSON (deploy/logging/log-line.schema.json) and that the API refuses to
start with `API_ENVIRONMENT=production` and no JWT secret. Prints the image size and the time.

Ports are free ones (never 8545, 8000 or 9101); set CONTAINERS_CONF to deploy/podman/containers.conf
on a machine like this one (the Makefile does). `--base-image` defaults to the Debian-built
localhost/python-base:3.11 (deploy/podman/base-image.sh makes it when missing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import requests
from eth_account import Account
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from _logs import log_documents  # noqa: E402
from _stack import Databases, demo_story, free_port, rpc  # noqa: E402

DATABASE = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Anvil's development keys (public): the demo's investor (account 21), who holds shares.
INVESTOR_KEY = "0xc511b2aa70776d4ff1d376e8537903dae36896132c90b91d52c1dfbae267cd8b"
RECIPIENT = "0x0000000000000000000000000000000000000b0b"
HARDENED = ["--network", "host", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "all",
            "--security-opt", "no-new-privileges"]  # fmt: skip


def podman(*args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], check=check, text=True, **kwargs)


def step(text: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {text}", err=True)


def until(condition: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise click.ClickException(f"timed out: {what}")
        time.sleep(0.5)


def status(url: str) -> int:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return 0


def build(image: str, base_image: str) -> None:
    if base_image.startswith("localhost/"):
        subprocess.run([str(ROOT / "deploy/podman/base-image.sh")], check=True,
                       env=dict(os.environ, BASE_IMAGE=base_image))  # fmt: skip
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip() or "unknown"  # fmt: skip
    command = ["build", "--format", "docker", "--network", "host", "--tag", image,
               "--build-arg", f"BASE_IMAGE={base_image}", "--build-arg", f"BUILD_REVISION={revision}"]  # fmt: skip
    bundle = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    if bundle and Path(bundle).is_file():  # a TLS-intercepting proxy: pip, uv and npm trust it
        command += ["--secret", f"id=ca-bundle,src={bundle}"]
    podman(*command, str(ROOT))


@contextmanager
def container(name: str, image: str, env: dict[str, str], *args: str,
              volumes: tuple[str, ...] = ()) -> Iterator[str]:  # fmt: skip
    """A detached container, removed afterwards (its logs are printed when the block fails)."""
    options = [f"--env={k}={v}" for k, v in env.items()] + [f"--volume={v}" for v in volumes]
    podman("run", "--detach", "--name", name, *HARDENED, *options, image, *args,
           stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        yield name
    except BaseException:
        podman("logs", "--tail", "40", name, check=False)
        raise
    finally:
        podman("rm", "--force", "--time", "10", name, check=False, stdout=subprocess.DEVNULL)


def logs_of(name: str) -> list[str]:
    done = podman("logs", name, capture_output=True)
    return (done.stdout + done.stderr).splitlines()


def transfer_share(rpc_url: str, api: str) -> None:
    """The demo investor sends one share of its first holding to another address."""
    investor = Account.from_key(INVESTOR_KEY).address
    holdings = requests.get(f"{api}/accounts/{investor}", timeout=10).json()["holdings"]
    token = holdings[0]["share_token"]
    data = "0xa9059cbb" + RECIPIENT[2:].rjust(64, "0") + hex(1)[2:].rjust(64, "0")
    rpc(rpc_url, "eth_sendTransaction", {"from": investor, "to": token, "data": data})


@click.command()
@click.option("--image", default="localhost/energy-coownership:smoke", show_default=True)
@click.option("--base-image", default="localhost/python-base:3.11", show_default=True)
@click.option("--no-build", is_flag=True, help="Use the image as it is.")
def main(image: str, base_image: str, no_build: bool) -> None:
    """Builds the image and runs migrate, the indexer and the API from it against a demo chain."""
    started = time.monotonic()
    if not no_build:
        step(f"building {image} on {base_image}")
        build(image, base_image)
    built = time.monotonic()
    run_id = uuid.uuid4().hex[:8]
    databases = Databases(DATABASE)
    deployments = Path(f"/tmp/image-smoke-{run_id}")
    deployments.mkdir()
    deployments.chmod(0o755)
    try:
        step("anvil with the demo story deployed (about a minute)")
        with demo_story(deployments) as rpc_url:
            for record in deployments.iterdir():
                record.chmod(0o644)  # read by the containers' UID
            database_url = databases.create()
            api_port, metrics_port = free_port(), free_port()
            env = {"RPC_URL": rpc_url, "DATABASE_URL": database_url, "REDIS_URL": REDIS,
                   "REDIS_NAMESPACE": f"smoke-{run_id}", "DEPLOYMENTS_DIR": "/deployments"}  # fmt: skip
            volumes = (f"{deployments}:/deployments:ro",)

            step("indexer migrate")
            podman("run", "--rm", *HARDENED, f"--env=DATABASE_URL={database_url}", image,
                   "indexer", "migrate")  # fmt: skip
            indexer_env = {**env, "INDEXER_METRICS_PORT": str(metrics_port),
                           "INDEXER_READY_MAX_LAG_BLOCKS": "5"}  # fmt: skip
            api_env = {
                **env,
                "API_PORT": str(api_port),
                "API_JWT_SECRET": uuid.uuid4().hex * 2,
                "API_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
            }
            indexer = f"smoke-indexer-{run_id}"
            api_name = f"smoke-api-{run_id}"
            with container(indexer, image, indexer_env, "indexer", "run", volumes=volumes), \
                    container(api_name, image, api_env, volumes=volumes):  # fmt: skip
                api = f"http://127.0.0.1:{api_port}"
                step("waiting for the indexer's and the API's /readyz")
                until(lambda: status(f"http://127.0.0.1:{metrics_port}/readyz") == 200,
                      "the indexer's /readyz")  # fmt: skip
                until(lambda: status(f"{api}/readyz") == 200, "the API's /readyz")

                step("a share transfer to a WebSocket subscriber")
                with connect(f"ws://127.0.0.1:{api_port}/ws", open_timeout=10) as ws:
                    ws.send(json.dumps({"op": "subscribe", "topics": ["events"]}))
                    while json.loads(ws.recv(timeout=10))["type"] != "subscribed":
                        pass
                    sent = time.monotonic()
                    transfer_share(rpc_url, api)
                    while True:
                        message = json.loads(ws.recv(timeout=30))
                        if (
                            message["type"] == "event"
                            and message["event"].get("event") == "Transfer"
                        ):
                            break
                    step(f"event received {1000 * (time.monotonic() - sent):.0f} ms after sending")

                for name in (indexer, api_name):
                    uid = podman("exec", name, "id", "-u", capture_output=True).stdout.strip()
                    if uid in ("", "0"):
                        raise click.ClickException(f"{name} runs as UID {uid!r}")
                step(f"containers run as UID {uid}")
                log_documents(logs_of(indexer), "indexer")
                log_documents(logs_of(api_name), "api")
                step("every log line is ECS JSON")

            step("the API without a JWT secret in production")
            refused = podman("run", "--rm", *HARDENED, "--env=API_ENVIRONMENT=production",
                             f"--env=DATABASE_URL={database_url}", image,
                             capture_output=True, check=False)  # fmt: skip
            if refused.returncode == 0 or "API_JWT_SECRET" not in refused.stderr:
                raise click.ClickException(f"the API did not refuse: {refused.stderr[-500:]}")
    finally:
        databases.drop_all()
        for record in deployments.iterdir():
            record.unlink()
        deployments.rmdir()
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image,
                      capture_output=True).stdout)  # fmt: skip
    click.echo(f"image-smoke ok image={image} size_mb={size / 1e6:.0f}"
               f" build_s={built - started:.0f} total_s={time.monotonic() - started:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
