"""The window's frame: main window, welcome page, tabs, status bar, event loop, crash reports."""
