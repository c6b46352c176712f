"""Running Parvis: backups and restores, the deployment check, metrics, the worker's
heartbeat and JSON logs (docs/operations.md)."""
