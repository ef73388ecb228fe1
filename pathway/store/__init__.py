"""Persistence: the models, the unit of work, migrations, paging and idempotency."""
