"""Flows between the feed and the UI: market data, watchlist, formatting. No textual here."""
