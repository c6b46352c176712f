"""Parvis: the self-hosted platform for community managers."""

__version__ = "0.1.0"
