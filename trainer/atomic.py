"""Atomic file writes: readers see the old file or the new one, never part of one."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

__all__ = ["replacing", "write_text_atomically"]


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[TextIO]:
    """A UTF-8 text stream to a temporary file beside ``path`` (same file system), renamed
    over ``path`` only when the block ends without error; otherwise the temporary is removed
    and ``path`` is left as it was. A replaced file's permission bits are kept."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        created = open(temporary, "x", encoding="utf-8", newline="")
    except OSError as exc:  # its message would name the temporary, which the user never chose
        raise type(exc)(f"{path}: cannot write in its folder {path.parent} "
                        f"({exc.strerror or exc})") from exc
    try:
        with created as stream:
            _keep_permissions(path, stream.fileno())
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _keep_permissions(path: Path, temporary: int) -> None:
    """Give the new file the permission bits of the file it replaces (a private file stays
    private), before anything is written to it. Set-id bits are not copied: the new file may
    belong to someone else than the old one."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # a new file: the umask decides, as for any file created
    os.fchmod(temporary, mode & 0o777)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically, creating its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as stream:
        stream.write(text)
