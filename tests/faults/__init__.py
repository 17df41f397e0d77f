"""Faults: the database, the broker, the storage or a worker failing under D3."""
