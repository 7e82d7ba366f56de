"""The platform's PostgreSQL schema: the models (`models/`), the migrations (`migrations/`) and
`migrate.upgrade`, which both services run on start."""
