import json
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datasets import Dataset, DatasetDict
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.bundle import load_bundle
from trainer.config import ConfigError
from trainer.rows import COLUMNS, FEATURES, UNKNOWN, article_rows
from trainer.segment import Article, segment_text
from trainer.train import crop_articles, load_rows, load_train_config, sample_debates, train

PROSE = [
    "The council approved the new budget on Tuesday after a long debate about the schools.",
    "Residents said the changes would make the park safer for children and older people.",
    "Officials reported that 4,200 homes lost power during the storm that hit last week.",
    "The museum will reopen in spring with a larger gallery for local artists and students.",
    "Researchers found that the river level rose by 12 percent compared with the year before.",
    "Many visitors enjoy walking along the old harbour wall in the early evening light.",
    "The company said it hired 350 workers in 2023 and plans to open two more factories.",
    "Local farmers have planted more beans this season because the weather stayed mild.",
]
NAV = ["Home", "About us", "Contact", "Subscribe to our newsletter", "Share on Facebook",
       "Privacy policy | Terms", "© 2024 Example News", "Sign in", "Menu", "Read more"]
SOURCES = ("toy", "other")


def toy_article(rng: random.Random, source: str, name: str, group: str) -> list[dict]:
    """Menus around prose: prose is content, and a claim when it holds a number."""
    prose = [" ".join(rng.sample(PROSE, 2)) for _ in range(3)]
    lines = rng.sample(NAV, 3) + prose + rng.sample(NAV, 2)
    text = "\n".join(lines)
    rows = article_rows(Article("text", text, segment_text(text)), source=source,
                        article_id=f"{source}:{name}", group=group, page_type="article")
    for row, line in zip(rows, lines):
        row["content"], row["content_origin"] = int(line in prose), "gold"
        if line in prose:
            row["claim"] = int(any(c.isdigit() for c in line))
            row["claim_origin"] = "gold"
    return rows


def write_dataset(folder: Path, splits: dict[str, list[dict]], sources: dict | None = None) -> Path:
    """A built dataset as `trainer build` leaves it: dataset/ and summary.json."""
    DatasetDict({split: Dataset.from_list(rows, features=FEATURES)
                 for split, rows in splits.items()}).save_to_disk(str(folder / "dataset"))
    names = {row["source"] for rows in splits.values() for row in rows}
    (folder / "summary.json").write_text(json.dumps({
        "sources": {name: {} for name in sorted(names)},
        "config": {"sources": sources or {name: {"path": ""} for name in sorted(names)}}}))
    return folder


def toy_dataset(folder: Path, seed: int = 0) -> Path:
    rng = random.Random(seed)
    splits = {}
    for split, count in (("train", 24), ("validation", 8), ("test", 8)):
        splits[split] = [row for i in range(count) for row in toy_article(
            rng, SOURCES[i % 2], f"{split}{i}", f"{split}-site{i % 6}")]
    return write_dataset(folder, splits)


CONFIG = """
task = "{task}"
input = "text"
seed = 7
[data]
path = "data"
[features]
blocks = ["words", "stats"]
[features.words]
n_features = 4096
[features.stats]
window = 1
[estimator]
name = "sgd"
params = {{ loss = "log_loss", class_weight = "balanced" }}
[context]
window = 1
folds = 3
blocks = ["position"]
[weights.sources]
toy = 2.0
[output]
path = "{output}"
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("train")
    toy_dataset(folder / "data")
    return folder


def write_config(folder: Path, task="content", output="model", extra="") -> Path:
    path = folder / f"{task}-{output}.toml"
    path.write_text(CONFIG.format(task=task, output=output) + extra)
    return path


def train_claims_by_kind(tmp_path: Path, extra: str = ""):
    """A claim model with a threshold per page kind, trained on the toy dataset where the
    "other" source's articles are debate transcripts; ``extra`` is more config."""
    from trainer.dataset import load_dataset

    toy_dataset(tmp_path / "toy")
    splits = {split: rows.to_list() for split, rows in load_dataset(tmp_path / "toy").items()}
    for rows in splits.values():
        for row in rows:
            if row["source"] == "other":
                row["page_type"] = "transcript"
    write_dataset(tmp_path / "data", splits)
    extra += '[threshold]\nby_kind = true\nchosen_on = { spoken = "training_folds" }\n'
    return train(load_train_config(write_config(tmp_path, task="claim", output="claim",
                                                extra=extra)))


