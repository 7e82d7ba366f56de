"""Response and request models of the API (never the tables): one module per resource."""
