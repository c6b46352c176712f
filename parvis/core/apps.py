from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "parvis.core"
    label = "core"

    def ready(self) -> None:
        from parvis.core import signals  # noqa: F401  (connects the audit receivers)
