from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "parvis.moderation"
    label = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from parvis.inbox.signals import messages_received
        from parvis.moderation import receivers

        messages_received.connect(receivers.moderate_new_messages, dispatch_uid="moderation")

        # The client report's moderation section (analytics, through listening).
        from parvis.listening.reporting import MODERATION, register_section
        from parvis.moderation.report_figures import moderation

        register_section(MODERATION, moderation)
