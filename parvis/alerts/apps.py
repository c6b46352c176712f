from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "parvis.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from parvis.alerts import receivers
        from parvis.listening.signals import mentions_stored

        mentions_stored.connect(receivers.take_new_mentions, dispatch_uid="alerts-stream")
