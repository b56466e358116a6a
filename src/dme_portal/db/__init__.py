"""Database plumbing: metadata, types, engine, unit of work, migrations."""
