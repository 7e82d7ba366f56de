"""Tooling for the deployment artifacts: what is generated from a single source, and its checks."""
