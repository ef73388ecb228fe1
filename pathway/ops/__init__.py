"""Running the service: demo data, bulk import, backup and the integrity check."""
