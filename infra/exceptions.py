"""Errors of the shared infrastructure (embedded servers, ABIs): none of them is worth retrying."""

from __future__ import annotations


class InfraError(Exception):
    """Root of every error `infra` raises on purpose."""


class ConfigurationError(InfraError):
    """Settings, deployments or build output are missing or inconsistent."""


class ServiceError(InfraError):
    """An embedded server could not be started or reached."""
