"""Write a file or a folder so that readers see the old one or the new one, never half of either.

Checkpoints, MNIST's IDX files, release folders and the PCA fit all go through `replace_atomically`:
the new content is written beside the target under a temporary name, then renamed over it
(a rename within one folder is atomic on POSIX and Windows). An exception leaves the old
content in place and removes the temporary one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replace_atomically(path: Path, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `path`.

    With `folder=True` the temporary path is an empty folder; the old folder is moved aside
    first (one rename cannot replace a non-empty folder) and deleted after the swap.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    else:
        # Unique per writer: two threads (two students' sessions) may write the same file at once.
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        yield tmp
        # mkdtemp makes a private folder; what we write is readable by all, as a copy would be.
        tmp.chmod(0o755 if folder else 0o644)
        if folder and path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
