"""Qt-free routing data: tiers, candidate pools, fallback policy."""
