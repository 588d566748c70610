"""Build the labelled paragraph dataset from corpus adapters, split by site or document.

``build(config)`` streams every configured corpus through its adapter, assigns each article to
train / validation / test by a seeded hash of its group (site (registrable domain) or source document, never
the paragraph), writes each split to Parquet as it goes, and saves a ``datasets.DatasetDict``
with ``save_to_disk`` beside a summary of rows and label balance per source and split.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Dataset, DatasetDict, load_from_disk

from .config import ConfigError, Option, load_config
from .corpora import BuildLog, load_adapters
from .rows import CLAIM_LABELS, COLUMNS, CONTENT_LABELS, features

SPLITS = ("train", "validation", "test")
_BATCH_ROWS = 4096

SOURCE_SCHEMA = {
    "adapter": Option(str, "", help="adapter name; defaults to the table's name"),
    "path": Option(str, path=True),
    "claims": Option(str, "", path=True, help="claim labels to join (wcxb, scrapinghub)"),
    "claimbuster": Option(str, "", path=True, help="ClaimBuster folder for debate context"),
    "page_types": Option(list, []),
    "enabled": Option(bool, True),
}
BUILD_SCHEMA = {
    "output": {"path": Option(str, "build/data", path=True), "parquet": Option(bool, True)},
    "split": {
        "seed": Option(int, 13),
        "validation": Option(float, 0.15, low=0.0, high=1.0, help="share of groups"),
        "test": Option(float, 0.2, low=0.0, high=1.0, help="share of groups"),
    },
    "sources": {"*": SOURCE_SCHEMA},
}


def split_of(group: str, seed: int, validation: float, test: float) -> str:
    """Deterministic split for a group: a seeded hash mapped to [0, 1)."""
    digest = hashlib.blake2b(f"{seed}\0{group}".encode(), digest_size=8).digest()
    u = int.from_bytes(digest, "big") / 2**64
    if u < test:
        return "test"
    return "validation" if u < test + validation else "train"


class _SplitWriter:
    """Buffers rows per split and appends them to one Parquet file per split."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.schema = features().arrow_schema
        self.rows: Counter = Counter()
        self.buffers: dict[str, list[dict]] = defaultdict(list)
        self.writers: dict[str, pq.ParquetWriter] = {}

    def add(self, split: str, rows: list[dict]) -> None:
        buffer = self.buffers[split]
        buffer.extend(rows)
        self.rows[split] += len(rows)
        if len(buffer) >= _BATCH_ROWS:
            self._write(split)

    def _write(self, split: str) -> None:
        rows = self.buffers[split]
        if not rows:
            return
        table = pa.Table.from_pydict({c: [r[c] for r in rows] for c in COLUMNS}, schema=self.schema)
        if split not in self.writers:
            self.writers[split] = pq.ParquetWriter(self.folder / f"{split}.parquet", self.schema)
        self.writers[split].write_table(table)
        rows.clear()

    def close(self) -> None:
        for split in SPLITS:
            self._write(split)
            if split not in self.writers:  # an empty split still gets a (typed) file
                pq.write_table(self.schema.empty_table(), self.folder / f"{split}.parquet")
        for writer in self.writers.values():
            writer.close()

    def dataset(self, split: str, cache_dir: Path) -> Dataset:
        if not self.rows[split]:
            return Dataset.from_dict({c: [] for c in COLUMNS}, features=features())
        return Dataset.from_parquet(str(self.folder / f"{split}.parquet"), features=features(),
                                    cache_dir=str(cache_dir))


def _count(summary: dict, source: str, split: str, rows: list[dict]) -> None:
    entry = summary.setdefault(source, {}).setdefault(split, Counter())
    entry["rows"] += len(rows)
    entry["articles"] += 1
    for row in rows:
        entry["content=" + CONTENT_LABELS[row["content"]]] += 1
        entry["claim=" + CLAIM_LABELS[row["claim"]]] += 1


