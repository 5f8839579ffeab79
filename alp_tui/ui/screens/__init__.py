"""Full-screen and modal views: help, API health, error log."""
