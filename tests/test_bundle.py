"""Model bundles: what they record, atomic writes, and refusing bundles that cannot be trusted."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

import trainer
import trainer.bundle as bundle_module
from trainer.bundle import (
    MANIFEST_FILE, MODEL_FILE, MODEL_INPUTS, MODEL_TASKS, BundleError, load_bundle,
    load_models_bundle, read_manifest, save_bundle)

X = np.array([[0.0], [1.0], [2.0], [3.0]])


@pytest.fixture(scope="module")
def model() -> LogisticRegression:
    return LogisticRegression().fit(X, [0, 0, 1, 1])


@pytest.fixture
def report(tmp_path) -> Path:
    path = tmp_path / "inputs" / "report.md"
    path.parent.mkdir()
    path.write_text("# Evaluation\n\nF1 0.91 on the test split.\n")
    return path


def _save(model, directory, report=None, **overrides):
    arguments = dict(
        task="content", label_names=["boilerplate", "content"], threshold=np.float64(0.42),
        config={"model": {"C": 1.0}, "data": Path("/data/wcxb")},
        metrics={"test": {"f1": np.float32(0.91), "confusion": np.array([[5, 1], [0, 4]])}},
        sources=[{"name": "wcxb-dev", "licence": "CC-BY-4.0"}],
        extra_files={"report/report.md": report} if report else {},
    )
    return save_bundle(model, directory, **{**arguments, **overrides})


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_round_trip_records_everything(model, report, tmp_path):
    path = _save(model, tmp_path / "models" / "content-html", report)
    bundle = load_bundle(path)
    manifest = json.loads((path / MANIFEST_FILE).read_text())

    assert bundle.path == path and bundle.task == "content" and bundle.threshold == 0.42
    assert bundle.manifest == manifest
    np.testing.assert_array_equal(bundle.model.predict_proba(X), model.predict_proba(X))
    assert (path / "report" / "report.md").read_text() == report.read_text()
    assert set(manifest) == {"bundle_format", "task", "label_names", "threshold", "config",
                             "metrics", "sources", "versions", "files", "created_utc"}
    assert manifest["label_names"] == ["boilerplate", "content"]
    assert manifest["config"] == {"model": {"C": 1.0}, "data": "/data/wcxb"}
    assert manifest["metrics"]["test"]["confusion"] == [[5, 1], [0, 4]]
    assert manifest["sources"] == [{"name": "wcxb-dev", "licence": "CC-BY-4.0"}]
    assert manifest["versions"]["scikit-learn"] == sklearn.__version__
    assert manifest["versions"]["trainer"] == trainer.__version__
    assert set(manifest["versions"]) == {"python", "scikit-learn", "numpy", "joblib", "trainer"}
    assert sorted(manifest["files"]) == [MODEL_FILE, "report/report.md"]
    assert all(len(digest) == 64 for digest in manifest["files"].values())
    assert manifest["created_utc"].endswith("+00:00")
    assert _leftovers(path.parent) == []


def test_a_changed_byte_is_refused(model, report, tmp_path):
    path = _save(model, tmp_path / "claim", report)
    data = bytearray((path / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0x01
    (path / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"SHA-256 hash of model\.joblib does not match.*"
                                          r"trainer train configs/claim\.toml"):
        load_bundle(path)


def test_only_a_shipped_models_name_points_to_a_shipped_config(tmp_path):
    (tmp_path / "my-model").mkdir()
    with pytest.raises(BundleError, match=r"my-model: has no manifest\.json, so it is not a "
                                          r"model bundle; retrain it with the config it was "
                                          r"trained from$"):
        load_bundle(tmp_path / "my-model")  # it named configs/my-model.toml, which is not there
    with pytest.raises(BundleError, match=r"configs/content-html\.toml"):
        load_bundle(tmp_path / "content-html")


def test_a_changed_report_is_refused_too(model, report, tmp_path):
    path = _save(model, tmp_path / "claim", report)
    (path / "report" / "report.md").write_text("# Evaluation\n\nF1 0.99!\n")
    with pytest.raises(BundleError, match=r"hash of report/report\.md"):
        load_bundle(path)


def test_a_missing_file_is_refused(model, report, tmp_path):
    path = _save(model, tmp_path / "claim", report)
    (path / "report" / "report.md").unlink()
    with pytest.raises(BundleError, match=r"missing file report/report\.md"):
        load_bundle(path)
    (path / MANIFEST_FILE).unlink()
    with pytest.raises(BundleError, match="has no manifest.json, so it is not a model bundle"):
        load_bundle(path)


def _edit_manifest(path: Path, **versions) -> None:
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    manifest["versions"].update(versions)
    (path / MANIFEST_FILE).write_text(json.dumps(manifest))


def test_another_scikit_learn_minor_version_is_refused(model, tmp_path):
    path = _save(model, tmp_path / "content-text")
    _edit_manifest(path, **{"scikit-learn": "1.5.2"})
    with pytest.raises(BundleError, match=r"trained with scikit-learn 1\.5\.2, but this environment "
                                          r"has .*trainer train configs/content-text\.toml.*"
                                          r"scikit-learn==1\.5\.\*"):
        load_bundle(path)


def test_another_scikit_learn_patch_version_loads(model, tmp_path):
    path = _save(model, tmp_path / "content-text")
    major, minor = sklearn.__version__.split(".")[:2]
    _edit_manifest(path, **{"scikit-learn": f"{major}.{minor}.999"})
    assert load_bundle(path).task == "content"


def test_another_numpy_major_version_is_refused(model, tmp_path, monkeypatch):
    path = _save(model, tmp_path / "claim")
    monkeypatch.setattr(bundle_module.numpy, "__version__", "1.26.4")
    with pytest.raises(BundleError, match=r"trained with numpy 2\..*has 1\.26\.4"):
        load_bundle(path)


def test_a_failed_save_leaves_nothing_behind(model, report, tmp_path):
    target = tmp_path / "content-html"
    with pytest.raises(FileNotFoundError):
        _save(model, target, extra_files={"report.md": tmp_path / "no-such-report.md"})
    assert list(tmp_path.iterdir()) == [report.parent]


def test_a_failed_replacement_keeps_the_old_bundle(model, report, tmp_path, monkeypatch):
    target = _save(model, tmp_path / "content-html", report)
    before = {p.name: p.read_bytes() for p in target.rglob("*") if p.is_file()}

    def dump_then_fail(value, filename, **kwargs):
        Path(filename).write_bytes(b"half a model")
        raise OSError("No space left on device")

    monkeypatch.setattr(bundle_module.joblib, "dump", dump_then_fail)
    with pytest.raises(OSError, match="No space left"):
        _save(LogisticRegression().fit(X, [1, 0, 0, 1]), target, report)
    assert {p.name: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert _leftovers(tmp_path) == []
    load_bundle(target)


def test_replacing_a_bundle_swaps_it_whole(model, report, tmp_path):
    target = _save(model, tmp_path / "content-html", report)
    flipped = LogisticRegression().fit(X, [1, 1, 0, 0])
    _save(flipped, target, threshold=0.7)
    bundle = load_bundle(target)
    assert bundle.threshold == 0.7
    assert not (target / "report").exists()
    np.testing.assert_array_equal(bundle.model.predict(X), [1, 1, 0, 0])
    assert _leftovers(tmp_path) == []


def test_an_unpicklable_model_leaves_nothing_behind(tmp_path):
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    model.progress = (step for step in range(3))  # generators cannot be pickled
    with pytest.raises(TypeError, match="generator"):
        _save(model, tmp_path / "claim")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_replace_a_folder_that_is_not_a_bundle(model, tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(BundleError, match="not a model bundle; refusing to replace it"):
        _save(model, tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize("overrides, problem", [
    ({"threshold": 1.5}, "threshold must be a probability"),
    ({"label_names": ["content"]}, "label_names must name"),
    ({"extra_files": {"../escape.md": Path(__file__)}}, "relative path inside the bundle"),
    ({"extra_files": {MODEL_FILE: Path(__file__)}}, "reserved"),
    ({"task": ""}, "task must be named"),
])
def test_refuses_bad_arguments_before_writing(model, tmp_path, overrides, problem):
    with pytest.raises(ValueError, match=problem):
        _save(model, tmp_path / "claim", **overrides)
    assert list(tmp_path.iterdir()) == []


def test_read_manifest_loads_no_pickle(model, tmp_path, monkeypatch):
    path = _save(model, tmp_path / "claim")
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled the model"))
    assert read_manifest(path)["task"] == "content"
    with pytest.raises(BundleError, match="does not exist"):
        read_manifest(tmp_path / "nothing")
    (path / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        read_manifest(path)


def test_per_kind_thresholds_are_stored_and_map_rows_by_page_type(model, tmp_path):
    path = _save(model, tmp_path / "claim", threshold=0.3,
                 thresholds={"spoken": np.float64(0.6), "written": 0.3})
    bundle = load_bundle(path)
    assert bundle.threshold == 0.3
    assert bundle.thresholds == {"spoken": 0.6, "written": 0.3}
    np.testing.assert_array_equal(
        bundle.row_thresholds(["transcript", "article", "", "forum"]), [0.6, 0.3, 0.3, 0.3])
    # A bundle without per-kind thresholds applies its one threshold to every row.
    plain = load_bundle(_save(model, tmp_path / "plain"))
    assert plain.thresholds == {} and "thresholds" not in plain.manifest
    np.testing.assert_array_equal(plain.row_thresholds(["transcript", ""]), [0.42, 0.42])


@pytest.mark.parametrize("thresholds, problem", [
    ({"sung": 0.5}, "unknown page kind 'sung'"),
    ({"spoken": -0.1}, "threshold of spoken pages must be a probability"),
])
def test_refuses_bad_per_kind_thresholds(model, tmp_path, thresholds, problem):
    with pytest.raises(ValueError, match=problem):
        _save(model, tmp_path / "claim", thresholds=thresholds)


def test_read_manifest_refuses_bad_per_kind_thresholds(model, tmp_path):
    path = _save(model, tmp_path / "claim", thresholds={"spoken": 0.5})
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    manifest["thresholds"] = {"spoken": 2.0}
    (path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="not probabilities of page kinds"):
        read_manifest(path)


def _rewrite_manifest(path: Path, change) -> None:
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    change(manifest)
    (path / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.mark.parametrize("change, problem", [
    (lambda m: m.update(files=list(m["files"])), r'"files" must be an object .* not a list'),
    (lambda m: m.update(versions=None), r'"versions" must be an object .* not null'),
    (lambda m: m["versions"].pop("numpy"), r'"versions" must name the numpy version as a '
                                           r"string, not null"),
    (lambda m: m["versions"].update({"scikit-learn": 1.5}), r'"versions" must name the '
                                                             r"scikit-learn version .* not 1\.5"),
    (lambda m: m["files"].update({MODEL_FILE: None}), r'"files" gives model\.joblib null, not '
                                                       r"a SHA-256 hash"),
    (lambda m: m["files"].update({"../../etc/passwd": "0" * 64}),
     r"\"files\" names '\.\./\.\./etc/passwd', which is not a path inside the bundle"),
    (lambda m: m.update(task=None), r'"task" must be a non-empty string, not null'),
    (lambda m: m.update(label_names="content"), r'"label_names" must be a list .* not '
                                                r'"content"'),
    (lambda m: m.update(bundle_format="1"), r"bundle format '1' is not 1"),
    (lambda m: m.update(thresholds=None), r"thresholds None are not probabilities of page "
                                          r"kinds \(spoken, written\)"),
    (lambda m: m.update(config=[]), r'"config" must be an object, not a list'),
    (lambda m: m["config"].update(input="pdf"), r'"config" "input" must be "html" or "text", '
                                                r'not "pdf"'),
], ids=["files list", "versions null", "no numpy version", "number version", "hash null",
        "path outside", "task null", "label_names string", "format string", "thresholds null",
        "config list", "unknown input"])
def test_a_malformed_manifest_is_refused_with_what_is_wrong(model, tmp_path, change, problem):
    # It crashed the loader (AttributeError) when "files" was a list or "versions" null.
    path = _save(model, tmp_path / "claim")
    _rewrite_manifest(path, change)
    for load in (read_manifest, load_bundle):
        with pytest.raises(BundleError, match=rf"claim/manifest\.json: {problem}; retrain it "
                                              rf".*`trainer train configs/claim\.toml`"):
            load(path)


def test_a_manifest_that_is_not_an_object_or_nested_too_deep_is_refused(model, tmp_path):
    path = _save(model, tmp_path / "claim")
    (path / MANIFEST_FILE).write_text('["bundle_format", 1]')
    with pytest.raises(BundleError, match=r"manifest\.json: holds a list, not an object"):
        read_manifest(path)
    (path / MANIFEST_FILE).write_text("[" * 100_000)
    with pytest.raises(BundleError, match=r"manifest\.json: not valid JSON \(maximum recursion"):
        read_manifest(path)


def test_a_models_folder_bundle_must_hold_the_task_and_input_its_name_stands_for(
        model, tmp_path, monkeypatch):
    folder = tmp_path / "models"
    _save(model, folder / "content-html", config={"input": "html"})
    _save(model, folder / "content-text", config={"input": "html"})  # the HTML model, swapped in
    _save(model, folder / "claim", task="claim", config={"input": "text"})
    assert load_models_bundle(folder, "content-html").task == "content"
    assert load_models_bundle(folder, "claim").task == "claim"
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled a wrong bundle"))
    with pytest.raises(BundleError, match=r"models/content-text: holds a model trained on html "
                                          r"input; the text content model must be trained on "
                                          r"text: put that model there \(the shipped one: "
                                          r"`trainer train configs/content-text\.toml`\)"):
        load_models_bundle(folder, "content-text")
    _save(model, folder / "content-text", task="claim", config={"input": "text"})
    with pytest.raises(BundleError, match=r"content-text: holds a 'claim' model, expected "
                                          r"'content'; put the right bundle there"):
        load_models_bundle(folder, "content-text")
    _save(model, folder / "claim", task="claim", config={"input": "html"})
    with pytest.raises(BundleError, match=r"the claim model must be trained on text"):
        load_models_bundle(folder, "claim")


def test_a_models_folder_bundle_that_records_no_input_is_checked_by_task(model, tmp_path):
    # Bundles saved outside `trainer train` (test fixtures, other tools) may not say.
    _save(model, tmp_path / "content-text", config={})
    assert load_models_bundle(tmp_path, "content-text").task == "content"


def test_the_shipped_bundles_are_trained_on_the_inputs_their_names_stand_for():
    shipped = Path(trainer.__file__).resolve().parents[1] / "models"
    if not (shipped / "content-text" / MANIFEST_FILE).is_file():
        pytest.skip("no shipped models")
    for name in MODEL_TASKS:
        assert read_manifest(shipped / name)["config"]["input"] == MODEL_INPUTS[name]
