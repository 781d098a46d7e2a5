"""Offline mode: the one write path (store row + outbox), replay to the API, conflicts, mirror."""
