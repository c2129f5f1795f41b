"""Where throwaway PostgreSQL data folders go: in memory when the machine has room.

A data folder is hundreds of small files, and every `CREATE DATABASE` copies them all. On
this project's virtual disk a copy costs about 0.2 s of kernel time; on tmpfs it costs
0.02 s, which is most of what pytest's per-test databases and each suite run's fresh stack
wait for. Nothing kept goes there: `.pgdata/` of `python -m sandbox up` stays on disk.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

# Only a parent: each folder in it is made by mkdtemp, unique and private (S108).
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108
# A container's /dev/shm is often 64 MiB, too small for a data folder and its databases.
MIN_FREE_BYTES = 1 << 30


def scratch_dir(
    env: Mapping[str, str] = os.environ,
    shared: Path = SHARED_MEMORY,
    min_free: int = MIN_FREE_BYTES,
) -> str:
    """SCRATCH_DIR if set; else `shared` when writable with `min_free` bytes free; else the
    system's temporary folder."""
    chosen = env.get("SCRATCH_DIR")
    if chosen:
        return chosen
    try:
        if os.access(shared, os.W_OK | os.X_OK) and shutil.disk_usage(shared).free >= min_free:
            return str(shared)
    except OSError:
        pass
    return tempfile.gettempdir()


if __name__ == "__main__":
    print(scratch_dir())
