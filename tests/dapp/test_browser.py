"""The dApp page in headless Chromium (Debian's, driven by playwright-core from npm) against the
real stack: a demo chain of its own, the indexer following it, the API serving the page. Two
investors and an operator use injected test wallets that sign with their anvil keys and behave as
MetaMask does on accounts and networks (`tests/dapp/wallet.mjs`); the scenarios are in
`tests/dapp/scenario.mjs`, screenshots go to `.artifacts/screenshots/`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from _stack import ROOT, Databases, api_process, demo_story, following, rpc, settings_for
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MNEMONIC = "test test test test test test test test test test test junk"
SHOTS = ROOT / ".artifacts" / "screenshots"
OPERATOR = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"  # anvil account 1: the demo's operator
ADMIN = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"  # anvil account 0: the platform admin


def anvil_keys(count: int = 40) -> dict[str, str]:
    """anvil's funded test accounts: lowercase address -> private key."""
    Account.enable_unaudited_hdwallet_features()
    found = {}
    for i in range(count):
        account = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        found[account.address.lower()] = "0x" + bytes(account.key).hex()
    return found


def oauth_client(url: str, admin_key: str) -> str:
    """A public OAuth client registered by the platform admin (signed in with its key), whose
    redirect URI is the API's own `/docs/oauth2-redirect` page; its id."""
    admin = Account.from_key(admin_key)
    template = requests.post(f"{url}/auth/nonce", timeout=5).json()["message_template"]
    message = template.replace("{address}", admin.address)
    signature = "0x" + bytes(admin.sign_message(encode_defunct(text=message)).signature).hex()
    token = requests.post(f"{url}/auth/verify", json={"message": message, "signature": signature},
                          timeout=5).json()["access_token"]  # fmt: skip
    answer = requests.post(f"{url}/oauth/clients", headers={"Authorization": f"Bearer {token}"},
                           json={"name": "Acme Tax Tool", "confidential": False,
                                 "redirect_uris": [f"{url}/docs/oauth2-redirect"],
                                 "scopes": ["read:portfolio", "read:history"]}, timeout=5)  # fmt: skip
    assert answer.status_code == 201, answer.text
    client_id: str = answer.json()["client_id"]
    return client_id


@dataclass(frozen=True)
class Site:
    """The platform as a browser reaches it."""

    url: str  # the API, which serves the page at /app/
    rpc_url: str  # the chain
    deployments: Path  # its deployments record


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str, redis_url: str
) -> Iterator[Site]:
    """The page over a writable demo chain of its own, indexed as it goes."""
    folder = tmp_path_factory.mktemp("dapp")
    databases = Databases(postgres_admin_url)
    with demo_story(folder) as rpc_url:
        database_url = databases.create()
        namespace = f"dapp-{uuid.uuid4().hex[:8]}"
        settings = settings_for(rpc_url, folder, redis_namespace=namespace, poll_interval=0.05)
        try:
            with following(settings, database_url, redis_url) as synced:
                synced()
                env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                       "REDIS_NAMESPACE": namespace, "RPC_URL": rpc_url,
                       "DEPLOYMENTS_DIR": str(folder)}  # fmt: skip
                process, url = api_process(env, folder / "api.log")
                try:
                    yield Site(url, rpc_url, folder / "31337.json")
                finally:
                    process.terminate()
                    process.wait(10)
        finally:
            databases.drop_all()


def test_the_page_is_served_with_its_wallet_config(site: Site) -> None:
    url, rpc_url = site.url, site.rpc_url
    page = requests.get(f"{url}/", timeout=5)
    assert page.ok and '<script type="module" src="js/main.js">' in page.text
    assert page.url == f"{url}/app/"
    module = requests.get(f"{url}/app/js/main.js", timeout=5)
    assert module.headers["content-type"].startswith("text/javascript")
    # No content hash in the modules' names: browsers revalidate them (a 304 when unchanged).
    assert module.headers["cache-control"] == "no-cache"
    again = requests.get(f"{url}/app/js/main.js", headers={"If-None-Match": module.headers["etag"]},
                         timeout=5)  # fmt: skip
    assert again.status_code == 304
    assert requests.get(f"{url}/dapp/config", timeout=5).json() == {
        "chain_id": 31337, "chain_name": "Local anvil", "rpc_url": rpc_url, "faucet": True,
    }  # fmt: skip


def test_investors_connect_sign_in_claim_trade_and_vote_in_a_real_browser(site: Site) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    url, rpc_url = site.url, site.rpc_url
    keys = anvil_keys()
    asset = "1"
    holders = requests.get(f"{url}/assets/{asset}/holders?limit=200", timeout=5).json()["data"]
    ours = [h for h in holders if h["account"].lower() in keys]
    seller = next(h for h in ours if int(h["claimable"]) > 0 and int(h["balance"]) >= 10)
    # An investor of the demo (not its admin, operators, treasury or meter admin) new to the asset;
    # it and the operator (who deposits revenue) are given stablecoins to pay with.
    buyer = next(a for a in list(keys)[4:-1] if a not in {h["account"].lower() for h in holders})
    stablecoin = json.loads(site.deployments.read_text())["contracts"]["MockStablecoin"]
    for account in (buyer, OPERATOR):
        mint = keccak(text="mint(address,uint256)")[:4] + encode(["address", "uint256"],
                                                                  [account, 10_000 * 10**6])  # fmt: skip
        rpc(rpc_url, "eth_sendTransaction", {"from": account, "to": stablecoin["address"],
                                             "data": "0x" + mint.hex()})  # fmt: skip
    shutil.rmtree(SHOTS, ignore_errors=True)
    env = dict(os.environ, APP_URL=url, RPC_URL=rpc_url, ASSET=asset, SHOTS=str(SHOTS),
               KEY_A=keys[seller["account"].lower()], KEY_B=keys[buyer],
               KEY_OPERATOR=keys[OPERATOR], CHROMIUM=CHROMIUM,
               OAUTH_CLIENT=oauth_client(url, keys[ADMIN]))  # fmt: skip
    done = subprocess.run(["node", "tests/dapp/scenario.mjs"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    print(done.stdout)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"
    assert "all browser scenarios passed" in done.stdout
    assert {p.name for p in SHOTS.glob("*.png")} >= {"assets.png", "portfolio.png", "asset.png",
                                                     "failure.png", "voted.png", "operator.png",
                                                     "bought-phone.png", "faucet.png",
                                                     "docs-docs.png", "docs-redoc.png",
                                                     "docs-graphql.png", "consent.png",
                                                     "certificates.png", "certificate-proof.png",
                                                     "apps.png"}  # fmt: skip


def test_a_holder_opens_prints_and_downloads_its_yearly_statement(site: Site) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium")
    keys = anvil_keys()
    holders = requests.get(f"{site.url}/assets/1/holders?limit=200", timeout=5).json()["data"]
    holder = next(h["account"].lower() for h in holders if h["account"].lower() in keys)
    head = rpc(site.rpc_url, "eth_getBlockByNumber", "latest", False)
    year = datetime.fromtimestamp(int(head["timestamp"], 16), UTC).year - 1  # a whole year
    env = dict(os.environ, APP_URL=site.url, RPC_URL=site.rpc_url, KEY=keys[holder],
               YEAR=str(year), SHOTS=str(SHOTS), CHROMIUM=CHROMIUM)  # fmt: skip
    done = subprocess.run(["node", "tests/dapp/statement.mjs"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    print(done.stdout)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"
    assert "all statement scenarios passed" in done.stdout
    assert (SHOTS / "statement-print.png").exists() and (SHOTS / "statement.pdf").exists()
