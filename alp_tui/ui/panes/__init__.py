"""One pane per file; each renders data it is given and never does I/O."""
