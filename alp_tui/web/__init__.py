"""The dashboard in a browser: ``alp-tui serve`` (textual-serve; one app process per tab).

Nothing here imports textual: the server only starts ``python -m alp_tui`` processes and
relays their terminal to xterm.js in the page.
"""
