"""Files orderhub writes are private: they hold buyer data (the SQLite store, its WAL and
SHM files) or describe it (drop-folder reports), so they are created 0600 and the folders
orderhub creates 0700, whatever the process's umask."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders; an existing one is kept as
    it is (it may be shared on purpose, e.g. the drop folder itself)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists and is 0600 (creating it empty if needed)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8), the file being 0600 from its creation on."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def restrict_umask() -> int:
    """Set the process umask to 077 (files 0600, folders 0700), returning the old one; for
    every file a library creates on orderhub's behalf (SQLite's journal files included)."""
    return os.umask(0o077)
