"""The Textual dashboard: app composition, panes, modals and styles."""
