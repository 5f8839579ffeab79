"""What the test suites share: waiting on a condition (:mod:`.wait`), the simulator
fixtures (:mod:`.sim`) and the pane harness (:mod:`.panes`).

Import it as ``tests.support`` (pytest puts the repository root on ``sys.path``: the
``pythonpath`` option in pyproject.toml); no test file edits ``sys.path``.
"""
