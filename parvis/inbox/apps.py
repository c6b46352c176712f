from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "parvis.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from parvis.inbox import receivers
        from parvis.listening.signals import mentions_stored

        mentions_stored.connect(receivers.take_new_mentions, dispatch_uid="inbox-intake")
        from parvis.inbox.views import mention_action
        from parvis.listening.extensions import register_mention_action

        register_mention_action(mention_action)
        # The crisis room (alerts) reads how many of a crisis's mentions were answered.
        from parvis.inbox.crisis_stats import answer_stats
        from parvis.listening.extensions import register_answer_provider

        register_answer_provider(answer_stats)

        # The client report's community-management section (analytics, through listening).
        from parvis.inbox.report_figures import community
        from parvis.listening.reporting import COMMUNITY, register_section

        register_section(COMMUNITY, community)
