"""Named points where a test can make the process die, to prove crash safety.

``BRIEFKIT_FAILPOINT=<name>`` in the environment makes :func:`reach` kill the current
process with SIGKILL (no cleanup, no ``finally``: what a power cut or the OOM killer does)
the first time the point of that name is reached. Unset, :func:`reach` costs one dictionary
lookup. The batch marks the moments between which the output folder changes
(:mod:`briefkit.batch`); ``tests/test_crash_safety.py`` kills a run at each of them.
"""

from __future__ import annotations

import os
import signal

__all__ = ["ENV", "reach"]

ENV = "BRIEFKIT_FAILPOINT"


def reach(name: str) -> None:
    """Die here if the environment names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
