"""The pure core: models, ids, scheduling rules and errors; no Qt and no I/O."""
