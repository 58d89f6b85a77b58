"""Output folders checked before any work is done: a job never fails after its work on a bad folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gridcrm.errors import InputError

__all__ = ["prepare_output_dir"]


def prepare_output_dir(path: str | Path, what: str = "output folder") -> Path:
    """Create ``path`` if needed and check that files can be written into it.

    Parameters
    ----------
    path : str or Path
        The folder.
    what : str
        What the folder is for, named in the error (``"output folder"``, ``"--out"``, ...).

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    InputError
        ``path`` (or one of its parents) is a file, or the folder cannot be created or written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = prepare_output_dir(pathlib.Path(tempfile.mkdtemp()) / "out" / "demo")
    >>> folder.is_dir()
    True
    """
    folder = Path(path)
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{what} {folder} cannot be created: {parent} is a file, not a folder")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{what} {folder} cannot be created: {exc.strerror or exc}") from None
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".gridcrm-write-check-")
    except OSError as exc:
        raise InputError(f"{what} {folder} is not writable: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    return folder
