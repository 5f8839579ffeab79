"""The ALP-compatible exchange simulator: engine, ledger, margin, market life and HTTP app.

No textual import here.
"""
