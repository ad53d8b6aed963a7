"""Qt widgets and controllers."""
