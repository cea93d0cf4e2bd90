"""The operational store: the tables the API writes and ingestion reads (SQLAlchemy 2)."""
