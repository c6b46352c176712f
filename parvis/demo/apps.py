from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "parvis.demo"
    label = "demo"
    verbose_name = "Demo"

    def ready(self) -> None:
        # The replay connector lives here, above listening, rather than in parvis/connectors
        # (which must not import the layers above it); importing it registers the "demo" kind.
        from parvis.demo import connector  # noqa: F401
        from parvis.demo.inbox import after_backlog
        from parvis.listening.signals import mentions_stored

        # Once the backlog is stored, the demo inbox is taken in and made lived-in (once).
        mentions_stored.connect(after_backlog, dispatch_uid="demo-inbox")
        # Then the corpus's bad buzz becomes an episode, its alert and a crisis run (once).
        from parvis.demo.crisis import after_backlog as crisis_after_backlog

        mentions_stored.connect(crisis_after_backlog, dispatch_uid="demo-crisis")
