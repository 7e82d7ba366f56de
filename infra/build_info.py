"""What build is running: the version and the source revision, as the `energy_build_info` metric
that the indexer and the API both export (one metric, so one process may hold both).

The image sets `BUILD_VERSION` and `BUILD_REVISION` from its build arguments; a checkout without
them reads the version from `pyproject.toml` and the revision from git.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from functools import cache

from prometheus_client import Gauge

from infra.settings import ROOT

UNKNOWN = "unknown"
BUILD_INFO = Gauge(
    "energy_build_info",
    "The running build (always 1)",
    ["service", "version", "revision"],
    multiprocess_mode="max",
)


def publish(service: str) -> None:
    """Sets `energy_build_info{service, version, revision}` to 1."""
    BUILD_INFO.labels(service, version(), revision()).set(1)


@cache
def version() -> str:
    """`BUILD_VERSION`, else the project's version in `pyproject.toml`, else "unknown"."""
    if os.environ.get("BUILD_VERSION"):
        return os.environ["BUILD_VERSION"]
    try:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        return str(project["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return UNKNOWN


@cache
def revision() -> str:
    """`BUILD_REVISION`, else the checkout's git commit, else "unknown"."""
    if os.environ.get("BUILD_REVISION"):
        return os.environ["BUILD_REVISION"]
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else UNKNOWN