def test_train_learns_the_signal_and_stores_threshold_and_config(workspace):
    cfg = load_train_config(write_config(workspace, extra='[search]\nmethod = "grid"\n'
                                                         'params = { alpha = [1e-4, 1e-3] }\n'
                                                         'folds = 3\n'))
    result = train(cfg)
    bundle = load_bundle(result["path"])
    assert bundle.manifest["threshold"] == pytest.approx(result["threshold"])
    assert bundle.manifest["config"] == json.loads(json.dumps(cfg))
    assert bundle.manifest["metrics"]["search"]["best_params"]["alpha"] in (1e-4, 1e-3)
    assert {s["name"] for s in bundle.manifest["sources"]} == set(SOURCES)
    assert (Path(result["path"]) / "plots" / "calibration.png").is_file()
    # Its threshold is chosen on validation rows: no out-of-fold scores are computed for it.
    assert bundle.manifest["metrics"]["training_folds"] is None
    report = (Path(result["path"]) / "report.md").read_text()
    assert "out of fold" not in report
    # What was fitted on the validation rows is said beside their scores.
    assert "but the threshold was chosen on these very rows, so the figures below flatter" \
        in report

    test = pd.DataFrame(load_train_rows(workspace, "test"))
    scores = bundle.model.predict_proba(test)[:, 1]
    predicted = scores >= bundle.threshold
    assert (predicted == (test["content"] == 1)).mean() >= 0.95

    # One article alone, rows shuffled and without label columns, scores the same.
    article = test[test["article_id"] == test["article_id"].iloc[0]]
    alone = article.sample(frac=1, random_state=0).drop(
        columns=["content", "claim", "content_origin", "claim_origin"])
    np.testing.assert_allclose(bundle.model.predict_proba(alone)[:, 1],
                               pd.Series(scores[article.index], index=article.index)[alone.index])


def _unlearnable(case: str) -> tuple[list[dict], list[dict]]:
    """Training and validation rows of a small dataset the model cannot learn from."""
    rng = random.Random(0)
    sites = "one-site" if case == "one site" else None
    rows = [row for i in range(6) for row in toy_article(rng, "toy", f"a{i}", sites or f"s{i}")]
    validation = rows
    if case in ("all content", "unlabelled"):
        for row in rows:
            row["content"] = 1 if case == "all content" else UNKNOWN
    if case == "unlabelled validation":
        validation = toy_article(rng, "toy", "v", "v-site")
        for row in validation:
            row["content"] = UNKNOWN
    return rows, validation


@pytest.mark.parametrize("case, message", [
    ("one site", r"the labelled training rows come from 1 site or document .* label articles "
                 r"from more sites"),
    ("all content", r"every labelled training row is content; the model needs examples of "
                    r"both boilerplate and content"),
    ("unlabelled", r"no training row is labelled for content; the model needs examples"),
    ("unlabelled validation", r"the validation split has no rows labelled for content .* give "
                              r"it a share"),
])
def test_unlearnable_training_data_is_refused_before_fitting_with_what_to_do(tmp_path, case,
                                                                            message):
    train_rows, validation_rows = _unlearnable(case)
    write_dataset(tmp_path / "data", {"train": train_rows, "validation": validation_rows})
    with pytest.raises(ValueError, match=f"content: {message}"):
        train(load_train_config(write_config(tmp_path)))


