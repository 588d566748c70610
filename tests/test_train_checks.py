"""Training refuses, up front and naming the key, what it would otherwise ignore or crash on."""

import pytest

from test_train import toy_dataset, write_config
from trainer.config import ConfigError
from trainer.train import load_train_config


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checks")
    toy_dataset(folder / "data")
    return folder


def test_search_params_without_a_search_method_are_refused_naming_both_keys(workspace):
    with pytest.raises(ConfigError, match=r"content-model\.toml: search\.params: given, but "
                                          r"search\.method = 'none' searches nothing"):
        load_train_config(write_config(workspace), ["search.params.alpha=[1e-4]"])
