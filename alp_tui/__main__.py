"""``python -m alp_tui`` runs the same command line as ``alp-tui``."""

from alp_tui.cli import console_main

if __name__ == "__main__":
    console_main()
