"""Scratch folders on the host (grader/sandbox/cleanup.py): emptied at any depth and whatever a child
left, stale ones of killed runs removed, a folder that cannot be emptied reported, never raised."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from grader.sandbox import cleanup
from tests.sandbox.conftest import in_child


def deep_tree(folder, depth: int) -> None:
    """``depth`` nested folders with a file at the bottom, made one level at a time (os.makedirs recurses)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(os.open("file", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)


def test_a_deep_tree_is_removed_without_recursion(tmp_path):
    folder = tmp_path / "slot"
    folder.mkdir()
    deep_tree(folder, 1500)
    os.symlink("/etc", folder / "link")  # removed, never followed
    cleanup.empty_folder(str(folder))
    assert os.listdir(folder) == [] and os.path.isdir("/etc")


def test_scratch_left_by_a_killed_run_is_removed_and_a_live_one_kept(tmp_path):
    live, lock = cleanup.create(2, None)
    dead, dead_lock = cleanup.create(1, None)
    os.close(dead_lock)  # its run was killed: nobody holds the lock
    (tmp_path / "gdgrade-scratch-notours").mkdir()  # not made by gdgrade: mode 0755, no lock
    try:
        assert cleanup.remove_stale() >= 1
        assert not os.path.exists(dead) and os.path.isdir(cleanup.slot_folder(live, 1))
    finally:
        os.close(lock)
        cleanup.remove_tree(live)


@pytest.fixture
def open_folder(tmp_path):
    """A folder that uid 65534 can reach (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="gdgrade-test-"))
    os.chmod(folder, 0o755)
    yield folder
    cleanup.remove_tree(str(folder))


def test_a_folder_a_child_left_without_permissions_is_still_emptied(open_folder):
    """Children that share the grader's uid (no root, no user namespace) can chmod 0 a folder in
    their scratch: emptying the slot must still work, as that uid, and never raise."""
    tmp_path = open_folder
    slot = tmp_path / "slot"
    (slot / "locked" / "inner").mkdir(parents=True)
    (slot / "locked" / "inner" / "f").write_text("x")
    (slot / "readonly").mkdir()
    (slot / "readonly" / "g").write_text("y")
    for path in (tmp_path, slot, *slot.rglob("*")):
        os.chown(path, 65534, 65534)
    os.chmod(slot / "locked" / "inner", 0)
    os.chmod(slot / "locked", 0)
    os.chmod(slot / "readonly", 0o500)

    def as_nobody() -> int:
        os.setgid(65534)
        os.setuid(65534)
        return 0 if cleanup.empty_folder(str(slot)) else 3

    assert in_child(as_nobody) == 0
    assert os.listdir(slot) == []


def test_a_folder_that_cannot_be_emptied_is_reported_not_raised(open_folder):
    tmp_path = open_folder
    slot = tmp_path / "slot"
    (slot / "kept").mkdir(parents=True)
    (slot / "kept" / "f").write_text("x")
    os.chown(slot / "kept", 12345, 12345)  # another uid's folder: nobody may change it
    os.chmod(slot / "kept", 0o555)
    for path in (tmp_path, slot):
        os.chown(path, 65534, 65534)

    def as_nobody() -> int:
        os.setgid(65534)
        os.setuid(65534)
        return 0 if cleanup.empty_folder(str(slot)) is False else 3

    assert in_child(as_nobody) == 0
    assert os.listdir(slot / "kept") == ["f"]
