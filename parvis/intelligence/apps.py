from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "parvis.intelligence"
    label = "intelligence"
    verbose_name = "Text intelligence"
