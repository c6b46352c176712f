from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "parvis.connectors"
    label = "connectors"
