"""Polling feed: schedules, backoff and data freshness. No textual import here."""
