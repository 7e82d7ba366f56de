"""Sign-in with Ethereum, access and refresh tokens, sign-out: each refusal with its reason.

Messages are signed with real keys (`eth_account`); the API runs over the indexed demo chain.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import jwt
import pytest
from _stack import rpc
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from fastapi.testclient import TestClient
from siwe import SiweMessage

from api.app import create_app
from api.auth import tokens
from api.settings import ApiSettings

CHAIN_ID = 31337


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def sign(account: LocalAccount, message: str) -> str:
    """The EIP-191 (personal_sign) signature of a message, as 0x hex."""
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex()


def new_nonce(client: TestClient) -> str:
    return str(client.post("/auth/nonce").json()["nonce"])


def message_for(client: TestClient, account: LocalAccount | str, **changes: Any) -> str:
    """A sign-in message that this API accepts unless `changes` say otherwise."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "domain": "testserver",
        "address": account if isinstance(account, str) else account.address,
        "statement": "Sign in to the energy co-ownership platform.",
        "uri": "http://testserver",
        "version": "1",
        "chain_id": CHAIN_ID,
        "nonce": changes.pop("nonce", None) or new_nonce(client),
        "issued_at": iso(now),
        "expiration_time": iso(now + timedelta(minutes=5)),
    }
    fields.update(changes)
    return SiweMessage(**fields).prepare_message()


def verify(client: TestClient, message: str, signature: str) -> Any:
    return client.post("/auth/verify", json={"message": message, "signature": signature})


def sign_in(client: TestClient, account: LocalAccount | None = None) -> dict[str, Any]:
    """Signs in as a dApp does (the server's template, personal_sign); the token pair."""
    account = account or Account.create()
    template = client.post("/auth/nonce").json()["message_template"]
    message = template.replace("{address}", account.address)
    answer = verify(client, message, sign(account, message))
    assert answer.status_code == 200, answer.text
    tokens_: dict[str, Any] = answer.json()
    return tokens_


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(answer: Any, status: int = 401) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    detail: str = answer.json()["detail"]
    return detail


# Sign-in.


def test_nonce_gives_everything_a_dapp_needs_to_build_the_message(client: TestClient) -> None:
    first, second = client.post("/auth/nonce").json(), client.post("/auth/nonce").json()

    assert first["nonce"].isalnum() and len(first["nonce"]) >= 8
    assert first["nonce"] != second["nonce"]
    assert (first["domain"], first["uri"], first["chain_id"]) == (
        "testserver", "http://testserver", CHAIN_ID
    )  # fmt: skip
    parsed = SiweMessage.from_message(first["message_template"].replace(
        "{address}", Account.create().address))  # fmt: skip
    assert (parsed.nonce, parsed.domain, parsed.chain_id) == (
        first["nonce"],
        "testserver",
        CHAIN_ID,
    )


def test_sign_in_then_me_answers_the_checksummed_address(client: TestClient) -> None:
    account = Account.create()
    pair = sign_in(client, account)

    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 900
    assert pair["address"] == account.address
    me = client.get("/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["address"] == account.address
    assert me.json()["chain_id"] == CHAIN_ID
    expires = datetime.fromisoformat(me.json()["expires_at"])
    assert abs((expires - datetime.now(UTC)).total_seconds() - 900) < 30


def test_a_replayed_message_is_refused_because_its_nonce_is_spent(client: TestClient) -> None:
    account = Account.create()
    message = message_for(client, account)
    assert verify(client, message, sign(account, message)).status_code == 200

    detail = refused(verify(client, message, sign(account, message)))

    assert "already used" in detail


def test_a_nonce_the_api_never_issued_is_refused(client: TestClient) -> None:
    account = Account.create()
    message = message_for(client, account, nonce="madeUpNonce123")

    assert "not issued by this API or has expired" in refused(
        verify(client, message, sign(account, message))
    )


def _now_plus(seconds: int) -> str:
    return iso(datetime.now(UTC) + timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"domain": "evil.example"}, "the message is for evil.example, this API signs in for testserver"),
        ({"uri": "https://testserver/app"}, "is not on this API's origin http://testserver"),
        ({"uri": "http://evil.example"}, "is not on this API's origin http://testserver"),
        ({"chain_id": 1}, "the message is for chain 1, this API serves chain 31337"),
        ({"scheme": "https"}, "the message is for scheme https, this API is served over http"),
        ({"issued_at": "@-120", "expiration_time": "@-60"}, "the message expired at"),
        ({"not_before": "@120"}, "the message is not valid before"),
        ({"issued_at": "@120", "expiration_time": "@300"}, "issued in the future"),
        ({"issued_at": "@-700", "expiration_time": None}, "more than 600 s ago"),
    ],
    ids=["domain", "uri-scheme", "uri-host", "chain", "scheme", "expired", "not-yet-valid",
         "issued-in-future", "issued-too-long-ago"],
)  # fmt: skip
def test_a_message_for_another_place_or_time_is_refused_with_the_reason(
    client: TestClient, changes: dict[str, Any], reason: str
) -> None:
    account = Account.create()
    times = {k: _now_plus(int(v[1:])) if isinstance(v, str) and v.startswith("@") else v
             for k, v in changes.items()}  # fmt: skip
    message = message_for(client, account, **times)

    assert reason in refused(verify(client, message, sign(account, message)))


