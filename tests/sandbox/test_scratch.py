"""Where throwaway PostgreSQL folders go (sandbox.stack.scratch)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sandbox.stack.scratch import scratch_dir


def test_scratch_dir_from_the_environment_wins(tmp_path: Path) -> None:
    assert scratch_dir({"SCRATCH_DIR": str(tmp_path)}, shared=tmp_path / "none") == str(tmp_path)


def test_a_writable_folder_with_room_is_used(tmp_path: Path) -> None:
    assert scratch_dir({}, shared=tmp_path, min_free=1) == str(tmp_path)


def test_a_folder_without_room_is_not_used(tmp_path: Path) -> None:
    too_much = shutil.disk_usage(tmp_path).free + 1
    assert scratch_dir({}, shared=tmp_path, min_free=too_much) == tempfile.gettempdir()


def test_a_missing_or_read_only_folder_is_not_used(tmp_path: Path) -> None:
    assert scratch_dir({}, shared=tmp_path / "missing", min_free=1) == tempfile.gettempdir()
    if os.geteuid() != 0:  # root may write anywhere, so only a user can see the refusal
        read_only = tmp_path / "ro"
        read_only.mkdir(mode=0o500)
        assert scratch_dir({}, shared=read_only, min_free=1) == tempfile.gettempdir()
