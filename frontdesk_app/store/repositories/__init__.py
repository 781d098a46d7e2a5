"""Repositories: functions over a `Session` that speak domain models, one module per area."""
