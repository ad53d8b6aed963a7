"""Typed settings, platform paths and atomic saves."""