def test_an_html_model_learns_from_html_pages_only(workspace, tmp_path):
    # The toy articles are plain text: none is left to learn from.
    config = write_config(tmp_path, extra="").read_text().replace('input = "text"',
                                                                   'input = "html"')
    (tmp_path / "html.toml").write_text(config.replace('path = "data"',
                                                       f'path = "{workspace / "data"}"'))
    with pytest.raises(ValueError, match=r"content: the training split has no HTML page "
                                         r"labelled for content, and an HTML model .* learns "
                                         r"from HTML pages only"):
        train(load_train_config(tmp_path / "html.toml"))


def load_train_rows(workspace: Path, split: str) -> list[dict]:
    from trainer.dataset import load_dataset

    return load_dataset(workspace / "data")[split].to_list()


def test_training_is_deterministic_for_a_seed(workspace):
    first = train(load_train_config(write_config(workspace, task="claim", output="claim-a")))
    second = train(load_train_config(write_config(workspace, task="claim", output="claim-b")))
    test = pd.DataFrame(load_train_rows(workspace, "test"), columns=list(COLUMNS))
    a = load_bundle(first["path"]).model.predict_proba(test)
    b = load_bundle(second["path"]).model.predict_proba(test)
    np.testing.assert_array_equal(a, b)
    assert first["threshold"] == second["threshold"]


@pytest.mark.parametrize("overrides, key", [
    (['estimator.nmae="sgd"'], "estimator.nmae"),
    (['seed="seven"'], "seed"),
    (['data.path="missing"'], "data.path"),
    (['data.path="missing"', 'data.build="nowhere.toml"'], "data.build"),
    (["estimator.params.alpah=0.1"], "estimator.params.alpah"),
    (["estimator.params.alpha=-1"], "estimator.params"),
    (['estimator.name="magic"'], "estimator.name"),
    (['features.blocks=["words", "structure"]'], "features.blocks"),
    (['context.blocks=["slots"]'], "context.blocks"),
    (["weights.sources.nowhere=2.0"], "weights.sources"),
    (['data.unlabel_before_content=["nowhere"]'], "data.unlabel_before_content"),
    (['search.method="grid"'], "search.params"),
    (['search.method="grid"', 'search.params.alpha=[1e-5, -1.0]'], r"search.params.alpha\[1\]"),
    (['search.method="random"', 'search.params.loss=["nope"]'], r"search.params.loss\[0\]"),
    (['threshold.policy="best"'], "threshold.policy"),
    (["data.debate_samples.copies=-1"], "data.debate_samples.copies"),
    (["data.debate_samples.share=0"], "data.debate_samples.share"),
    (["data.debate_samples.share=1.5"], "data.debate_samples.share"),
    (["data.debate_samples.weight=0"], "data.debate_samples.weight"),
    (["data.debate_samples.copy=2"], "data.debate_samples.copy"),
    (["data.crops=-1"], "data.crops"),
    (["features.words.ngram_max=0"], "features.words.ngram_max"),
    (["features.words.n_features=0"], "features.words.n_features"),
    (["features.chars.ngram_min=6"], "features.chars.ngram_min"),
    (["features.stats.window=-1"], "features.stats.window"),
    (["features.stats.window=100000"], "features.stats.window"),
    (["features.markup_tokens.min_tag_count=0"], "features.markup_tokens.min_tag_count"),
    (["context.window=21"], "context.window"),
    (["context.folds=1"], "context.folds"),
    (["search.n_iter=0"], "search.n_iter"),
    (["seed=-1"], "seed"),
    (["weights.sources.wcxb=-1.0"], "weights.sources.wcxb"),
    (["threshold.value=1.5"], "threshold.value"),
    (["threshold.value=nan"], "threshold.value"),
    (["data.debate_samples.share=nan"], "data.debate_samples.share"),
    (["weights.sources.wcxb=inf"], "weights.sources.wcxb"),
    (['context.blocks=["words"]'], "context.blocks"),
])
def test_config_errors_name_the_key(workspace, overrides, key):
    path = write_config(workspace, output="bad")
    with pytest.raises(ConfigError, match=rf"content-bad\.toml: .*{key.replace('.', '[.]')}"):
        load_train_config(path, overrides)


