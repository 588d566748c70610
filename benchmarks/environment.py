"""The machine and software a benchmark ran on, so its numbers can be compared and repeated."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["PACKAGES", "environment"]

PACKAGES = ("paragraph-trainer", "scikit-learn", "numpy", "scipy", "pandas", "joblib", "lxml",
            "datasets", "trafilatura", "justext", "boilerpy3", "readability-lxml",
            "resiliparse", "html-text", "inscriptis", "html2text")


def _first_line_value(path: str, key: str) -> str | None:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _memory_gb() -> float | None:
    total = _first_line_value("/proc/meminfo", "MemTotal")  # "24570904 kB"
    return round(int(total.split()[0]) / 2**20, 1) if total else None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git_commit(repo: Path) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def environment(repo: Path) -> dict:
    """CPU model, cores, RAM, OS, Python and package versions, date (UTC) and git commit."""
    return {
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": _first_line_value("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": {name: _version(name) for name in PACKAGES},
        "git_commit": _git_commit(repo),
    }
