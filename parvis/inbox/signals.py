"""Signals the inbox sends, so that the apps above it (moderation) react without the inbox
knowing them."""

from django.dispatch import Signal

# Sent after the transaction that took new inbound messages into the inbox commits.
# kwargs: workspace, message_ids (list[int])
messages_received = Signal()
