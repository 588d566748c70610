import json
import os

import pytest
from hypothesis import given, settings, strategies as st

from trainer.config import ConfigError
from trainer.corpora import ADAPTERS
from trainer.dataset import SPLITS, build, load_build_config, load_dataset, split_of
from trainer.rows import FEATURES, article_rows
from trainer.segment import Article, segment_text


def _toy_adapter(options, log):
    """Twenty small articles on eight sites; one article is reported as skipped."""
    for i in range(20):
        text = f"Menu\nStory {i} says the river rose by {i} metres.\nCopyright"
        rows = article_rows(Article("text", text, segment_text(text)), source="toy",
                            article_id=f"toy:{i}", group=f"site{i % 8}.example")
        for row in rows:
            row["content"] = int(row["text"].startswith("Story"))
            row["content_origin"] = "gold"
        yield rows
    log.skip("toy", "page-99", "missing html", "site3.example", "article")


def _pinned_adapter(options, log):
    """Sentences of one debate that the corpus pins to two splits."""
    for i, split in enumerate(["test", "validation"]):
        text = f"Sentence {i} is pinned to the {split} split."
        rows = article_rows(Article("text", text, segment_text(text)), source="pinned",
                            article_id=f"pinned:{i}", group="debate-1")
        rows[0]["claim"], rows[0]["claim_origin"], rows[0]["split"] = 1, "gold", split
        yield rows


@pytest.fixture
def toy_config(tmp_path, monkeypatch):
    monkeypatch.setitem(ADAPTERS, "toy", _toy_adapter)
    monkeypatch.setitem(ADAPTERS, "pinned", _pinned_adapter)
    path = tmp_path / "data.toml"
    path.write_text('[output]\npath = "out"\n[split]\nseed = 1\nvalidation = 0.25\ntest = 0.25\n'
                    '[sources.toy]\npath = "."\n[sources.pinned]\npath = "."\n')
    return path


def test_build_splits_by_group_and_writes_everything(toy_config, tmp_path):
    dataset = build(load_build_config(toy_config))
    assert set(dataset) == set(SPLITS)
    assert sum(len(d) for d in dataset.values()) == 20 * 3 + 2
    assert dataset["train"].features == FEATURES
    sites = {s: set(dataset[s]["group"]) for s in SPLITS}
    assert not sites["train"] & sites["validation"]
    assert not sites["train"] & sites["test"]
    assert not sites["validation"] - {"debate-1"} & sites["test"]
    assert "debate-1" in sites["test"]
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    # Pinned groups shared by splits are listed, apart from hashed ones (which never are).
    assert summary["groups_in_several_splits"] == []
    assert summary["pinned_groups_in_several_splits"] == ["debate-1"]
    assert "- debate-1" in (out / "summary.md").read_text()
    assert summary["skipped"] == {"toy: missing html": 1}
    assert summary["sources"]["toy"]["train"]["content=content"] == len(
        [r for r in dataset["train"] if r["source"] == "toy" and r["content"] == 1])
    assert (out / "parquet" / "train.parquet").exists()
    skipped = json.loads((out / "skipped.jsonl").read_text())
    # A whole page skipped is dealt to the split its site's rows went to.
    assert skipped["item"] == "page-99"
    assert skipped["split"] == split_of("site3.example", 1, 0.25, 0.25)
    assert "site3.example" in sites[skipped["split"]]
    reloaded = load_dataset(out)
    assert reloaded["test"]["text"] == dataset["test"]["text"]


def test_build_is_deterministic_and_replaces_atomically(toy_config, tmp_path):
    first = build(load_build_config(toy_config))
    second = build(load_build_config(toy_config))
    for split in SPLITS:
        assert first[split]["article_id"] == second[split]["article_id"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_a_folder_that_is_not_a_build_is_never_replaced(toy_config, tmp_path):
    # A user's own folder (their labelled data, say) given as the output is refused whole.
    mine = tmp_path / "out"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    with pytest.raises(ValueError, match=r"out: exists and is not a built dataset; refusing"):
        build(load_build_config(toy_config))
    assert (mine / "notes.txt").read_text() == "precious"
    (mine / "notes.txt").unlink()  # an empty folder may be filled
    build(load_build_config(toy_config))
    assert (mine / "summary.json").is_file()


def test_a_built_dataset_is_readable_as_the_umask_allows(toy_config, tmp_path):
    previous = os.umask(0o022)
    try:
        build(load_build_config(toy_config))
    finally:
        os.umask(previous)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


def test_failed_build_leaves_previous_output(toy_config, tmp_path, monkeypatch):
    build(load_build_config(toy_config))

    def broken(options, log):
        yield from _toy_adapter(options, log)
        raise RuntimeError("corpus went away")

    monkeypatch.setitem(ADAPTERS, "toy", broken)
    with pytest.raises(RuntimeError):
        build(load_build_config(toy_config))
    assert load_dataset(tmp_path / "out")["train"].num_rows > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_config_errors(toy_config, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[sources.toy]\npath = "."\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="unknown key 'sources.toy.colour'"):
        load_build_config(bad)
    with pytest.raises(ConfigError, match=r"data\.toml: sources\.x\.adapter: unknown adapter 'nope'"):
        load_build_config(toy_config, ['sources.x.adapter="nope"', 'sources.x.path="."'])
    with pytest.raises(ConfigError, match=r"sources\.nope: unknown adapter 'nope'"):
        load_build_config(toy_config, ['sources.nope.path="."'])
    for share in ("-0.1", "1.5"):
        with pytest.raises(ConfigError, match=r"split\.test: must be"):
            load_build_config(toy_config, [f"split.test={share}"])
    with pytest.raises(ConfigError, match="split: validation and test shares add up to 1.2"):
        load_build_config(toy_config, ["split.test=0.6", "split.validation=0.6"])
    bad.write_text('[output]\npath = "out"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: sources: no corpus to read"):
        load_build_config(bad)


def test_a_folder_without_a_built_dataset_is_named(tmp_path):
    for folder in (tmp_path / "missing", tmp_path):
        with pytest.raises(FileNotFoundError, match=f"{folder}: no built dataset here"):
            load_dataset(folder)


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=50), st.integers(0, 99))
@settings(max_examples=100, deadline=None)
def test_split_is_a_function_of_group_and_seed(groups, seed):
    assigned = {}
    for g in groups:
        s = split_of(g, seed, 0.15, 0.2)
        assert s in SPLITS
        assert assigned.setdefault(g, s) == s


def test_split_fractions_are_respected():
    counts = {s: 0 for s in SPLITS}
    for i in range(5000):
        counts[split_of(f"site{i}", 7, 0.15, 0.2)] += 1
    assert abs(counts["test"] / 5000 - 0.2) < 0.03
    assert abs(counts["validation"] / 5000 - 0.15) < 0.03
