"""A conversation tab: its page, message widgets, and the controller that renders its turns."""
