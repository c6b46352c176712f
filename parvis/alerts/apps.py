from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "parvis.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from parvis.alerts import receivers
        from parvis.listening.signals import mentions_stored

        mentions_stored.connect(receivers.take_new_mentions, dispatch_uid="alerts-stream")

        # The crisis room: its notices go out as deliveries; an alert of the playbook's
        # severity starts a crisis; publishing asks whether a crisis paused it.
        from django.db.models.signals import post_save

        from parvis.alerts import delivery
        from parvis.alerts.crisis import services as crisis
        from parvis.alerts.models import Alert
        from parvis.listening.extensions import register_publishing_hold

        if crisis.crisis_payload not in delivery.PAYLOADS:
            delivery.PAYLOADS.append(crisis.crisis_payload)
        post_save.connect(crisis.on_alert_saved, sender=Alert, dispatch_uid="alerts-crisis-auto")
        register_publishing_hold(crisis.publishing_hold)

        # Other apps' events that need a member (a post that could not be published) come
        # to the bell through listening.extensions.notify.
        from parvis.alerts.services import store_notice
        from parvis.listening.extensions import register_notifier

        register_notifier(store_notice)

        # The client report's crises section (analytics, through listening).
        from parvis.alerts.report_figures import crises
        from parvis.listening.reporting import CRISES, register_section

        register_section(CRISES, crises)
