"""The crisis room: an episode the team handles as a crisis, the workspace's playbook, and the
summary kept when it ends (docs/alerts.md, « Crisis »). Part of the alerts app (its models
share the app's migrations); it reads the inbox only through listening/extensions.py."""
