"""What the indexer and the API share, so neither imports the other for it.

- `embedded`: embedded PostgreSQL and Redis for development, tests and `make run`;
- `abi`: the compiled contracts' events and their fast decoders;
- `database`: the schema (SQLModel models), its Alembic migrations and `migrate.upgrade`;
- `logs`, `build_info`, `settings`: logging set-up, the build metric, shared settings helpers.
"""
