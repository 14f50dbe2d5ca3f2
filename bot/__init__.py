"""Wiring: configuration, start-up, channels, dispatch, rendering and the CLI."""
