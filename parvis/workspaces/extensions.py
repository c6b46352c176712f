"""What the apps above add to the workspace's pages, without workspaces importing them (the
layers are one-way): an app registers, in its `ready()`, a function giving its part of a page.

- objective progress (the analytics app): for the strategy page and the home page, each
  objective's KPI against its target, as HTML rendered by the app's own (auto-escaping)
  templates, by objective id;
- home panels: a compact panel of the workspace's home page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (request, objectives, compact) -> {objective id: HTML}; compact: the home page's narrow
# table (the figures and the status, without the KPI's name)
ObjectiveProgress = Callable[[Any, list[Any], bool], dict[int, str]]
OBJECTIVE_PROGRESS: list[ObjectiveProgress] = []

# (request) -> HTML, or "" for nothing
HomePanel = Callable[[Any], str]
HOME_PANELS: list[HomePanel] = []


def register_objective_progress(provider: ObjectiveProgress) -> ObjectiveProgress:
    if provider not in OBJECTIVE_PROGRESS:
        OBJECTIVE_PROGRESS.append(provider)
    return provider


def register_home_panel(panel: HomePanel) -> HomePanel:
    if panel not in HOME_PANELS:
        HOME_PANELS.append(panel)
    return panel


def objective_progress(
    request: Any, objectives: list[Any], compact: bool = False
) -> dict[int, str]:
    found: dict[int, str] = {}
    for provider in OBJECTIVE_PROGRESS:
        found.update(provider(request, objectives, compact))
    return found


def home_panels(request: Any) -> list[str]:
    return [html for html in (panel(request) for panel in HOME_PANELS) if html]
