"""Signals the connectors send, so that the apps built on them react without the connectors
knowing them (the layers are one-way)."""

from django.dispatch import Signal

# Sent inside the transaction that removes a connected account, before its row goes.
# kwargs: account (ConnectedAccount). Listening pauses the sources that read through it.
account_removed = Signal()
