from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "parvis.demo"
    label = "demo"
    verbose_name = "Demo"

    def ready(self) -> None:
        # The replay connector lives here, above listening, rather than in parvis/connectors
        # (which must not import the layers above it); importing it registers the "demo" kind.
        from parvis.demo import connector  # noqa: F401
