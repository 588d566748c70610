"""Training refuses, up front and naming the key, what it would otherwise ignore or crash on."""

import logging
import random

import pytest

from test_train import toy_article, toy_dataset, write_config, write_dataset
from trainer.bundle import load_bundle
from trainer.config import ConfigError
from trainer.train import load_train_config, train


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
