import pytest

from trainer.config import ConfigError, Option, apply_overrides, load_config, parse_override

SCHEMA = {
    "model": {"C": Option(float, 1.0), "kind": Option(str, "linear", choices=("linear", "tree"))},
    "data": {"path": Option(str, path=True)},
    "sources": {"*": {"path": Option(str, path=True), "weight": Option(float, 1.0)}},
}


def write(tmp_path, text):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def test_defaults_types_and_relative_paths(tmp_path):
    cfg = load_config(write(tmp_path, '[data]\npath = "d"\n[sources.a]\npath = "x"\n'), SCHEMA)
    assert cfg["model"] == {"C": 1.0, "kind": "linear"}
    assert cfg["data"]["path"] == str(tmp_path / "d")
    assert cfg["sources"]["a"] == {"path": str(tmp_path / "x"), "weight": 1.0}


def test_overrides_parse_toml_values():
    assert parse_override("model.C=2") == (["model", "C"], 2)
    assert parse_override("a.b = [1, 2]") == (["a", "b"], [1, 2])
    assert parse_override("name=hello world") == (["name"], "hello world")
    assert apply_overrides({"model": {"C": 1}}, ["model.C=0.5"]) == {"model": {"C": 0.5}}
    with pytest.raises(ConfigError, match="dotted.key=value"):
        parse_override("novalue")


def test_set_overrides_file_values(tmp_path):
    path = write(tmp_path, '[data]\npath = "d"\n[model]\nC = 3.0\n')
    assert load_config(path, SCHEMA, ["model.C=0.25"])["model"]["C"] == 0.25


@pytest.mark.parametrize("text, message", [
    ('[data]\npath = "d"\n[model]\nGamma = 1\n', "unknown key 'model.Gamma'"),
    ('[data]\npath = "d"\n[model]\nC = "big"\n', "model.C: expected float"),
    ('[data]\npath = "d"\n[model]\nkind = "forest"\n', "model.kind: 'forest' is not one of"),
    ('[model]\nC = 1\n', "missing required key 'data.path'"),
    ('[data]\npath = 3\n', "data.path: expected str"),
    ('[data\npath = "d"\n', "invalid TOML"),
    ('data = 1\n', "data: expected a table"),
    ('[data]\npath = "d"\n[model]\nC = nan\n', "model.C: must be a finite number, got nan"),
    ('[data]\npath = "d"\n[model]\nC = -inf\n', "model.C: must be a finite number, got -inf"),
])
def test_errors_name_the_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, SCHEMA)
    assert str(path) in str(info.value)


def test_a_byte_order_mark_is_skipped_and_other_encodings_refused(tmp_path):
    path = tmp_path / "windows.toml"
    path.write_bytes('\ufeff# Notepad\n[data]\npath = "d"\n'.encode("utf-8"))
    assert load_config(path, SCHEMA)["data"]["path"] == str(tmp_path / "d")
    path.write_bytes('# café\n[data]\npath = "d"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"windows\.toml: not UTF-8 text \(invalid "
                                          r"continuation byte at byte 5\)"):
        load_config(path, SCHEMA)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.toml: config file not found"):
        load_config(tmp_path / "nope.toml", SCHEMA)