@pytest.mark.parametrize(
    "changes",
    [{"uri": "http://evil.example@testserver"}, {"uri": "http://evil.example:pw@testserver/app"},
     {"uri": "http://@testserver"}, {"domain": "evil.example@testserver"}],
    ids=["uri-user", "uri-user-password", "uri-empty-user", "domain-user"],
)  # fmt: skip
def test_a_message_with_a_user_part_before_the_host_is_refused(
    client: TestClient, changes: dict[str, str]
) -> None:
    """A wallet may show `evil.example` as the site of `http://evil.example@testserver`."""
    account = Account.create()
    message = message_for(client, account, **changes)

    detail = refused(verify(client, message, sign(account, message)))

    assert "has a user part before '@'" in detail


def test_a_public_url_with_a_user_part_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="must not have a user part"):
        ApiSettings(public_url="http://evil.example@127.0.0.1:8000")


def test_the_same_message_without_the_fault_signs_in(client: TestClient) -> None:
    """The control of the test above: only the changed field made the difference."""
    account = Account.create()
    message = message_for(client, account, scheme="http", uri="http://testserver/app/page")

    assert verify(client, message, sign(account, message)).status_code == 200


def test_a_message_changed_after_signing_is_refused(client: TestClient) -> None:
    account = Account.create()
    message = message_for(client, account)
    signature = sign(account, message)
    tampered = message.replace("Sign in to", "Sign over all my assets to")

    detail = refused(verify(client, tampered, signature))

    assert f"not by {account.address}" in detail


def test_a_message_signed_by_another_account_is_refused(client: TestClient) -> None:
    victim, attacker = Account.create(), Account.create()
    message = message_for(client, victim)

    detail = refused(verify(client, message, sign(attacker, message)))

    assert f"the signature was made by {attacker.address}, not by {victim.address}" in detail


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda m: "hello", "the first line must be"),
        (lambda m: m.replace("Version: 1", "Version: 2"), "Version must be 1"),
        (lambda m: m.replace("\n", "\r\n"), "LF, not CRLF"),
        (lambda m: "\n".join(x for x in m.split("\n") if not x.startswith("Nonce")),
         "the Nonce: line is missing"),
        (lambda m: m.replace(m.split("\n")[1], m.split("\n")[1][:-1]),
         "the second line must be the 0x-prefixed address"),
        (lambda m: m.replace("Chain ID: 31337", "Chain ID: 0x7a69"), "Chain ID must be a decimal"),
        (lambda m: m.replace("URI: http://testserver", "URI: http://testserver/" + "%41" * 90),
         "line 6 is longer than 256 characters"),
        (lambda m: m + "\nExpiration Time: tomorrow", "check the layout"),
    ],
    ids=["not-a-message", "version", "crlf", "no-nonce", "address", "hex-chain-id", "long-line",
         "bad-optional-line"],
)  # fmt: skip
def test_a_malformed_message_is_422_with_what_is_wrong(
    client: TestClient, mangle: Any, reason: str
) -> None:
    account = Account.create()
    message = mangle(message_for(client, account))

    detail = refused(verify(client, message, sign(account, message)), 422)

    assert "not an EIP-4361 sign-in message" in detail
    assert reason in detail


