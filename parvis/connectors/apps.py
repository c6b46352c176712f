from django.apps import AppConfig
from django.conf import settings


class ConnectorsConfig(AppConfig):
    name = "parvis.connectors"
    label = "connectors"

    def ready(self) -> None:
        if settings.CONNECTOR_MAX_BODY_MB:  # only then is loading every connector worth it
            check_body_caps(settings.CONNECTOR_MAX_BODY_MB)


def check_body_caps(caps: dict[str, int]) -> None:
    """A cap for a kind no connector has is a typo: stop at start, naming the variable."""
    from parvis.config import ConfigError
    from parvis.connectors import base

    base.load_all()
    for kind in caps:
        if kind not in base.REGISTRY:
            kinds = ", ".join(sorted(base.REGISTRY))
            raise ConfigError(
                f"{base.max_body_setting(kind)}: there is no connector {kind!r} ({kinds})"
            )
