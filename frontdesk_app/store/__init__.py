"""The embedded SQLite store: schema, Alembic migrations, repositories and the demo clinic."""