def test_an_address_without_its_checksum_is_422(client: TestClient) -> None:
    account = Account.create()
    good = message_for(client, account)
    message = good.replace(account.address, account.address.lower())

    assert "EIP-55" in refused(verify(client, message, sign(account, message)), 422)


@pytest.mark.parametrize(
    ("signature", "reason"),
    [("0x1234", "65 bytes"), ("0xzz", "signature"), ("1234", "signature"), ("0x", "signature")],
)
def test_a_malformed_signature_is_422(client: TestClient, signature: str, reason: str) -> None:
    message = message_for(client, Account.create())

    assert reason in refused(verify(client, message, signature), 422)


def test_a_65_byte_signature_off_the_curve_is_refused(client: TestClient) -> None:
    message = message_for(client, Account.create())

    assert "not a valid ECDSA signature" in refused(verify(client, message, "0x" + "00" * 65))


# EIP-1271 contract wallets: runtime code that answers the magic value for one message hash only.


def _wallet_code(accepted_hash: bytes) -> str:
    # CALLDATALOAD(4) == hash ? return 0x1626ba7e << 224 : return 32 zero bytes
    return ("0x600435" + "7f" + accepted_hash.hex() + "14602d57" + "60206000f3" + "5b"
            + "631626ba7e60e01b60005260206000f3")  # fmt: skip


def _eip191(message: str) -> bytes:
    body = message.encode()
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode() + body)


def test_a_contract_wallet_signs_in_when_it_accepts_the_signature(
    client: TestClient, demo_chain: tuple[str, Path]
) -> None:
    wallet = Account.create().address
    message = message_for(client, wallet)
    rpc(demo_chain[0], "anvil_setCode", wallet, _wallet_code(_eip191(message)))

    answer = verify(client, message, "0x" + "ab" * 100)

    assert answer.status_code == 200, answer.text
    assert answer.json()["address"] == wallet


def test_a_contract_wallet_that_does_not_accept_the_signature_is_refused(
    client: TestClient, demo_chain: tuple[str, Path]
) -> None:
    wallet = Account.create().address
    message = message_for(client, wallet)
    rpc(demo_chain[0], "anvil_setCode", wallet, _wallet_code(_eip191("another message")))

    detail = refused(verify(client, message, "0x" + "ab" * 65))

    assert f"the contract wallet {wallet} does not accept this signature" in detail


ECHO_CODE = "0x366000600037366000f3"  # CALLDATACOPY(0, 0, CALLDATASIZE); RETURN(0, CALLDATASIZE)


def test_a_contract_that_echoes_its_calldata_is_not_a_wallet_that_accepts(
    client: TestClient, demo_chain: tuple[str, Path]
) -> None:
    """Its answer starts with the selector, which is the magic value: only the whole 32-byte word
    (magic value left-aligned, then zeros, nothing more) accepts."""
    wallet = Account.create().address
    message = message_for(client, wallet)
    rpc(demo_chain[0], "anvil_setCode", wallet, ECHO_CODE)

    detail = refused(verify(client, message, "0x" + "ab" * 65))

    assert f"the contract wallet {wallet} does not accept this signature" in detail


@pytest.mark.parametrize(
    "answer",
    ["631626ba7e60e01b60005260406000f3",  # the magic word, then 32 more bytes of zeros
     "631626ba7e60005260206000f3",  # the magic value right-aligned in the word
     "631626ba7e60e01b60005260046000f3",  # the 4 bytes alone
     "631626ba7e60e01b60011760005260206000f3"],  # the magic word with a nonzero last bit
    ids=["64-bytes", "right-aligned", "4-bytes", "dirty-padding"],
)  # fmt: skip
def test_a_wallet_answer_that_is_not_exactly_the_magic_word_is_refused(
    client: TestClient, demo_chain: tuple[str, Path], answer: str
) -> None:
    wallet = Account.create().address
    message = message_for(client, wallet)
    rpc(demo_chain[0], "anvil_setCode", wallet, "0x" + answer)

    detail = refused(verify(client, message, "0x" + "ab" * 65))

    assert "does not accept this signature" in detail


