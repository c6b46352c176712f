"""Signals the connectors send, so that the apps built on them react without the connectors
knowing them (the layers are one-way)."""

from django.dispatch import Signal

# Sent inside the transaction that removes a connected account, before its row goes.
# kwargs: account (ConnectedAccount). Listening pauses the sources that read through it.
account_removed = Signal()

# Sent after a network pushed new changes (a verified webhook delivery) about some of its
# accounts, once they are committed. kwargs: network (str), handles (list[str]: the accounts'
# handles as stored, e.g. Page ids). Listening brings the sources that read through those
# accounts forward to the next minute, instead of their next poll.
deliveries_received = Signal()
