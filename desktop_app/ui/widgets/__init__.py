"""Widgets and helpers with no knowledge of the app: theme, enum properties, selectors."""