def test_sign_in_keeps_nonces_in_postgres_when_there_is_no_redis(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    settings = demo_settings.model_copy(update={"redis_url": None, "data_dir": tmp_path})
    account = Account.create()
    with TestClient(create_app(settings)) as no_redis:
        message = message_for(no_redis, account)
        assert verify(no_redis, message, sign(account, message)).status_code == 200

        assert "already used" in refused(verify(no_redis, message, sign(account, message)))
        unknown = message_for(no_redis, account, nonce="neverIssued99")
        assert "not issued" in refused(verify(no_redis, unknown, sign(account, unknown)))


# Access tokens.


@pytest.fixture
def claims(demo_settings: ApiSettings) -> dict[str, Any]:
    """The payload of a valid access token, to spoil one way per test."""
    now = int(time.time())
    return {"iss": demo_settings.jwt_issuer, "aud": demo_settings.jwt_audience,
           "sub": Account.create().address.lower(), "iat": now, "nbf": now, "exp": now + 600,
           "jti": uuid.uuid4().hex, "chain_id": CHAIN_ID}  # fmt: skip


def _secret(settings: ApiSettings) -> str:
    assert settings.jwt_secret is not None
    return settings.jwt_secret.get_secret_value()


def test_a_well_made_token_is_accepted(
    client: TestClient, demo_settings: ApiSettings, claims: dict[str, Any]
) -> None:
    """The control of the spoiled tokens below."""
    token = jwt.encode(claims, _secret(demo_settings), algorithm="HS256")

    assert client.get("/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ({"alg": "none"}, "not valid"),
        ({"key": "another-secret-of-at-least-thirty-two-bytes"}, "Signature verification failed"),
        ({"exp": -3600, "iat": -4000, "nbf": -4000}, "has expired"),
        ({"aud": "someone-else"}, "Audience doesn't match"),
        ({"iss": "someone-else"}, "Invalid issuer"),
        ({"drop": "jti"}, 'missing the "jti" claim'),
        ({"drop": "exp"}, 'missing the "exp" claim'),
        ({"drop": "sub"}, 'missing the "sub" claim'),
        ({"sub": "alice"}, "subject is not an address"),
        ({"chain_id": 1}, "issued for another chain"),
    ],
    ids=["alg-none", "wrong-key", "expired", "audience", "issuer", "no-jti", "no-exp", "no-sub",
         "not-an-address", "other-chain"],
)  # fmt: skip
def test_a_spoiled_access_token_is_refused_with_the_reason(
    client: TestClient, demo_settings: ApiSettings, claims: dict[str, Any],
    spoil: dict[str, Any], reason: str,
) -> None:  # fmt: skip
    payload = dict(claims)
    key: str | None = _secret(demo_settings)
    algorithm = "HS256"
    for name, value in spoil.items():
        if name == "alg":
            key, algorithm = None, value
        elif name == "key":
            key = value
        elif name == "drop":
            del payload[value]
        elif name in ("exp", "iat", "nbf"):
            payload[name] = int(time.time()) + value
        else:
            payload[name] = value
    # None is PyJWT's key for "none" (its stubs, with cryptography installed, say otherwise).
    token = jwt.encode(payload, cast(str, key), algorithm=algorithm)

    answer = client.get("/me", headers=bearer(token))

    assert reason in refused(answer)
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_no_token_is_refused(client: TestClient) -> None:
    assert "sign in first" in refused(client.get("/me"))


def test_a_token_issued_long_ago_has_expired(
    client: TestClient, demo_settings: ApiSettings
) -> None:
    key = _secret(demo_settings).encode()
    token, _ = tokens.issue(demo_settings, key, address=Account.create().address.lower(),
                            chain_id=CHAIN_ID, now=int(time.time()) - 2000)  # fmt: skip

    assert "has expired" in refused(client.get("/me", headers=bearer(token)))


# Refresh and sign-out.


