"""Private preferences of the signed-in account: only ever its own, validated field by field."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from test_auth import bearer, sign_in


@pytest.fixture(scope="module")
def asset_ids(demo_index: tuple[str, str]) -> list[str]:
    """Ids of the demo's assets, as decimal strings."""
    with psycopg.connect(demo_index[0]) as connection:
        rows = connection.execute("SELECT asset_id FROM assets ORDER BY asset_id").fetchall()
    assert len(rows) >= 2
    return [str(row[0]) for row in rows]


VIEWER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # anvil account 3, EIP-55 spelling


def signed_in(client: TestClient) -> tuple[str, dict[str, str]]:
    account = Account.create()
    return account.address, bearer(sign_in(client, account)["access_token"])


def test_preferences_are_the_defaults_until_saved(client: TestClient) -> None:
    address, headers = signed_in(client)

    answer = client.get("/me/preferences", headers=headers)

    assert answer.status_code == 200
    assert answer.json() == {
        "address": address,
        "display_name": None,
        "watchlist": [],
        "notifications": {"email": None, "on_revenue": False, "on_proposal": False,
                          "on_fill": False},
        "statement_viewers": [],
        "updated_at": None,
    }  # fmt: skip


def test_preferences_saved_are_read_back(client: TestClient, asset_ids: list[str]) -> None:
    address, headers = signed_in(client)
    preferences = {
        "display_name": "  Solar Sam ",
        "watchlist": [asset_ids[1], asset_ids[0], asset_ids[1]],
        "notifications": {"email": "Sam@Example.ORG", "on_revenue": True, "on_fill": True},
    }

    saved = client.put("/me/preferences", headers=headers, json=preferences)

    assert saved.status_code == 200, saved.text
    read = client.get("/me/preferences", headers=headers).json()
    assert read == saved.json()
    assert read["address"] == address
    assert read["display_name"] == "Solar Sam"
    assert read["watchlist"] == [asset_ids[1], asset_ids[0]]  # kept in order, once each
    assert read["notifications"] == {"email": "Sam@example.org", "on_revenue": True,
                                     "on_proposal": False, "on_fill": True}  # fmt: skip
    assert read["updated_at"] is not None


def test_put_replaces_the_preferences_whole(client: TestClient, asset_ids: list[str]) -> None:
    _, headers = signed_in(client)
    client.put("/me/preferences", headers=headers,
               json={"display_name": "Sam", "watchlist": [asset_ids[0]]})  # fmt: skip

    client.put("/me/preferences", headers=headers, json={"notifications": {"on_proposal": True}})

    read = client.get("/me/preferences", headers=headers).json()
    assert (read["display_name"], read["watchlist"]) == (None, [])
    assert read["notifications"]["on_proposal"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "x" * 65}, "display_name"),
        ({"display_name": "tab\there"}, "display_name"),
        ({"watchlist": [str(n) for n in range(101)]}, "watchlist"),
        ({"watchlist": ["abc"]}, "watchlist.0"),
        ({"watchlist": ["-1"]}, "watchlist.0"),
        ({"watchlist": ["1", "2.5"]}, "watchlist.1"),
        ({"watchlist": [str(2**256)]}, "watchlist.0"),
        ({"watchlist": "1"}, "watchlist"),
        ({"notifications": {"email": "not-an-email"}}, "notifications.email"),
        ({"notifications": {"email": "a@b"}}, "notifications.email"),
        ({"notifications": {"on_fill": "yes"}}, "notifications.on_fill"),
        ({"notifications": {"on_vote": True}}, "notifications.on_vote"),
        ({"colour": "green"}, "colour"),
        ({"statement_viewers": [VIEWER.lower()]}, "statement_viewers.0"),
        ({"statement_viewers": [VIEWER.replace("F79b", "f79b")]}, "statement_viewers.0"),
        ({"statement_viewers": ["0x" + "0" * 40]}, "statement_viewers.0"),
        ({"statement_viewers": [VIEWER[:-1]]}, "statement_viewers.0"),
        ({"statement_viewers": [Account.create().address for _ in range(11)]},
         "statement_viewers"),
    ],
    ids=["name-too-long", "name-control-char", "too-many-assets", "asset-not-a-number",
         "asset-negative", "asset-fraction", "asset-over-uint256", "watchlist-not-a-list",
         "email", "email-without-dot", "boolean-as-text", "unknown-notification", "unknown-field",
         "viewer-without-checksum", "viewer-bad-checksum", "viewer-zero", "viewer-short",
         "too-many-viewers"],
)  # fmt: skip
def test_invalid_preferences_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    _, headers = signed_in(client)

    answer = client.put("/me/preferences", headers=headers, json=body)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert client.get("/me/preferences", headers=headers).json()["updated_at"] is None


def test_a_watchlist_naming_an_asset_that_does_not_exist_is_refused(
    client: TestClient, asset_ids: list[str]
) -> None:
    _, headers = signed_in(client)

    answer = client.put("/me/preferences", headers=headers,
                        json={"watchlist": [asset_ids[0], "999999"]})  # fmt: skip

    assert answer.status_code == 422
    assert answer.json()["detail"] == "watchlist: no asset 999999 on chain 31337"


def test_another_account_never_sees_or_changes_your_preferences(client: TestClient) -> None:
    owner, owner_headers = signed_in(client)
    client.put("/me/preferences", headers=owner_headers, json={"display_name": "Owner"})
    other, other_headers = signed_in(client)

    theirs = client.get("/me/preferences", headers=other_headers).json()
    client.put("/me/preferences", headers=other_headers, json={"display_name": "Intruder"})

    assert (theirs["address"], theirs["display_name"]) == (other, None)
    mine = client.get("/me/preferences", headers=owner_headers).json()
    assert (mine["address"], mine["display_name"]) == (owner, "Owner")


def test_preferences_need_a_token(client: TestClient) -> None:
    assert client.get("/me/preferences").status_code == 401
    assert client.put("/me/preferences", json={}).status_code == 401


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/me/preferences", "GET, OPTIONS, PUT"), ("/tx/buy", "OPTIONS, POST"),
     ("/assets/1", "GET, OPTIONS")],
)  # fmt: skip
def test_options_and_405_list_every_method_of_the_path(
    client: TestClient, path: str, allowed: str
) -> None:
    """`/me/preferences` is two routes (GET and PUT): `Allow` names both."""
    options = client.options(path)
    wrong = client.patch(path)

    assert options.status_code == 204 and options.headers["allow"] == allowed
    assert wrong.status_code == 405 and wrong.headers["allow"] == allowed
    assert wrong.json()["detail"] == f"PATCH is not allowed here; use {allowed}"
