"""The schema comes only from Alembic, and the models agree with it on both databases."""

from pathway.store import migrate


def test_alembic_finds_no_drift_between_models_and_migrations(database_url):
    migrate.check(database_url)


def test_upgrading_twice_is_harmless(database_url):
    migrate.upgrade(database_url)
    migrate.check(database_url)
