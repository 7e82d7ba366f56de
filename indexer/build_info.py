"""What build is running: the version and the source revision, for the `energy_build_info` metric.

The image sets `BUILD_VERSION` and `BUILD_REVISION` from its build arguments; a checkout without
them reads the version from `pyproject.toml` and the revision from git.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN = "unknown"


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
