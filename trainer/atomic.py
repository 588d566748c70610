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
    and ``path`` is left as it was."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically, creating its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as stream:
        stream.write(text)
