from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "parvis.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        # The analytics app's engagement rate reads the posts' results through listening's
        # registry (the apps side by side do not import each other).
        from parvis.listening.extensions import register_post_totals
        from parvis.publishing.totals import post_totals

        register_post_totals(post_totals)

        # The client report's publications section (analytics reads it through listening).
        from parvis.listening.reporting import PUBLICATIONS, register_section
        from parvis.publishing.report_figures import publications

        register_section(PUBLICATIONS, publications)
