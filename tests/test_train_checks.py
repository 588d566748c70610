"""What training would otherwise ignore, change silently or crash on is refused before the
work (naming the key, the file or the class) or warned about."""

import logging
import random

import pytest

from test_train import SOURCES, toy_article, toy_dataset, write_config, write_dataset
from trainer.bundle import load_bundle
from trainer.config import ConfigError
from trainer.train import choose_thresholds, load_train_config, train


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checks")
    toy_dataset(folder / "data")
    return folder


def test_search_params_without_a_search_method_are_refused_naming_both_keys(workspace):
    with pytest.raises(ConfigError, match=r"content-model\.toml: search\.params: given, but "
                                          r"search\.method = 'none' searches nothing"):
        load_train_config(write_config(workspace), ["search.params.alpha=[1e-4]"])


@pytest.mark.parametrize("output", ["notes", "notes/todo.txt"])
def test_an_output_that_is_not_a_bundle_is_refused_before_training(workspace, output):
    (workspace / "notes").mkdir(exist_ok=True)
    (workspace / "notes" / "todo.txt").write_text("precious\n")
    with pytest.raises(ConfigError, match=r"content-model\.toml: output\.path: .*notes.* exists "
                                          r"and is not a model bundle; refusing to replace it"):
        load_train_config(write_config(workspace), [f'output.path="{workspace / output}"'])
    assert (workspace / "notes" / "todo.txt").read_text() == "precious\n"


def test_an_empty_folder_or_an_earlier_bundle_may_be_the_output(workspace):
    (workspace / "empty").mkdir()
    (workspace / "earlier").mkdir()
    (workspace / "earlier" / "manifest.json").write_text("{}")
    for output in ("empty", "earlier", "new"):
        load_train_config(write_config(workspace), [f'output.path="{workspace / output}"'])


def test_an_empty_training_split_is_refused_saying_so_when_articles_are_cropped(tmp_path):
    rng = random.Random(0)
    splits = {split: [row for i in range(4) for row in toy_article(
        rng, source, f"{split}{i}", f"{split}-site{i}")]
        for split, source in (("train", "other"), ("validation", "toy"))}
    write_dataset(tmp_path / "data", splits)
    with pytest.raises(ValueError, match="content: no training row is labelled for content"):
        train(load_train_config(write_config(tmp_path), ['data.exclude_sources=["other"]',
                                                         "data.crops=1"]))


def test_fold_counts_capped_by_the_sites_are_warned_about_and_recorded(workspace, caplog):
    # The toy training split has 6 sites.
    cfg = load_train_config(write_config(workspace, output="capped"), [
        'search.method="grid"', "search.params.alpha=[1e-4]", "search.folds=20",
        "context.folds=50"])
    with caplog.at_level(logging.INFO, logger="trainer"):
        result = train(cfg)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for key, folds in (("context.folds", 50), ("search.folds", 20)):
        assert any(m.startswith(f"{key} = {folds} asks for more group folds than the 6 sites")
                   and m.endswith(": 6 group folds used") for m in warnings), warnings
    assert "fitting the two-stage model (6 group folds for stage 2)" in caplog.text
    metrics = load_bundle(result["path"]).manifest["metrics"]
    assert metrics["training"]["context_group_folds"] == 6
    assert metrics["search"]["group_folds"] == 6


def _all_content_validation(folder):
    """A dataset whose training split holds both classes and validation split content only."""
    rng = random.Random(0)
    splits = {split: [row for i in range(count) for row in toy_article(
        rng, "toy", f"{split}{i}", f"{split}-site{i}")]
        for split, count in (("train", 6), ("validation", 2))}
    for row in splits["validation"]:
        row["content"] = 1
    write_dataset(folder / "data", splits)


@pytest.fixture
def no_fitting(monkeypatch):
    def fail(cfg):
        raise AssertionError("a model was built: the check came after the fit")
    monkeypatch.setattr("trainer.train.build_model", fail)


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibrating_on_a_validation_split_of_one_class_is_refused_before_fitting(
        tmp_path, no_fitting, method):
    _all_content_validation(tmp_path)
    cfg = load_train_config(write_config(tmp_path), [f'calibration.method="{method}"',
                                                     'threshold.policy="fixed"'])
    with pytest.raises(ValueError, match=r"content: the validation split has no boilerplate rows "
                                         r"to calibrate on .*all its 16 labelled rows are "
                                         r"content; label articles from more sites, or set "
                                         r"calibration\.method = \"none\""):
        train(cfg)
    assert not (tmp_path / "model").exists()


def test_a_threshold_on_a_validation_split_of_one_class_is_refused_naming_the_class(
        tmp_path, no_fitting):
    _all_content_validation(tmp_path)
    with pytest.raises(ValueError) as refused:
        train(load_train_config(write_config(tmp_path)))
    assert str(refused.value) == (
        "cannot choose a threshold by max_f1 (threshold.policy): the labelled rows of the "
        "validation split hold no boilerplate row, only 16 content ones; label articles from "
        "more sites, or set threshold.policy = \"fixed\" (the threshold is then threshold.value)")


def test_a_threshold_error_blames_threshold_sources_when_they_leave_out_a_class():
    validation = ([1, 0, 1, 1], [0.9, 0.2, 0.8, 0.7], ["a", "a", "b", "b"], [""] * 4)
    policy = {"policy": "max_f1", "value": 0.5, "sources": ["b"], "by_kind": False,
              "chosen_on": {}}
    with pytest.raises(ValueError, match=r"the labelled rows of the validation split from "
                                         r"threshold\.sources \(b\) hold no negative row, "
                                         r"only 2 positive ones; the other sources' rows there "
                                         r"hold both classes: add some of those sources to "
                                         r"threshold\.sources$"):
        choose_thresholds(policy, {"validation": validation})


def test_a_threshold_per_page_kind_error_names_the_kind_and_the_rows():
    folds = ([1, 1, 0, 1], [0.9, 0.8, 0.2, 0.7], ["a"] * 4,
             ["transcript", "transcript", "article", "article"])
    policy = {"policy": "max_f1", "value": 0.5, "sources": [], "by_kind": True,
              "chosen_on": {"spoken": "training_folds", "written": "training_folds"}}
    with pytest.raises(ValueError, match=r"the labelled rows of spoken pages in the training "
                                         r"rows' out-of-fold scores hold no negative row, only "
                                         r"2 positive ones; label articles from more sites"):
        choose_thresholds(policy, {"training_folds": folds})


def test_sources_are_named_by_the_build_configs_tables_not_their_adapters(tmp_path):
    # Rows of an annotated source are named after its table: its adapter's name reaches none.
    rng = random.Random(0)
    splits = {split: [row for i in range(6) for row in toy_article(
        rng, SOURCES[i % 2], f"{split}{i}", f"{split}-site{i}")]
        for split in ("train", "validation")}
    write_dataset(tmp_path / "data", splits,
                  sources={name: {"adapter": "annotated", "path": name} for name in SOURCES})
    config = write_config(tmp_path)
    load_train_config(config, [f"weights.sources.{SOURCES[0]}=2.0"])
    with pytest.raises(ConfigError, match=r"weights\.sources: no source 'annotated' in the "
                                          r"dataset"):
        load_train_config(config, ["weights.sources.annotated=2.0"])