def build(config: dict, progress: bool = False) -> DatasetDict:
    """Build, save and return the dataset described by a validated build config."""
    started = time.perf_counter()
    _check_adapters(config, "build config")
    adapters = load_adapters()
    split_cfg = config["split"]
    output = Path(config["output"]["path"])
    if output.exists() and not _is_replaceable(output):
        raise ValueError(f"{output}: exists and is not a built dataset; refusing to replace it "
                         f"(set output.path to a new folder or to an earlier build's)")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        (staging / "parquet").mkdir()
        log = BuildLog()
        writer = _SplitWriter(staging / "parquet")
        counts: dict = {}
        # Groups seen per split: those hashed to one, and those a corpus pinned to its
        # official splits (which may share a group, as CheckThat! 2024's dev sentences share
        # the training debates: worth seeing in the summary).
        groups_by_split = {"hashed": defaultdict(set), "pinned": defaultdict(set)}
        for name, options in config["sources"].items():
            if not options["enabled"]:
                continue
            # The table's name is the rows' source (adapters used once per corpus name their
            # rows after themselves; the annotated one, used for many sources, after the table).
            articles = adapters[options["adapter"] or name]({**options, "source": name}, log)
            if progress:
                from tqdm import tqdm
                articles = tqdm(articles, desc=name, unit=" articles", leave=False)
            for rows in articles:
                if not rows:
                    continue
                pinned = rows[0].get("split")
                split = pinned or split_of(rows[0]["group"], split_cfg["seed"],
                                           split_cfg["validation"], split_cfg["test"])
                groups_by_split["pinned" if pinned else "hashed"][split].add(rows[0]["group"])
                writer.add(split, rows)
                _count(counts, name, split, rows)
        writer.close()

        splits = DatasetDict({s: writer.dataset(s, staging / ".cache") for s in SPLITS})
        # datasets cannot load an empty split saved with zero shards: give those one.
        splits.save_to_disk(str(staging / "dataset"),
                            num_shards={s: 1 for s in SPLITS if not len(splits[s])} or None)
        shutil.rmtree(staging / ".cache", ignore_errors=True)
        if not config["output"]["parquet"]:
            shutil.rmtree(staging / "parquet")
        summary = {
            "rows": {s: len(splits[s]) for s in SPLITS},
            "sources": {src: {s: dict(c) for s, c in per.items()} for src, per in counts.items()},
            "stats": log.stats,
            "skipped": {f"{src}: {reason}": n for (src, reason), n in log.skip_counts().items()},
            "groups_in_several_splits": _shared_groups(groups_by_split["hashed"]),
            "pinned_groups_in_several_splits": _shared_groups(groups_by_split["pinned"]),
            "seconds": round(time.perf_counter() - started, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "config": config,
        }
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (staging / "summary.md").write_text(summary_markdown(summary))
        with (staging / "skipped.jsonl").open("w") as f:
            for item in log.skipped:
                if item.get("group"):  # a whole page: the split its rows would have had
                    item = {**item, "split": split_of(item["group"], split_cfg["seed"],
                                                      split_cfg["validation"], split_cfg["test"])}
                f.write(json.dumps(item) + "\n")
        # mkdtemp made the folder private; a dataset is read as any other folder the user makes.
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        _replace_dir(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return load_from_disk(str(output / "dataset"))


# Why a built dataset holds no rows of a page: the page itself could not be read into
# paragraphs (evaluation scores it as a page the model output nothing for; other tools may
# still read it), or there was nothing to score it against (it is left out for every system).
_UNREAD_PAGE_REASONS = ("no text blocks", "undecodable html")


def skipped_pages(path, splits, source: str) -> tuple[dict[str, str], dict[str, str]]:
    """Pages of ``source`` that the build of the dataset at ``path`` skipped whole, though
    their site falls in one of ``splits``: those our segmenter could not read (article id ->
    page type; scored as empty output) and the others (article id -> reason; left out for
    every system: no gold text, no HTML)."""
    unread, left_out = {}, {}
    skipped = Path(path) / "skipped.jsonl"
    if not skipped.is_file():
        return unread, left_out
    with skipped.open(encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            if item["source"] != source or item.get("split") not in splits:
                continue
            article, reason = f"{source}:{item['item']}", item["reason"]
            if reason.startswith(_UNREAD_PAGE_REASONS):
                unread[article] = item["page_type"]
            else:
                left_out[article] = reason.split(":")[0]
    return unread, left_out


def _shared_groups(groups_by_split: dict[str, set]) -> list[str]:
    seen: dict = {}
    shared = set()
    for split, groups in groups_by_split.items():
        for group in groups:
            if seen.setdefault(group, split) != split:
                shared.add(group)
    return sorted(shared)


def _is_replaceable(output: Path) -> bool:
    """Whether a build may replace ``output``: an empty folder, or an earlier build's."""
    if output.is_dir() and not any(output.iterdir()):
        return True
    return (output / "summary.json").is_file() and is_built(output)


def _replace_dir(staging: Path, output: Path) -> None:
    """Swap the finished build into place; the old one is removed only after the rename."""
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{os.getpid()}")
        os.replace(output, old)
    os.replace(staging, output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def summary_markdown(summary: dict) -> str:
    lines = ["# Dataset summary", "", f"Built in {summary['seconds']} s, peak RSS "
             f"{summary['peak_rss_mb']} MB.", "", "| source | split | articles | rows | content | "
             "boilerplate | content unknown | claim | non-claim |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for source, per in summary["sources"].items():
        for split in SPLITS:
            c = per.get(split)
            if not c:
                continue
            lines.append(
                f"| {source} | {split} | {c.get('articles', 0)} | {c.get('rows', 0)} | "
                f"{c.get('content=content', 0)} | {c.get('content=boilerplate', 0)} | "
                f"{c.get('content=unknown', 0)} | {c.get('claim=claim', 0)} | "
                f"{c.get('claim=non-claim', 0)} |")
    if summary["stats"]:
        lines += ["", "## Adapter measurements", ""]
        for source, stats in summary["stats"].items():
            lines.append(f"- **{source}**: " + ", ".join(f"{k} = {v}" for k, v in stats.items()))
    lines += ["", "## Skipped", ""]
    lines += [f"- {k}: {n}" for k, n in summary["skipped"].items()] or ["- nothing"]
    if summary["groups_in_several_splits"]:
        lines += ["", "## Groups found in more than one split (a bug)", ""]
        lines += [f"- {g}" for g in summary["groups_in_several_splits"]]
    if summary.get("pinned_groups_in_several_splits"):
        lines += ["", "## Groups that their corpus's official splits put in more than one", ""]
        lines += [f"- {g}" for g in summary["pinned_groups_in_several_splits"]]
    return "\n".join(lines) + "\n"


def load_build_config(path, overrides=()) -> dict:
    """Load, override and validate a build config: shares and adapters are checked before
    any corpus is read."""
    config = load_config(path, BUILD_SCHEMA, overrides)
    if not any(options["enabled"] for options in config["sources"].values()):
        raise ConfigError(f"{path}: sources: no corpus to read; add a [sources.NAME] table "
                          f"(see configs/data.toml)")
    shares = config["split"]["validation"] + config["split"]["test"]
    if shares > 1.0:
        raise ConfigError(f"{path}: split: validation and test shares add up to {shares:g}, "
                          f"more than all groups (at most 1; the rest trains)")
    _check_adapters(config, str(path))
    return config


def _check_adapters(config: dict, where: str) -> None:
    adapters = load_adapters()
    for name, options in config["sources"].items():
        if (options["adapter"] or name) not in adapters:
            key = f"sources.{name}.adapter" if options["adapter"] else f"sources.{name}"
            raise ConfigError(f"{where}: {key}: unknown adapter {options['adapter'] or name!r} "
                              f"(known: {', '.join(sorted(adapters))})")


def _saved_dataset(path: Path) -> Path:
    """Where the saved ``DatasetDict`` of a build's output folder (or of itself) is."""
    return path / "dataset" if (path / "dataset").is_dir() else path


def is_built(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds a built dataset (see :func:`load_dataset`)."""
    return (_saved_dataset(Path(path)) / "dataset_dict.json").is_file()


def load_dataset(path: str | os.PathLike) -> DatasetDict:
    """Load a built dataset: the build's output folder or its ``dataset`` subfolder."""
    path = _saved_dataset(Path(path))
    if not is_built(path):
        raise FileNotFoundError(f"{path}: no built dataset here; run `trainer build CONFIG` first")
    return load_from_disk(str(path))
