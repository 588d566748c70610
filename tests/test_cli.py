"""The commands as a user runs them: options reach the library, results and errors reach the
terminal."""

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from test_dataset import toy_config  # noqa: F401 (a fixture)
from test_predict import NEWS, SEED, models_dir  # noqa: F401 (a fixture)
from test_train import toy_dataset, write_config
from trainer.bundle import load_bundle
from trainer.cli import main


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_train_then_evaluate_from_the_command_line(tmp_path):
    toy_dataset(tmp_path / "data")
    config = write_config(tmp_path, output="unused")
    model = tmp_path / "chosen-folder"

    trained = _run("train", config, "--set", "seed=7", "--set", "estimator.params.alpha=0.001",
                   "--output", model)
    assert trained.exit_code == 0, trained.output
    bundle = load_bundle(model)
    assert trained.stdout.startswith(f"model saved to {model} (threshold "
                                     f"{bundle.threshold:.4f}")
    # The overrides and the output folder are part of the resolved config the bundle keeps.
    assert bundle.manifest["config"]["seed"] == 7
    assert bundle.manifest["config"]["estimator"]["params"]["alpha"] == 0.001
    assert bundle.manifest["config"]["output"]["path"] == str(model)
    assert not (tmp_path / "unused").exists()

    report = tmp_path / "report"
    evaluated = _run("evaluate", model, "--split", "validation", "--output", report)
    assert evaluated.exit_code == 0, evaluated.output
    assert evaluated.stdout.endswith(f"report written to {report}/report.md\n")
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["split"] == "validation"
    assert "# Evaluation of" in (report / "report.md").read_text()


def test_command_line_errors_name_the_problem_and_exit_2(tmp_path):
    toy_dataset(tmp_path / "data")
    config = write_config(tmp_path)
    bad_key = _run("train", config, "--set", "estimator.parms.alpha=1")
    assert bad_key.exit_code == 2
    assert "error:" in bad_key.stderr and "estimator.parms" in bad_key.stderr

    missing = _run("evaluate", tmp_path / "no-model")
    assert missing.exit_code == 2 and "no-model" in missing.stderr

    bad_build = tmp_path / "build.toml"
    bad_build.write_text("[sources\n")
    broken = _run("build", bad_build)
    assert broken.exit_code == 2 and "build.toml: invalid TOML" in broken.stderr
    assert not (tmp_path / "model").exists()


def test_build_output_is_relative_to_the_current_folder(toy_config, tmp_path, monkeypatch):
    # The config's own output.path ("out") stays relative to the config file's folder.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    built = _run("build", toy_config, "--output", "chosen")
    assert built.exit_code == 0, built.output
    assert (here / "chosen" / "dataset").is_dir() and not (tmp_path / "chosen").exists()
    assert f"dataset saved to {here / 'chosen'}/dataset (" in built.stdout
    by_config = _run("build", toy_config)
    assert by_config.exit_code == 0, by_config.output
    assert (tmp_path / "out" / "dataset").is_dir() and not (here / "out").exists()


# --------------------------------------------------------------------------- trainer predict


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@functools.cache
def _permissions_bind_root() -> list[str]:
    """A command prefix under which file permissions bind this process as they bind a user:
    none for a user; for root, setpriv dropping the capabilities that override them."""
    if os.geteuid() != 0:
        return []
    prefix = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
              "--bounding-set=-dac_override,-dac_read_search"]
    if not shutil.which("setpriv") or subprocess.run([*prefix, "true"]).returncode != 0:
        pytest.skip("running as root, and cannot drop root's permission override")
    return prefix


