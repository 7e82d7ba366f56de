"""GraphQL documents: parsed once per text (the variables change, the document does not), and
the token limit still refuses a document however often it is sent."""

from __future__ import annotations

from typing import Any

from strawberry.extensions.parser_cache import _get_parse_cache

from api.graphql.limits import MAX_TOKENS
from api.graphql.schema import DOCUMENTS_CACHED, schema


def parses() -> int:
    """How many documents the API's parse cache has parsed (its misses) so far."""
    cached: Any = _get_parse_cache(DOCUMENTS_CACHED)  # an lru_cache, typed as a plain callable
    return int(cached.cache_info().misses)


def test_a_document_sent_again_is_not_parsed_again() -> None:
    document = "query Named($name: String!) { __type(name: $name) { name } }"
    first = schema.execute_sync(document, variable_values={"name": "Query"})
    parsed = parses()

    again = schema.execute_sync(document, variable_values={"name": "Holding"})

    assert first.data == {"__type": {"name": "Query"}}
    assert again.data == {"__type": {"name": "Holding"}}
    assert parses() == parsed


def test_a_document_over_the_token_limit_is_refused_every_time() -> None:
    document = "{ " + "__typename " * MAX_TOKENS + "}"

    answers = [schema.execute_sync(document) for _ in range(2)]

    for answer in answers:
        assert answer.data is None and answer.errors
        assert f"more than {MAX_TOKENS} tokens" in answer.errors[0].message
