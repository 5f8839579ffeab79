"""Small reusable widgets shared by panes."""