def _predict_as_a_user(models, *args, cwd):
    return subprocess.run(
        [*_permissions_bind_root(), sys.executable, "-m", "trainer", "predict", "--models",
         str(models), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_an_unreadable_input_is_a_record_with_its_error(models_dir, tmp_path):
    # Before: click refused the file ("is not readable"), exit 2, nothing labelled.
    unreadable = tmp_path / "unreadable.txt"
    unreadable.write_text("A secret article.")
    unreadable.chmod(0)
    result = _predict_as_a_user(models_dir, SEED, unreadable.name, NEWS, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    records = _records(result.stdout)
    assert [r["source"] for r in records] == [str(SEED), "unreadable.txt", str(NEWS)]
    assert records[1]["error"] == "unreadable.txt: cannot read (Permission denied)"
    assert records[0]["error"] is None and records[2]["error"] is None
    assert "2 of 3 articles labelled, 1 failed" in result.stderr


def test_a_closed_stdout_is_named(models_dir, tmp_path):
    # Before: an AttributeError traceback ('NoneType' object has no attribute 'buffer').
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "trainer", "predict",
         "--models", str(models_dir), "-q", str(SEED)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr == "error: standard output is closed: give an output file with -o\n"


def test_an_output_file_that_can_be_written_but_not_read_is_replaced(models_dir, tmp_path):
    # Before: refused as "not readable", exit 2.
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n")
    out.chmod(0o200)
    result = _predict_as_a_user(models_dir, "-o", out.name, SEED, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out.chmod(0o600)
    assert [r["source"] for r in _records(out.read_text())] == [str(SEED)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_an_output_file_that_cannot_be_written_is_refused(models_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n")
    out.chmod(0o400)
    result = _predict_as_a_user(models_dir, "-o", out.name, SEED, cwd=tmp_path)
    assert result.returncode == 2 and "'out.jsonl' is not writable" in result.stderr
    assert out.read_text() == "previous run\n"


def test_an_output_folder_that_cannot_be_written_is_named(models_dir, tmp_path):
    # Before: "Permission denied: '.../.out.jsonl.<random>.tmp'", a file the user never named.
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = _predict_as_a_user(models_dir, "-o", "read-only/out.jsonl", SEED, cwd=tmp_path)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2
    assert result.stderr == (f"error: {folder}/out.jsonl: cannot write in its folder {folder} "
                             f"(Permission denied)\n")
    assert list(folder.iterdir()) == []


def test_a_replaced_output_file_keeps_its_permissions(models_dir, tmp_path):
    # Before: the new file had the default permissions (0o644 with the usual umask).
    out = tmp_path / "private.jsonl"
    out.write_text("previous run\n")
    out.chmod(0o600)
    result = _run("predict", "--models", models_dir, "-q", "-o", out, SEED)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert _records(out.read_text())[0]["source"] == str(SEED)


def test_a_claim_threshold_that_has_no_effect_is_warned_about(models_dir):
    # Before: silently ignored.
    for options, because in ((["--no-claims"], "--no-claims"),
                             (["--format", "text"], "--format text")):
        result = _run("predict", "--models", models_dir, "-q", "--claim-threshold", "0.3",
                      *options, SEED)
        assert result.exit_code == 0, result.output
        assert result.stderr == (f"warning: --claim-threshold has no effect with {because}: "
                                 f"no claims are scored\n")
    used = _run("predict", "--models", models_dir, "-q", "--claim-threshold", "0.3", SEED)
    assert used.exit_code == 0 and used.stderr == ""


def _interruptible_run(models, *args, cwd, **kwargs):
    """``trainer predict`` reading stdin, which stays open: the run waits for more articles.
    SIGINT is restored to its default in the child (a shell starts background jobs with it
    ignored, which Python keeps), so that Ctrl-C reaches the run as it does at a terminal."""
    return subprocess.Popen(
        [sys.executable, "-m", "trainer", "predict", "--models", str(models), "-q", *args, "-"],
        cwd=cwd, stdin=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kwargs)


def _article_lines(count: int) -> bytes:
    return (json.dumps({"id": "a", "text": SEED.read_text(encoding="utf-8")}) + "\n").encode() * count


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_says_so_and_exits_128_plus_the_signal(models_dir, tmp_path, signum):
    # Before: "Aborted!" and exit 1, the status of a run in which some articles failed.
    folder = tmp_path / "out"
    folder.mkdir()
    run = _interruptible_run(models_dir, "-o", "out/labels.jsonl", cwd=tmp_path)
    try:
        run.stdin.write(_article_lines(5))
        run.stdin.flush()
        deadline = time.monotonic() + 120
        while not any(folder.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.2)  # the temporary output file appears once the models are loaded
        run.send_signal(signum)
        _, stderr = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 128 + signum
    assert stderr.decode() == (f"Aborted! Interrupted by {signum.name}: no output file was "
                               f"written (out/labels.jsonl is as it was)\n")
    assert list(folder.iterdir()) == []


def _feed(stdin, data: bytes) -> None:
    try:
        stdin.write(data)
        stdin.flush()
    except BrokenPipeError:  # the run ended before it read them all
        pass


def test_an_interrupted_run_to_stdout_says_its_records_were_written(models_dir, tmp_path):
    run = _interruptible_run(models_dir, cwd=tmp_path, stdout=subprocess.PIPE)
    try:
        # Written by a thread: the run stops reading when nobody reads what it writes.
        feeder = threading.Thread(target=_feed, args=(run.stdin, _article_lines(50)))
        feeder.start()
        first = run.stdout.readline()  # records are being written
        run.send_signal(signal.SIGINT)
        rest = run.stdout.read()
        stderr = run.stderr.read()
        run.wait(timeout=60)
        feeder.join(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 130
    assert stderr.decode() == ("Aborted! Interrupted by SIGINT: the records labelled before it "
                               "were written to standard output\n")
    assert all(r["error"] is None for r in _records((first + rest).decode()))  # whole records
