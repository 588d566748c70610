import os

import pytest

from trainer.atomic import replacing, write_text_atomically


def test_write_text_atomically_replaces_whole_files(tmp_path):
    path = tmp_path / "out" / "report.md"
    write_text_atomically(path, "old")
    write_text_atomically(path, "new ü\n")
    assert path.read_text(encoding="utf-8") == "new ü\n"
    assert [p.name for p in path.parent.iterdir()] == ["report.md"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "predictions.jsonl"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with replacing(path) as stream:
            stream.write("half of the new")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.jsonl"]
