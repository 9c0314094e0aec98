"""Making file modes bind a child process even when the tests run as root (as CI
does): the child drops root's power to ignore them before it execs."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def _no_permission_override() -> None:
    """preexec_fn: the child (and what it execs) loses root's power to ignore file
    modes, by dropping CAP_DAC_OVERRIDE / _DAC_READ_SEARCH / _FOWNER from its
    capability bounding set (PR_CAPBSET_DROP = 24). Harmless when not root."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):
        if libc.prctl(24, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def permissions_apply(probe: Path) -> Callable[[], None]:
    """The preexec_fn that makes file modes bind the child, or skip the test when this
    machine cannot (root without CAP_SETPCAP, e.g. some CI containers)."""
    probe.write_text("")
    probe.chmod(0o444)
    try:
        done = subprocess.run(
            [sys.executable, "-c", f"open({str(probe)!r}, 'a')"],
            preexec_fn=_no_permission_override,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop root's permission override here: {exc}")
    if done.returncode == 0:
        pytest.skip("file modes do not bind a child process on this machine")
    return _no_permission_override
