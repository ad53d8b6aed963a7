"""RouteChat: a desktop client for Eden AI smart routing."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("routechat")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

APP_NAME = "RouteChat"
APP_ID = "routechat"
