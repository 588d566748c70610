"""The train and evaluate commands as a user runs them: options reach the library, results
and errors reach the terminal."""

import json

from click.testing import CliRunner

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
