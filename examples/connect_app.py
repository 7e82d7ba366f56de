"""Connect an app to the platform with OAuth 2.0: register a client, run the authorization code
flow with PKCE, read the holder's portfolio, refresh, and revoke.

Against `make run` (the demo's test keys are public; never use them on a real network):

    .venv/bin/python examples/connect_app.py \\
        --admin-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80

registers a client as the platform admin (anvil account 0), then prints the authorization URL to
open in a browser: the dApp's consent page signs you in with your wallet; paste back the URL the
browser lands on. With `--holder-key`, the script consents itself, signing in with that key (as a
wallet would), so the whole flow runs unattended. With `--client-id` (and `--client-secret` for a
confidential client) it uses a client registered before.
"""

from __future__ import annotations

import json

import click
import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from eth_account import Account
from eth_account.messages import encode_defunct

CALLBACK = "http://127.0.0.1:8765/callback"  # a loopback redirect URI: nothing needs to listen


def sign_in(api: str, key: str) -> str:
    """The key's own access token: sign-in with Ethereum, as the dApp does with a wallet."""
    holder = Account.from_key(key)
    template = httpx.post(f"{api}/auth/nonce").raise_for_status().json()["message_template"]
    message = template.replace("{address}", holder.address)
    signature = "0x" + holder.sign_message(
        encode_defunct(text=message)
    ).signature.hex().removeprefix("0x")
    answer = httpx.post(f"{api}/auth/verify", json={"message": message, "signature": signature})
    token: str = answer.raise_for_status().json()["access_token"]
    return token


def register(api: str, admin_key: str) -> tuple[str, str]:
    """Registers a confidential client as a platform admin: (client id, secret shown once)."""
    answer = httpx.post(
        f"{api}/oauth/clients",
        headers={"Authorization": f"Bearer {sign_in(api, admin_key)}"},
        json={"name": "Example portfolio tracker", "redirect_uris": [CALLBACK],
              "scopes": ["read:portfolio", "read:history"]},
    ).raise_for_status().json()  # fmt: skip
    click.echo(f"registered client {answer['client_id']} (keep its secret: it is shown once)")
    return answer["client_id"], answer["client_secret"]


def consent(api: str, holder_key: str, authorization_url: str) -> str:
    """What the dApp's consent page does when the holder approves: the URL sent back."""
    started = httpx.get(authorization_url)
    if started.status_code != 302 or not started.headers["location"].startswith("/app/"):
        raise click.ClickException(f"the authorization request is refused: {started.text}")
    page = started.headers["location"]
    query = page.split("?", 1)[1]
    request = httpx.get(f"{api}/oauth/authorize/request?{query}").raise_for_status().json()
    click.echo(f"consenting for {request['client_name']}: {[s['name'] for s in request['scopes']]}")
    answer = httpx.post(f"{api}/oauth/authorize", json={"query": query, "approve": True},
                        headers={"Authorization": f"Bearer {sign_in(api, holder_key)}"})  # fmt: skip
    back: str = answer.raise_for_status().json()["redirect_to"]
    return back


@click.command()
@click.option("--api", default="http://127.0.0.1:8000", show_default=True)
@click.option("--client-id", help="A registered client (else --admin-key registers one).")
@click.option("--client-secret", help="Its secret (none for a public client).")
@click.option("--admin-key", help="A platform admin's key, to register a client.")
@click.option("--holder-key", help="Consent with this key instead of a browser.")
def main(api: str, client_id: str | None, client_secret: str | None, admin_key: str | None,
         holder_key: str | None) -> None:  # fmt: skip
    """Runs the authorization code flow with PKCE and reads the holder's portfolio."""
    if client_id is None:
        if admin_key is None:
            raise click.UsageError("give --client-id, or --admin-key to register a client")
        client_id, client_secret = register(api, admin_key)
    client = OAuth2Client(
        client_id=client_id, client_secret=client_secret, scope="read:portfolio",
        redirect_uri=CALLBACK, code_challenge_method="S256", base_url=api,
        token_endpoint_auth_method="client_secret_basic" if client_secret else "none",
    )  # fmt: skip
    verifier = generate_token(48)
    url, _state = client.create_authorization_url(f"{api}/oauth/authorize", code_verifier=verifier)
    if holder_key is not None:
        back = consent(api, holder_key, url)
    else:
        click.echo(f"Open this URL, connect your wallet, sign in and approve:\n\n{url}\n")
        back = click.prompt("Paste the URL your browser landed on (it will not load)")
    token = client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    click.echo(f"token for scope {token['scope']!r}, expires in {token['expires_in']} s")
    portfolio = client.get("/me/portfolio").raise_for_status().json()
    click.echo(json.dumps(portfolio["holdings"][:3], indent=2))
    client.refresh_token("/oauth/token")
    click.echo("refreshed (the old refresh token is spent)")
    client.revoke_token("/oauth/revoke", token=client.token["refresh_token"],
                        token_type_hint="refresh_token")  # fmt: skip
    click.echo(f"revoked: GET /me/portfolio now answers {client.get('/me/portfolio').status_code}")


if __name__ == "__main__":
    main()
