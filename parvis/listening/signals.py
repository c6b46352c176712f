from django.dispatch import Signal

# Sent after the transaction that stored new mentions commits.
# kwargs: workspace, mention_ids (list[int]), source (Source | None)
mentions_stored = Signal()
