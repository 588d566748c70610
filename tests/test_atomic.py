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


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    # Before: the new file had the default permissions (0o644 with the usual umask).
    path = tmp_path / "private.jsonl"
    path.write_text("old\n")
    for mode in (0o600, 0o640):
        path.chmod(mode)
        write_text_atomically(path, "new\n")
        assert path.stat().st_mode & 0o777 == mode
    assert path.read_text() == "new\n"


def test_a_folder_that_cannot_be_written_is_named_not_the_temporary(tmp_path):
    # Before: the error named ".predictions.jsonl.<random>.tmp", a file the user never chose.
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    path = not_a_folder / "predictions.jsonl"
    with pytest.raises(NotADirectoryError) as error:
        with replacing(path):
            pass
    assert str(error.value) == (f"{path}: cannot write in its folder {not_a_folder} "
                                f"(Not a directory)")
