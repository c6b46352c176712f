from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate


class ListeningConfig(AppConfig):
    name = "parvis.listening"
    label = "listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from parvis.connectors.signals import account_removed, deliveries_received
        from parvis.listening import signals
        from parvis.listening.models import Mention

        post_delete.connect(signals.unindex_deleted_mention, sender=Mention)
        post_migrate.connect(signals.clear_index_after_flush, sender=self)
        account_removed.connect(signals.pause_sources_of_removed_account)
        deliveries_received.connect(signals.wake_sources_of_pushed_accounts)
