"""The authorization server's policy as Authlib sees it, with literal inputs (no server): exact
redirect URIs, scopes within the client's, which client authenticates how, hashed secrets."""

from __future__ import annotations

import pytest

from api.oauth.models import Client, digest
from api.oauth.scopes import SCOPES, parse, text

CALLBACK = "https://tracker.example/callback"


def client(secret: str | None = "s3cret", **overrides: object) -> Client:
    values: dict[str, object] = {
        "client_id": "c1", "name": "Tracker", "secret_hash": None if secret is None else digest(secret),
        "redirect_uris": (CALLBACK,), "scopes": frozenset({"read:portfolio", "read:history"}),
        "grant_types": frozenset({"authorization_code", "refresh_token", "client_credentials"}),
        "rate_limit_per_minute": 6000,
    }  # fmt: skip
    values.update(overrides)
    return Client(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("uri", [CALLBACK + "x", CALLBACK[:-1], CALLBACK + "/",
                                 CALLBACK.upper(), "https://tracker.example/callback?next=/",
                                 "http://tracker.example/callback"])  # fmt: skip
def test_a_redirect_uri_matches_only_exactly(uri: str) -> None:
    assert client().check_redirect_uri(CALLBACK)
    assert not client().check_redirect_uri(uri)


def test_there_is_no_default_redirect_uri() -> None:
    assert client().get_default_redirect_uri() is None


def test_a_client_gets_only_scopes_it_was_registered_for() -> None:
    assert (
        client().get_allowed_scope("read:history read:portfolio") == "read:history read:portfolio"
    )
    assert client().get_allowed_scope("read:portfolio write:preferences") is None
    assert client().get_allowed_scope("") is None
    assert client().get_allowed_scope(None) is None


def test_confidential_clients_authenticate_with_their_secret_public_ones_with_none() -> None:
    confidential, public = client(), client(secret=None)
    assert confidential.check_client_secret("s3cret") and not confidential.check_client_secret("x")
    assert confidential.check_endpoint_auth_method("client_secret_basic", "token")
    assert not confidential.check_endpoint_auth_method("none", "token")
    assert public.check_endpoint_auth_method("none", "token")
    assert not public.check_client_secret("")
    assert confidential.secret_hash != "s3cret" and len(confidential.secret_hash or "") == 64


def test_a_public_client_has_no_client_credentials_and_nobody_has_implicit() -> None:
    assert client().check_grant_type("client_credentials")
    assert not client(secret=None).check_grant_type("client_credentials")
    assert not client().check_grant_type("password")
    assert not client().check_response_type("token")
    assert client().check_response_type("code")


def test_scopes_are_documented_and_parsed_as_sets() -> None:
    assert set(SCOPES) == {"read:portfolio", "read:history", "read:statements", "write:preferences"}
    assert parse("read:history  read:portfolio read:history") == {"read:history", "read:portfolio"}
    assert text({"read:portfolio", "read:history"}) == "read:history read:portfolio"
