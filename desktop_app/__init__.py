"""RouteChat: a desktop client for Eden AI smart routing."""

# The one place the version is written (pyproject reads it): no importlib.metadata at start-up.
__version__ = "0.1.0"

APP_NAME = "RouteChat"
APP_ID = "routechat"
