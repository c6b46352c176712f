from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "parvis.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from parvis.ops.logs import clear_request_id
        from parvis.ops.panels import backup_panel
        from parvis.workspaces.extensions import register_home_panel

        register_home_panel(backup_panel)

        request_finished.connect(clear_request_id, dispatch_uid="parvis.ops.clear_request_id")
