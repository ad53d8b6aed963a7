"""Qt-free durable history in SQLite."""
