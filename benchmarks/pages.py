"""The held-out pages every tool is measured on, and the JSONL inputs the timed runs read.

Held-out means never used to train our models. WCXB pages are those whose site fell in the
built dataset's test split (read from the dataset each content model was trained on, so no
list is hard-coded), with the pages the build skipped because our segmenter read no text from
them (every tool runs on them; ours outputs nothing); ScrapingHub pages are all of them when every content model excluded that
source from training (its role as the external test set), else only its test split.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from trainer.bundle import read_manifest
from trainer.dataset import load_dataset, skipped_pages
from trainer.evaluate import PageStore
from trainer.segment import decode_html, segment_html, segment_text

__all__ = ["InputFile", "Page", "HeldOut", "held_out_pages", "sample", "write_inputs"]

CONTENT_MODELS = ("content-html", "content-text")
CORPUS_FOLDERS = {"wcxb": "wcxb-dev", "scrapinghub": "scrapinghub-aeb"}
SAMPLE_SEED = 13


@dataclass(frozen=True)
class Page:
    id: str  # the dataset's article id, e.g. "wcxb:0001"
    source: str
    html: str
    gold: str
    page_type: str


@dataclass(frozen=True)
class HeldOut:
    wcxb: list[Page]
    scrapinghub: list[Page]
    scrapinghub_scope: str  # which ScrapingHub pages, and why
    wcxb_scope: str = "sites in the dataset's test split"


def sample(items: list, limit: int | None) -> list:
    """A reproducible sample of at most ``limit`` items (all of them when ``limit`` is None),
    kept in sorted order."""
    items = sorted(items)
    if limit is None or limit >= len(items):
        return items
    return sorted(random.Random(SAMPLE_SEED).sample(items, limit))


def _training_config(models: Path, name: str) -> dict:
    config = read_manifest(models / name).get("config", {})
    if "data" not in config or "path" not in config["data"]:
        raise ValueError(f"{models / name}: its manifest holds no training config with "
                         f"data.path, so its held-out pages cannot be found")
    return config


def _test_split_pages(dataset_path: str, source: str) -> tuple[dict[str, str], dict[str, str]]:
    """article id → page type of the test split's pages from ``source``, with the pages the
    dataset skipped because our segmenter read no text from them (every tool runs on those,
    ours outputs nothing); and article id → reason of the skipped pages no tool can be scored
    on (no gold text, no HTML)."""
    test = load_dataset(dataset_path)["test"].select_columns(["source", "article_id",
                                                              "page_type"]).to_pandas()
    test = test[test["source"] == source]
    unread, left_out = skipped_pages(dataset_path, ["test"], source)
    return test.groupby("article_id")["page_type"].first().to_dict() | unread, left_out


def _common_test_pages(configs: list[dict], source: str) -> tuple[dict[str, str], dict]:
    pages: dict[str, str] | None = None
    left_out: dict[str, str] = {}
    for path in dict.fromkeys(c["data"]["path"] for c in configs):
        found, skipped = _test_split_pages(path, source)
        pages = found if pages is None else {a: t for a, t in pages.items() if a in found}
        left_out.update(skipped)
    return pages or {}, left_out


def _load(store: PageStore, source: str, page_types: dict[str, str]) -> list[Page]:
    return [Page(article_id, source, decode_html(store.html(source, article_id), article_id),
                 store.gold(source, article_id), page_types[article_id])
            for article_id in sorted(page_types)]


def held_out_pages(models: Path, data: Path, wcxb_limit: int | None = None,
                   scrapinghub_limit: int | None = None) -> HeldOut:
    """Held-out WCXB and ScrapingHub pages with their HTML and gold main text."""
    configs = [_training_config(models, name) for name in CONTENT_MODELS]
    store = PageStore({source: str(data / folder) for source, folder in CORPUS_FOLDERS.items()})
    for source in CORPUS_FOLDERS:
        if not store.available(source):
            raise FileNotFoundError(f"{data / CORPUS_FOLDERS[source]}: corpus not found "
                                    f"(pass --data with the shared data folder)")
    wcxb, left_out = _common_test_pages(configs, "wcxb")
    wcxb_scope = "sites in the dataset's test split"
    if left_out:
        reasons = Counter(left_out.values())
        wcxb_scope += (f"; left out for every tool: {len(left_out)} of their pages that cannot "
                       f"be scored (" + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
                       + ")")
    wcxb = {a: wcxb[a] for a in sample(list(wcxb), wcxb_limit)}

    external = all("scrapinghub" in c["data"].get("exclude_sources", []) for c in configs)
    if external:
        ground_truth = json.loads((data / CORPUS_FOLDERS["scrapinghub"] /
                                   "ground-truth.json").read_text())
        scrapinghub = {f"scrapinghub:{page}": "article" for page in ground_truth}
        scope = "all pages: no content model trained on ScrapingHub"
    else:
        scrapinghub, _ = _common_test_pages(configs, "scrapinghub")
        scope = "test split only: a content model trained on ScrapingHub's other pages"
    total = len(scrapinghub)
    scrapinghub = {a: scrapinghub[a] for a in sample(list(scrapinghub), scrapinghub_limit)}
    if len(scrapinghub) < total:
        scope += f" (a sample of {len(scrapinghub)} of {total})"
    return HeldOut(_load(store, "wcxb", wcxb), _load(store, "scrapinghub", scrapinghub), scope,
                   wcxb_scope)


@dataclass(frozen=True)
class InputFile:
    """A JSONL file of pages and what it holds: pages, our paragraphs, UTF-8 bytes of input."""

    path: Path
    pages: int
    paragraphs: int
    bytes: int


def write_inputs(pages: list[Page], folder: Path) -> tuple[InputFile, InputFile]:
    """The pages as HTML (``{"id", "html"}``) and as our plain-text rendering
    (``{"id", "text"}``) JSONL files."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = {"html": [], "text": []}  # (id, body, paragraphs) per page and kind
    for page in pages:
        rendering = segment_html(page.html, page.id)
        inputs["html"].append((page.id, page.html, len(rendering.paragraphs)))
        inputs["text"].append((page.id, rendering.text, len(segment_text(rendering.text))))
    files = []
    for kind, items in inputs.items():
        path = folder / f"pages-{kind}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for page_id, body, _ in items:
                f.write(json.dumps({"id": page_id, kind: body}) + "\n")
        files.append(InputFile(path, len(items), sum(n for _, _, n in items),
                               sum(len(body.encode("utf-8")) for _, body, _ in items)))
    return files[0], files[1]
