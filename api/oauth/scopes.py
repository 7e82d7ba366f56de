"""The scopes an app can ask for: narrow, each naming what it reaches."""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "read:portfolio": "Read your holdings, claimable revenue, attributable energy and"
    " preferences (GET /me/portfolio, GET /me/preferences).",
    "read:history": "Read your purchases, claims, transfers, fills and votes (GET /me/history).",
    "read:statements": "Read your yearly account statements.",
    "write:preferences": "Change your display name, watchlist and notification settings"
    " (PUT /me/preferences).",
}
"""Every scope and what it lets an app do, as the consent screen and the docs show it. No scope
lets an app prepare transactions: those stay signed in the holder's own wallet."""


def parse(text: str | None) -> frozenset[str]:
    """The scopes of a space-separated `scope` parameter."""
    return frozenset((text or "").split())


def unknown(scopes: frozenset[str]) -> list[str]:
    """The scopes that are not ours, sorted."""
    return sorted(scopes - SCOPES.keys())


def text(scopes: frozenset[str] | set[str]) -> str:
    """The `scope` parameter of a set of scopes (sorted, space-separated)."""
    return " ".join(sorted(scopes))
