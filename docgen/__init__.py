"""The generated parts of `docs/architecture/`: written by `make docs`, compared by `make docs-check`.

Each generator reads the code or a running piece of it (a migrated scratch database, the FastAPI
app, the strawberry schema, the feed models, the Prometheus registry, solc's NatSpec output) and
returns the text of its documents; `python -m docgen` writes them and `python -m docgen --check`
fails when a committed one differs. Hand-written pages live beside them and are never touched.
"""
