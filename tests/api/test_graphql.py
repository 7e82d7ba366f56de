"""GraphQL over the demo: the same figures as REST (the same query functions answer both), the
depth and cost limits, refused input, and introspection."""

from __future__ import annotations

import re
from typing import Any

import pytest
from _stack import walk
from eth_utils import to_checksum_address
from fastapi.testclient import TestClient

from api.app import create_app
from api.graphql import context
from api.graphql.relations import HOLDING_ASSET_FIELDS
from api.settings import ApiSettings

# Fields that lead to other objects (resolved on demand; REST has no such key).
RELATIONS = {("Holding", "asset"), ("Holder", "portfolio"), ("Proposal", "votes")}
JSON_FIELDS = {"args"}  # free-form objects, passed through as they are
TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }"
DEEP = """{ asset(assetId: "1") { holders { data { portfolio { holdings { asset { holders {
    data { portfolio { holdings { assetId } } } } } } } } } } }"""


def gql(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def data(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = gql(client, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def selection(client: TestClient, type_name: str) -> str:
    """Every field of a type without arguments, nested objects expanded (relations left out)."""
    found = data(
        client, f'{{ __type(name: "{type_name}") {{ fields {{ name args {{ name }} type {{'
        f" {TYPE_REF} }} }} }} }}",
    )["__type"]["fields"]  # fmt: skip
    parts = []
    for field in found:
        if field["args"] or (type_name, field["name"]) in RELATIONS:
            continue
        named = field["type"]
        while named.get("ofType"):
            named = named["ofType"]
        nested = f" {{ {selection(client, named['name'])} }}" if named["kind"] == "OBJECT" else ""
        parts.append(field["name"] + nested)
    return " ".join(parts)


def snake(value: Any) -> Any:
    """GraphQL's camelCase names as REST's snake_case (recursively; not inside JSON values)."""
    if isinstance(value, dict):
        return {
            re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): v if k in JSON_FIELDS else snake(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [snake(item) for item in value]
    return value


@pytest.fixture(scope="module")
def accounts(client: TestClient) -> list[str]:
    """Holders of every asset and the demo's sellers (lowercase)."""
    found = {h["account"].lower() for h in walk(client, "/assets/1/holders", limit=50)}
    found |= {h["account"].lower() for h in walk(client, "/assets/4/holders", limit=50)}
    found |= {f["seller"].lower() for f in walk(client, "/market/fills", limit=50)}
    return sorted(found)


def test_portfolios_are_the_same_via_graphql_as_via_rest(
    client: TestClient, accounts: list[str]
) -> None:
    fields = selection(client, "Portfolio")
    query = (
        f"query($address: Address!) {{ account(address: $address) {{ portfolio {{ {fields} }} }} }}"
    )
    for account in accounts:
        rest = client.get(f"/accounts/{account}").json()
        via_graphql = data(client, query, {"address": account})["account"]["portfolio"]
        assert snake(via_graphql) == rest
    assert len(accounts) > 10
    assert any(len(client.get(f"/accounts/{a}").json()["holdings"]) > 1 for a in accounts)


def test_a_portfolio_without_its_listings_has_the_same_holdings(
    client: TestClient, accounts: list[str]
) -> None:
    query = ("query($a: Address!) { account(address: $a) { portfolio {"
             " holdings { assetId balance claimable energyWh } } } }")  # fmt: skip
    for account in accounts:
        rest = client.get(f"/accounts/{account}").json()["holdings"]
        found = data(client, query, {"a": account})["account"]["portfolio"]["holdings"]
        assert snake(found) == [
            {k: h[k] for k in ("asset_id", "balance", "claimable", "energy_wh")} for h in rest
        ]


def test_a_holdings_asset_is_loaded_only_for_fields_the_holding_does_not_carry(
    client: TestClient, accounts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[list[int]] = []
    real = context.get_assets

    async def counted(*args: Any, asset_ids: list[int], **kwargs: Any) -> Any:
        loads.append(asset_ids)
        return await real(*args, asset_ids=asset_ids, **kwargs)

    monkeypatch.setattr(context, "get_assets", counted)
    shared = "__typename assetId name symbol status shareToken"
    # (selection, fragments, whether the asset's record is loaded): only fields the holding
    # carries, directly or through fragments, are answered from the holding; any other field
    # loads the record, even one that `@include` leaves out of the answer.
    cases = [(f"asset {{ {shared} }}", "", False),
             ("asset { ...A }", f"fragment A on AssetDetail {{ {shared} }}", False),
             (f"asset {{ ... on AssetDetail {{ {shared} }} }}", "", False),
             (f"asset {{ {shared} holderCount @include(if: false) }}", "", True)]  # fmt: skip

    def holdings(fields: str, fragments: str, account: str) -> list[dict[str, Any]]:
        query = ("query($a: Address!) { account(address: $a) { portfolio {"
                 f" holdings {{ assetId {fields} }} }} }} }} {fragments}")  # fmt: skip
        found = data(client, query, {"a": account})["account"]["portfolio"]["holdings"]
        assert isinstance(found, list)
        return found

    for account in accounts:
        loads.clear()
        full = holdings(f"asset {{ {shared} holderCount }}", "", account)
        assert bool(loads) == bool(full)
        for holding in full:
            assert isinstance(holding["asset"].pop("holderCount"), int)
        for fields, fragments, loaded in cases:
            loads.clear()
            assert holdings(fields, fragments, account) == full
            assert bool(loads) == (loaded and bool(full)), fields
    assert any(len(holdings(f"asset {{ {shared} }}", "", a)) > 1 for a in accounts)


def test_the_fields_a_holding_answers_for_its_asset_have_the_assets_types(
    client: TestClient,
) -> None:
    def types(name: str) -> dict[str, Any]:
        found = data(client, f'{{ __type(name: "{name}") {{ fields {{ name type {{ {TYPE_REF} }}'
                     " } } }")["__type"]["fields"]  # fmt: skip
        return {field["name"]: field["type"] for field in found}

    holding, asset = types("Holding"), types("AssetDetail")
    for name in HOLDING_ASSET_FIELDS.keys() - {"__typename"}:
        assert holding[name] == asset[name], name


def test_uint256_are_strings_and_addresses_are_checksummed(
    client: TestClient, accounts: list[str]
) -> None:
    holding = data(
        client,
        f'{{ account(address: "{accounts[0]}") {{ address portfolio {{ holdings {{ balance'
        " claimable energyWh shareToken } } } }",
    )["account"]  # fmt: skip

    assert holding["address"] == to_checksum_address(accounts[0])
    first = holding["portfolio"]["holdings"][0]
    assert all(isinstance(first[name], str) and first[name].isdigit()
               for name in ("balance", "claimable", "energyWh"))  # fmt: skip
    assert first["shareToken"] == to_checksum_address(first["shareToken"])


def test_asset_list_pages_are_the_same_via_graphql_as_via_rest(client: TestClient) -> None:
    fields = selection(client, "AssetSummary")
    query = (
        "query($cursor: String, $sort: String!) { assets(limit: 2, cursor: $cursor, sort: $sort)"
        f" {{ data {{ {fields} }} nextCursor }} }}"
    )
    for sort in ("registered", "-energy"):
        cursor, pages = None, 0
        while True:
            params = {"limit": 2, "sort": sort, **({"cursor": cursor} if cursor else {})}
            rest = client.get("/assets", params=params).json()
            page = data(client, query, {"cursor": cursor, "sort": sort})["assets"]
            assert snake(page) == rest
            pages += 1
            cursor = rest["next_cursor"]
            if cursor is None:
                break
        assert pages == 3


def test_asset_detail_and_nested_lists_match_rest(client: TestClient) -> None:
    fields = selection(client, "AssetDetail")
    holder_fields = selection(client, "Holder")
    asset = data(
        client, f'{{ asset(assetId: "1") {{ {fields} holders(limit: 200) {{ data {{'
        f" {holder_fields} }} nextCursor }} }} }}",
    )["asset"]  # fmt: skip
    holders = asset.pop("holders")

    assert snake(asset) == client.get("/assets/1").json()
    assert snake(holders) == client.get("/assets/1/holders", params={"limit": 200}).json()


def test_history_pages_are_the_same_via_graphql_as_via_rest(
    client: TestClient, accounts: list[str]
) -> None:
    fields = selection(client, "HistoryItem")
    query = (
        "query($a: Address!, $cursor: String, $kinds: [String!]) { account(address: $a) {"
        f" history(limit: 3, cursor: $cursor, kinds: $kinds) {{ data {{ {fields} }} nextCursor }}"
        " } }"
    )
    for kinds in (None, ["claim", "market_sell"]):
        rest = walk(client, f"/accounts/{accounts[0]}/history",
                    {"kind": kinds} if kinds else None, limit=3)  # fmt: skip
        items, cursor = [], None
        while True:
            page = data(client, query, {"a": accounts[0], "cursor": cursor, "kinds": kinds})
            items += page["account"]["history"]["data"]
            cursor = page["account"]["history"]["nextCursor"]
            if cursor is None:
                break
        assert snake(items) == rest and rest


def test_a_too_deep_query_is_refused_with_the_limit_in_the_message(client: TestClient) -> None:
    body = gql(client, DEEP)

    assert body["data"] is None
    assert any(
        "'anonymous' exceeds maximum operation depth of 8" in error["message"]
        for error in body["errors"]
    )


def test_a_too_costly_query_is_refused_with_its_cost(client: TestClient) -> None:
    body = gql(
        client, "{ assets(limit: 200) { data { holders(limit: 200) { data { balance } } } } }"
    )

    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"] == {"code": "too-complex", "cost": 40401, "limit": 500}
    assert "costs 40401, more than the limit of 500" in error["message"]
    cheap = gql(client, "{ assets(limit: 2) { data { holders(limit: 2) { data { balance } } } } }")
    assert "errors" not in cheap


def test_fragments_cost_what_their_fields_cost_wherever_they_are_spread(
    client: TestClient,
) -> None:
    spread = gql(
        client, "fragment H on HolderPage { data { balance } } fragment A on AssetSummary {"
        " holders(limit: 200) { ...H } } { assets(limit: 200) { data { ...A } } }",
    )  # fmt: skip
    # Ten levels of fragments spreading the next one twice: 2**10 expansions, costed once each.
    chain = " ".join(
        f"fragment F{i} on AssetSummary {{ ...F{i + 1} ...F{i + 1} }}" for i in range(10)
    )
    doubled = gql(
        client, chain + " fragment F10 on AssetSummary { holders(limit: 1) { data { balance } } }"
        " { assets(limit: 1) { data { ...F0 } } }",
    )  # fmt: skip

    assert spread["errors"][0]["extensions"]["cost"] == 40401
    assert doubled["errors"][0]["extensions"]["cost"] == 1 + (1 + 2**10 * (1 + 1 * 1))


def test_limits_follow_the_settings(demo_settings: ApiSettings) -> None:
    settings = demo_settings.model_copy(
        update={"graphql_max_depth": 2, "graphql_max_complexity": 3}
    )
    with TestClient(create_app(settings)) as strict:
        deep = gql(strict, "{ account(address: \"" + "0x" + "11" * 20 + "\") { portfolio {"
                   " holdings { balance } } } }")  # fmt: skip
        costly = gql(strict, "{ assets(limit: 3) { data { assetId } } }")
        fine = gql(strict, "{ assets(limit: 1) { data { assetId } } }")

    assert "exceeds maximum operation depth of 2" in deep["errors"][0]["message"]
    assert costly["errors"][0]["extensions"]["code"] == "too-complex"
    assert "errors" not in fine


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("0x8626F6940e2eb28930eFb4CeF49B2d1F2C9C1199", "bad EIP-55 checksum; did you mean"),
        ("0x1234", "0x followed by 40 hexadecimal digits"),
    ],
)
def test_an_invalid_address_is_refused_with_the_reason(
    client: TestClient, address: str, reason: str
) -> None:
    inline = gql(client, f'{{ account(address: "{address}") {{ address }} }}')
    variable = gql(
        client, "query($a: Address!) { account(address: $a) { address } }", {"a": address}
    )

    for body in (inline, variable):
        assert body.get("data") is None
        assert reason in body["errors"][0]["message"]


def test_bad_cursors_page_sizes_and_choices_are_clear_errors(client: TestClient) -> None:
    cursor = gql(client, '{ assets(cursor: "bm90LWEtY3Vyc29y") { nextCursor } }')
    size = gql(client, "{ prices(limit: 0) { nextCursor } }")
    sort = gql(client, '{ assets(sort: "cheapest") { nextCursor } }')
    amount = gql(client, '{ asset(assetId: "-1") { name } }')

    assert cursor["errors"][0]["message"].startswith("invalid cursor")
    assert cursor["errors"][0]["extensions"]["code"] == "invalid-cursor"
    assert size["errors"][0]["message"] == "limit is between 1 and 200"
    assert sort["errors"][0]["message"].startswith("sort is one of registered, -registered")
    assert "decimal string" in amount["errors"][0]["message"]


def test_rest_and_graphql_refuse_contradicting_filters_with_the_same_reason(
    client: TestClient,
) -> None:
    window = client.get("/assets/1/production", params={"start": 20, "end": 10})
    blocks = client.get("/events", params={"from_block": 9, "to_block": 3})
    graphql_window = gql(
        client, '{ asset(assetId: "1") { productionReports(start: 20, end: 10) { nextCursor } } }'
    )
    graphql_blocks = gql(client, "{ events(fromBlock: 9, toBlock: 3) { nextCursor } }")

    for rest, graphql in ((window, graphql_window), (blocks, graphql_blocks)):
        problem, error = rest.json(), graphql["errors"][0]
        assert rest.status_code == 400 and problem["type"].endswith("/invalid-range")
        assert error["message"] == problem["detail"]
        assert error["extensions"] == {"code": "invalid-range", "status": 400}
    assert window.json()["detail"] == "start must be before end"


def test_rest_and_graphql_refuse_a_malformed_country_through_the_same_model(
    client: TestClient,
) -> None:
    rest = client.get("/assets", params={"country": "PRT"})
    graphql = gql(client, '{ assets(country: "PRT") { nextCursor } }')

    assert rest.status_code == 422 and rest.json()["errors"][0]["field"] == "query.country"
    assert graphql["errors"][0]["extensions"]["code"] == "invalid-request"
    assert graphql["errors"][0]["message"].startswith("country: ")
    assert rest.json()["errors"][0]["reason"] in graphql["errors"][0]["message"]


def test_introspection_describes_the_read_model(client: TestClient) -> None:
    schema = data(client, "{ __schema { queryType { fields { name } } } }")["__schema"]
    scalar = data(client, '{ __type(name: "UInt256") { kind description } }')["__type"]

    assert {f["name"] for f in schema["queryType"]["fields"]} == {
        "status", "account", "assets", "asset", "listings", "fills", "prices", "proposals",
        "proposal", "events",
    }  # fmt: skip
    assert scalar["kind"] == "SCALAR" and "decimal string" in scalar["description"]


def test_market_governance_events_and_status_match_rest(client: TestClient) -> None:
    status = data(client, f"{{ status {{ {selection(client, 'ChainStatus')} }} }}")["status"]
    assert snake(status) == client.get("/status").json()
    for name, path, field in (
        ("Listing", "/market/listings?status=all&limit=200", 'listings(status: "all", limit: 200)'),
        ("Fill", "/market/fills?limit=200", "fills(limit: 200)"),
        ("AssetPrice", "/market/prices?limit=200", "prices(limit: 200)"),
        ("Proposal", "/governance/proposals?limit=200", "proposals(limit: 200)"),
        ("LogEvent", "/events?limit=100&order=desc", 'events(limit: 100, order: "desc")'),
    ):
        page = data(client, f"{{ {field} {{ data {{ {selection(client, name)} }} nextCursor }} }}")
        key = field.split("(")[0]
        assert snake(page[key]) == client.get(path).json(), name
        assert page[key]["data"], name
