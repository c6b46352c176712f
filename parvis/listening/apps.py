from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "parvis.listening"
    label = "listening"
    verbose_name = "Listening"
