"""The history sidebar: list, search, rename, pin, delete, export and import."""