def test_unknown_table_in_the_file_is_named(workspace):
    path = write_config(workspace, output="typo", extra="[thresold]\npolicy = \"fixed\"\n")
    with pytest.raises(ConfigError, match="unknown key 'thresold'"):
        load_train_config(path)


def test_rows_before_the_first_content_paragraph_lose_their_label_in_the_named_sources(
        workspace):
    plain = load_rows(workspace / "data", "train", "content")
    unlabelled = load_rows(workspace / "data", "train", "content", unlabel_before_content=["toy"])
    first = plain["index"].where(plain["content"] == 1).groupby(plain["article_id"]) \
        .transform("min")
    head = (plain["source"] == "toy") & (plain["index"] < first)
    assert head.sum() == 3 * plain.loc[plain["source"] == "toy", "article_id"].nunique()
    assert (unlabelled.loc[head, "content"] == UNKNOWN).all()
    assert (plain.loc[head, "content"] == 0).all()  # the toy pages open with menus
    pd.testing.assert_frame_equal(unlabelled[~head], plain[~head])
    assert unlabelled.drop(columns="content").equals(plain.drop(columns="content"))


@settings(max_examples=50, deadline=None)
@given(labels=st.lists(st.lists(st.sampled_from([0, 1, -1]), min_size=1, max_size=12),
                       min_size=1, max_size=5),
       copies=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_crops_run_from_the_first_content_paragraph_past_the_last(labels, copies, seed):
    frame = pd.DataFrame([{"article_id": f"a{a}", "group": f"site{a}", "index": i,
                           "n_paragraphs": len(page), "content": label, "text": f"a{a} p{i}"}
                          for a, page in enumerate(labels) for i, label in enumerate(page)])
    shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    out = crop_articles(shuffled, copies, seed)
    pd.testing.assert_frame_equal(out.iloc[:len(frame)], shuffled)
    crops = out.iloc[len(frame):]
    assert crops["article_id"].nunique() == copies * len(labels)  # no article is cropped away
    for crop_id, crop in crops.groupby("article_id"):
        original, _ = crop_id.split("#crop")
        page = labels[int(original[1:])]
        kept = sorted(int(t.split(" p")[1]) for t in crop["text"])
        assert kept == list(range(kept[0], kept[-1] + 1))  # one contiguous run
        content = [i for i, label in enumerate(page) if label == 1]
        if content:  # from the first content paragraph, keeping all of them
            assert kept[0] == content[0] and kept[-1] >= content[-1]
        else:
            assert kept[0] == 0
        # Of the boilerplate after the last content paragraph, less than half is cut off.
        after = len(page) - 1 - (content[-1] if content else -1)
        cut = len(page) - 1 - kept[-1]
        assert cut < -(-after // 2) or cut == after == 0
        assert sorted(crop["index"]) == list(range(len(crop)))
        assert (crop["n_paragraphs"] == len(crop)).all()
        assert (crop["group"] == f"site{original[1:]}").all()


def test_per_kind_thresholds_are_chosen_stored_and_reported(tmp_path):
    result = train_claims_by_kind(tmp_path)
    bundle = load_bundle(result["path"])
    thresholds = bundle.manifest["thresholds"]
    assert set(thresholds) == {"spoken", "written"} == set(result["thresholds"])
    assert bundle.threshold == thresholds["written"] == result["threshold"]
    assert not hasattr(bundle.model, "oof_proba_")  # used for the thresholds, not saved
    metrics = bundle.manifest["metrics"]
    for split in ("validation", "training_folds"):
        per_source = metrics[split]["per_source"]
        assert per_source["other"]["threshold"] == pytest.approx(thresholds["spoken"])
        assert per_source["toy"]["threshold"] == pytest.approx(thresholds["written"])
    assert metrics["training_folds"]["overall"]["n"] == result["metrics"]["training"][
        "labelled_rows"]
    assert "spoken on training folds" in (Path(result["path"]) / "report.md").read_text()


def test_choose_thresholds_per_kind_on_the_rows_each_kind_names():
    from trainer.train import choose_thresholds

    # Validation: spoken rows separate at 0.8, written at 0.3; the training folds' spoken rows
    # separate at 0.6 and their written rows at 0.5.
    validation = ([1, 0, 1, 0], [0.8, 0.7, 0.3, 0.2], ["a", "a", "b", "b"],
                  ["transcript", "transcript", "article", ""])
    folds = ([1, 0, 1, 0, -1], [0.6, 0.5, 0.5, 0.1, 0.9], ["a", "a", "b", "b", "b"],
             ["transcript", "transcript", "article", "article", "article"])
    rows = {"validation": validation, "training_folds": folds}
    policy = {"policy": "max_f1", "value": 0.5, "sources": [], "by_kind": True,
              "chosen_on": {"spoken": "validation", "written": "validation"}}
    assert choose_thresholds(policy, rows) == (0.3, {"spoken": 0.8, "written": 0.3})
    policy["chosen_on"] = {"spoken": "training_folds", "written": "both"}
    # written on both: scores 0.3 and 0.5 are claims, 0.2 and 0.1 not (the -1 row is context).
    assert choose_thresholds(policy, rows) == (0.3, {"spoken": 0.6, "written": 0.3})
    assert choose_thresholds(dict(policy, by_kind=False), rows) == (0.3, {})


def test_out_of_fold_probabilities_come_from_stage_2_models_that_never_saw_the_row(tmp_path):
    """A stage 2 that memorises its training rows (a full decision tree) must not score them:
    the thresholds chosen on training folds would see perfect scores."""
    from sklearn.tree import DecisionTreeClassifier

    from trainer.dataset import load_dataset
    from trainer.pipelines import build_model

    rows = load_dataset(toy_dataset(tmp_path / "data"))["train"].to_pandas()
    y = rows["content"].to_numpy().copy()
    flipped = np.random.default_rng(0).random(len(y)) < 0.2
    y[flipped] = 1 - y[flipped]
    model = build_model(load_train_config(write_config(tmp_path)))
    model.set_params(final_estimator=DecisionTreeClassifier(random_state=0), out_of_fold=True)
    model.fit(rows, y)
    # Scored in sample, the tree would give the flipped labels back; out of fold, mostly not.
    agrees = (model.oof_proba_ >= 0.5) == (y == 1)
    assert agrees[~flipped].mean() > 0.6
    assert agrees[flipped].mean() < 0.5


@pytest.mark.parametrize("attribute", ["out_of_fold", "spans"])
def test_models_pickled_before_an_option_existed_load_with_it_off(tmp_path, attribute):
    import pickle

    from trainer.dataset import load_dataset
    from trainer.pipelines import build_model

    rows = load_dataset(toy_dataset(tmp_path / "data"))["train"].to_pandas()
    model = build_model(load_train_config(write_config(tmp_path))).fit(rows, rows["content"])
    expected = model.predict_proba(rows)
    delattr(model, attribute)  # as pickled by an older version
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.get_params()[attribute] is False
    np.testing.assert_array_equal(loaded.predict_proba(rows), expected)


def _spans_one_article(scores: np.ndarray, window: int) -> np.ndarray:
    """The span columns of one article in reading order, paragraph by paragraph."""
    scores = np.clip(scores, -30, 30)
    probability = 1 / (1 + np.exp(-scores))
    rows = []
    for i in range(len(scores)):
        before, after = probability[:i].sum(), probability[i + 1:].sum()
        far_before, far_after = scores[:max(i - window, 0)], scores[i + window + 1:]
        rows.append([before / probability.sum(), after / probability.sum(), np.log1p(before),
                     np.log1p(after), far_before.max(initial=-30), far_after.max(initial=-30)])
    return np.array(rows).reshape(-1, 6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(-40, 40), min_size=1, max_size=12), min_size=1, max_size=5),
       st.integers(0, 3), st.randoms(use_true_random=False))
