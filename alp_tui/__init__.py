"""alp-tui: a terminal dashboard for the ALP.COM exchange, with a built-in simulator."""

__version__ = "0.1.0"
