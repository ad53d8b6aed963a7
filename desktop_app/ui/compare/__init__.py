"""The comparison view (columns side by side, blind votes) and workload runs."""
