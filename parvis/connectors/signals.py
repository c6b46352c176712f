"""Signals the connectors send, so that the apps built on them react without the connectors
knowing them (the layers are one-way)."""

from django.dispatch import Signal

# Sent inside the transaction that removes a connected account, before its row goes.
# kwargs: account (ConnectedAccount). Listening pauses the sources that read through it.
account_removed = Signal()

# Sent when a network's webhook stored new changes for some accounts (after they are stored,
# outside any transaction of the sender's). kwargs: network (str), handles (list[str], the
# accounts' handles on that network: Page ids, Instagram user ids). Listening runs the sources
# that read through those accounts at once instead of at their next poll.
deliveries_stored = Signal()
