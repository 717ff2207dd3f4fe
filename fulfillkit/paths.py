"""The one rule for output paths, shared by every writer.

Every writer (``export``, the Parquet sink, the checkpoint, the HTML report, the store and
the command line's ``-o``) calls :func:`output_path` before it does any work, and so before
the first request of a batch: a path that cannot be written fails at once, not after an
hour of fetching.

The rule: missing parent folders are **created** (as ``mkdir -p`` would), the same for every
writer; then the folder is proven writable by creating and removing a probe file in it (a
permission bit says nothing to root, nor about a read-only mount or a full quota). A path
that is a folder where a file is wanted, a parent that is a file, or a folder that refuses
the probe raises :class:`~fulfillkit.OutputPathError` naming the path as the user gave it,
never a temporary file.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> output_path(root / "new" / "folder" / "x.parquet", what="export").parent.is_dir()
    True
    >>> output_path(root, what="export")
    Traceback (most recent call last):
    ...
    fulfillkit.errors.OutputPathError: export path ... is a folder; give a file name in it
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fulfillkit.errors import OutputPathError

__all__ = ["output_path", "writer_error"]


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def output_path(path: object, *, what: str, folder: bool = False) -> Path:
    """``path`` checked (and its missing parent folders created) for a writer.

    Args:
        path: a ``str`` or ``os.PathLike``; ``~`` is expanded.
        what: the writer, for messages (``"export"``, ``"checkpoint"``, ...).
        folder: the output is a folder (a Parquet dataset, a lake): it is created too,
            and must not be a file.

    Returns:
        The path, ``~`` expanded (relative paths stay relative).

    Raises:
        OutputPathError: not a path, a folder where a file is wanted (or the reverse), or
            a folder that cannot be created or written.
    """
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise OutputPathError(
            f"{what} path must be a str or pathlib.Path, got {type(path).__name__}"
        )
    target = Path(path).expanduser()
    if not str(path).strip():
        raise OutputPathError(f"{what} path is empty")
    shown = repr(os.fspath(path))
    if folder:
        if target.exists() and not target.is_dir():
            raise OutputPathError(f"{what} path {shown} is a file; {what} writes a folder")
        where = target
    else:
        if target.is_dir():
            raise OutputPathError(f"{what} path {shown} is a folder; give a file name in it")
        where = target.parent
    try:
        where.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputPathError(
            f"cannot write {what} {shown}: a part of {os.fspath(where)!r} is a file, not a folder"
        ) from None
    except OSError as exc:
        raise OutputPathError(
            f"cannot create the folder {os.fspath(where)!r} for {what} {shown}: {_reason(exc)}"
        ) from None
    try:
        with tempfile.TemporaryFile(dir=where, prefix=".fulfillkit-probe-"):
            pass
    except OSError as exc:
        raise OutputPathError(
            f"cannot write {what} {shown}: the folder {os.fspath(where)!r} is not writable "
            f"({_reason(exc)})"
        ) from None
    return target


def writer_error(what: str, path: str | os.PathLike[str], exc: OSError) -> OutputPathError:
    """The error for a write that failed after the check (disk full, folder removed), naming
    the user's path and the reason, never the temporary file written first.

    Example:
        >>> str(writer_error("export", "out.csv", OSError(28, "No space left on device")))
        "cannot write export 'out.csv': No space left on device"
    """
    return OutputPathError(f"cannot write {what} {os.fspath(path)!r}: {_reason(exc)}")
