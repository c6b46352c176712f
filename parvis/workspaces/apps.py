from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "parvis.workspaces"
    label = "workspaces"