def refresh(client: TestClient, token: str) -> Any:
    return client.post("/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_the_pair_and_spends_the_old_refresh_token(client: TestClient) -> None:
    account = Account.create()
    first = sign_in(client, account)

    second = refresh(client, first["refresh_token"])

    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert pair["access_token"] != first["access_token"]
    assert pair["address"] == account.address
    assert client.get("/me", headers=bearer(pair["access_token"])).json()["address"] == (
        account.address
    )
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_a_reused_refresh_token_ends_the_whole_session(client: TestClient) -> None:
    first = sign_in(client)
    second = refresh(client, first["refresh_token"]).json()

    detail = refused(refresh(client, first["refresh_token"]))

    assert "already used" in detail
    assert "revoked" in refused(refresh(client, second["refresh_token"]))
    assert "revoked" in refused(client.get("/me", headers=bearer(second["access_token"])))


def test_another_session_survives_the_end_of_one(client: TestClient) -> None:
    account = Account.create()
    kept, ended = sign_in(client, account), sign_in(client, account)
    refresh(client, ended["refresh_token"])
    refresh(client, ended["refresh_token"])  # reuse: ends that session only

    assert client.get("/me", headers=bearer(kept["access_token"])).status_code == 200
    assert refresh(client, kept["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_refused(client: TestClient) -> None:
    assert "unknown" in refused(refresh(client, "not-a-token-we-issued"))


def test_logout_revokes_the_access_token_and_its_refresh_token(client: TestClient) -> None:
    pair = sign_in(client)

    answer = client.post("/auth/logout", headers=bearer(pair["access_token"]))

    assert answer.status_code == 204
    assert "revoked" in refused(client.get("/me", headers=bearer(pair["access_token"])))
    assert "revoked" in refused(refresh(client, pair["refresh_token"]))


def test_logout_needs_a_token(client: TestClient) -> None:
    assert "sign in first" in refused(client.post("/auth/logout"))


def test_openapi_shows_the_bearer_scheme_on_protected_routes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/auth/logout"]["post"]["security"] == [{"HTTPBearer": []}]
    # Where an app's token may go too (OAuth 2.0), with the scope it needs.
    for path, method, scopes in (("/me", "get", []), ("/me/preferences", "put",
                                                     ["write:preferences"])):  # fmt: skip
        assert schema["paths"][path][method]["security"] == [{"HTTPBearer": []},
                                                             {"OAuth2": scopes}]  # fmt: skip
    flows = schemes["OAuth2"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert "security" not in schema["paths"]["/auth/nonce"]["post"]
    tx = [path for path in schema["paths"] if path.startswith("/tx/")]
    assert len(tx) == 18  # with /tx/market/invalidate (issue 12), /tx/certificates/* (issue 17)
    for path in tx:  # sign-in is optional there: none, or a bearer token
        assert schema["paths"][path]["post"]["security"] == [{"HTTPBearer": []}, {}], path


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Token abc", "Bearer", "Bearer   ", "", "bearer"],
    ids=["basic", "token", "bearer-alone", "bearer-blank", "empty", "lowercase-alone"],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("post", "/tx/claim", {"from": "0x" + "11" * 20, "asset_id": "1"}), ("get", "/me", None),
     ("post", "/auth/logout", None)],
    ids=["optional", "required", "logout"],
)  # fmt: skip
def test_an_authorization_header_that_is_not_a_bearer_token_is_401(
    client: TestClient, authorization: str, method: str, path: str, body: Any
) -> None:
    """A client that sends credentials meant to sign in: never served anonymously instead."""
    answer = client.request(method, path, json=body, headers={"Authorization": authorization})

    detail = refused(answer)
    assert "the Authorization header must be 'Bearer <access token" in detail
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_node_url_with_a_user_part_is_never_shown_to_the_page(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    """A loopback node's URL is offered to wallets, unless it carries a user part (a key)."""
    url = demo_settings.rpc_url.replace("http://", "http://user:secret-key@")
    settings = demo_settings.model_copy(update={"rpc_url": url, "data_dir": tmp_path})
    with TestClient(create_app(settings)) as keyed:
        assert keyed.get("/dapp/config").json()["rpc_url"] is None
    with TestClient(create_app(demo_settings)) as plain:
        assert plain.get("/dapp/config").json()["rpc_url"] == demo_settings.rpc_url
