"""Loading data into Pulse's warehouse: schema, migrations, ingest, demo data."""
