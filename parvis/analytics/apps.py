from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "parvis.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # The strategy page and the home page show the objectives against their targets
        # through workspaces' registry (workspaces may not import this app).
        from parvis.analytics import display
        from parvis.workspaces.extensions import register_home_panel, register_objective_progress

        register_objective_progress(display.objective_progress)
        register_home_panel(display.home_panel)
        # The home page's dashboard: the last 30 days at a glance, each figure a link.
        from parvis.analytics import dashboard

        register_home_panel(dashboard.home_dashboard)