def test_span_columns_are_each_articles_own_in_any_row_order(articles, window, rng):
    from trainer.pipelines import _span_columns

    rows = [(f"a{k}", position, score) for k, scores in enumerate(articles)
            for position, score in enumerate(scores)]
    rng.shuffle(rows)
    names, positions, scores = (np.array(column) for column in zip(*rows))
    columns = np.column_stack(_span_columns(names, positions, scores.astype(float), window))
    for k, article in enumerate(articles):
        mine = names == f"a{k}"
        in_order = np.argsort(positions[mine])
        np.testing.assert_allclose(columns[mine][in_order],
                                   _spans_one_article(np.array(article), window), atol=1e-9)
        # A page scored alone gets the very same values as in any batch.
        alone = np.column_stack(_span_columns(names[mine], positions[mine],
                                              scores[mine].astype(float), window))
        np.testing.assert_array_equal(alone, columns[mine])


def test_seed_scores_are_each_seeds_own_training_summarised(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ beside trainer/
    from benchmarks.seeds import seed_scores, summarise
    from trainer.dataset import load_dataset

    # A third of the labels flipped, so that the seed makes a difference.
    rng = random.Random(0)
    splits = {split: rows.to_list()
              for split, rows in load_dataset(toy_dataset(tmp_path / "toy")).items()}
    for rows in splits.values():
        for row in rows:
            if rng.random() < 0.35:
                row["content"] = 1 - row["content"]
    write_dataset(tmp_path / "data", splits)
    config = write_config(tmp_path)
    runs = seed_scores(config, [0, 1])
    assert runs[0] != runs[1]
    for seed, run in runs.items():
        cfg = load_train_config(config, [f"seed={seed}",
                                         f'output.path="{tmp_path / f"check-{seed}"}"'])
        expected = train(cfg)["metrics"]["validation"]
        assert run["all"] == (expected["overall"]["per_class"]["content"]["f1"],
                              expected["overall"]["pr_auc"])
        assert set(run) == {"all", *(f"source {s}" for s in expected["per_source"]),
                            *(f"page type {t}" for t in expected["per_page_type"])}
    rows = {row["rows"]: row for row in summarise(runs)}
    assert set(rows) == set(runs[0])
    f1 = [run["all"][0] for run in runs.values()]
    assert rows["all"]["f1"]["mean"] == pytest.approx(sum(f1) / 2)
    assert (rows["all"]["f1"]["min"], rows["all"]["f1"]["max"]) == (min(f1), max(f1))


@settings(max_examples=50, deadline=None)
@given(debates=st.lists(st.lists(st.sampled_from([0, 1, UNKNOWN]), min_size=1, max_size=30),
                        min_size=1, max_size=4),
       copies=st.integers(1, 4), share=st.sampled_from([0.3, 1.0]), seed=st.integers(0, 2**16))
def test_debate_samples_deal_each_labelled_sentence_into_one_copy_at_most(debates, copies,
                                                                         share, seed):
    frame = pd.DataFrame(
        [{"article_id": f"d{d}", "group": f"debate{d}", "page_type": "transcript", "index": i,
          "n_paragraphs": len(lines), "claim": label, "text": f"d{d} s{i}"}
         for d, lines in enumerate(debates) for i, label in enumerate(lines)]
        + [{"article_id": "web", "group": "site", "page_type": "article", "index": 0,
            "n_paragraphs": 1, "claim": 1, "text": "web s0"}])
    shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    out = sample_debates(shuffled, copies, share, seed, "claim")
    pd.testing.assert_frame_equal(out.iloc[:len(frame)], shuffled)
    pd.testing.assert_frame_equal(sample_debates(shuffled, copies, share, seed, "claim"), out)
    samples = out.iloc[len(frame):]
    # Labelled debate sentences only, each in one copy at most; every one of them with share 1.
    assert samples["text"].is_unique and not samples["text"].str.startswith("web").any()
    assert (samples["claim"] != UNKNOWN).all()
    labelled = frame.loc[(frame["claim"] != UNKNOWN) & (frame["article_id"] != "web"), "text"]
    assert set(samples["text"]) <= set(labelled)
    if share == 1.0:
        assert set(samples["text"]) == set(labelled)
    for sample_id, sample in samples.groupby("article_id"):
        debate, number = sample_id.split("#sample")
        assert 1 <= int(number) <= copies
        assert (sample["group"] == f"debate{debate[1:]}").all()
        spoken = [int(t.split(" s")[1]) for t in sample.sort_values("index")["text"]]
        assert spoken == sorted(spoken)  # in spoken order, renumbered
        assert sorted(sample["index"]) == list(range(len(sample)))
        assert (sample["n_paragraphs"] == len(sample)).all()


def test_debate_samples_train_but_are_not_scored_as_training_rows(tmp_path):
    plain = train_claims_by_kind(tmp_path / "plain")["metrics"]
    sampled = train_claims_by_kind(tmp_path / "sampled", "[data.debate_samples]\ncopies = 2\n"
                                                        "share = 1.0\nweight = 0.5\n")["metrics"]
    spoken = plain["training"]["rows_per_source"]["other"]  # every debate sentence is labelled
    assert sampled["training"]["labelled_rows"] == plain["training"]["labelled_rows"] + spoken
    assert sampled["training"]["rows_per_source"]["other"] == 2 * spoken
    assert sampled["training_folds"]["overall"]["n"] == plain["training_folds"]["overall"]["n"]


def test_include_validation_fits_those_rows_and_scores_them_out_of_fold(tmp_path):
    """With data.include_validation the validation split is fitted too; its metrics, the
    calibration and the threshold come from out-of-fold scores. Validation labels turned
    upside down show both: the model learns them (test accuracy falls) and its validation
    scores are not its own fit of them (they stay upside down)."""
    from trainer.dataset import load_dataset

    splits = {split: rows.to_list()
              for split, rows in load_dataset(toy_dataset(tmp_path / "toy")).items()}
    for row in splits["validation"]:
        row["content"] = 1 - row["content"]
    write_dataset(tmp_path / "data", splits)
    plain = train(load_train_config(write_config(tmp_path, output="plain")))
    both = train(load_train_config(write_config(tmp_path, output="both"),
                                   ["data.include_validation=true"]))
    n_validation = len(splits["validation"])
    training = both["metrics"]["training"]
    assert training["includes_validation"] and not plain["metrics"]["training"][
        "includes_validation"]
    assert training["labelled_rows"] == plain["metrics"]["training"]["labelled_rows"] \
        + n_validation
    assert both["metrics"]["validation"]["overall"]["n"] == n_validation
    assert both["metrics"]["training_folds"]["overall"]["n"] == len(splits["train"])
    # Scored out of fold, the upside-down validation rows still look upside down.
    assert both["metrics"]["validation"]["overall"]["pr_auc"] < 0.5
    # Calibrated on those scores, the best a monotone map can do is a constant: the share of
    # content rows (5 of 8 upside down) as average precision.
    calibrated = train(load_train_config(
        write_config(tmp_path, output="calibrated", extra='[calibration]\nmethod = "isotonic"\n'),
        ["data.include_validation=true"]))
    assert calibrated["metrics"]["validation"]["overall"]["pr_auc"] <= 5 / 8 + 1e-9

    test = pd.DataFrame(splits["test"])
    accuracy = {name: ((load_bundle(result["path"]).model.predict_proba(test)[:, 1]
                        >= result["threshold"]) == (test["content"] == 1)).mean()
                for name, result in (("plain", plain), ("both", both))}
    assert accuracy["both"] < accuracy["plain"]
    assert "also fitted on these rows" in (Path(both["path"]) / "report.md").read_text()
