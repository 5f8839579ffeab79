"""Paper trading: the live market's prices, a local account's money.

``alp-tui --paper`` starts a :class:`~alp_tui.paper.server.PaperServer` on loopback and runs
the dashboard against it unchanged, as ``--demo`` does with the simulator:

- public GETs (pairs, currencies, ticker, order book, charts, trades, time, rates) are
  forwarded to the configured exchange, cached for a second (:mod:`.gateway`);
- everything private is answered by the simulator's exchange (engine, ledger, margin desk)
  over a paper account whose listing is the upstream's (:mod:`.listing`, :mod:`.account`);
- the upstream book is mirrored into that exchange by a market account, and upstream trade
  prints cross the paper account's resting orders (:mod:`.mirror`), driven every second
  for the pairs that matter by :mod:`.driver`, which also feeds live last prices (stops,
  margin valuation and liquidation) and steps interest and expiry;
- the WebSocket feed serves the paper account's events, with the upstream feed's market
  frames relayed into the same connection (:mod:`.relay`).

Nothing private ever goes upstream: the upstream client is built without credentials.
"""
