"""Qt-free services: chat turns, comparison, statistics, budgets."""
