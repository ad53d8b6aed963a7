"""Preferences and the account (API key) dialog."""
