"""Run every benchmark in order and collect the raw results in one JSON-ready dict."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from trainer.metrics import shingle_prf, word_prf
from trainer.predict import MODEL_TASKS, Predictor

from .environment import environment
from .pages import Page, held_out_pages, sample, write_inputs
from .quality import available_extractors, claim_quality, content_quality, system_outputs
from .runs import (REPO, WorkerError, model_footprint, prediction_scaling, speed,
                   training_scaling)

__all__ = ["FULL", "QUICK", "Settings", "run_suite"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """How much of everything to measure; None means every held-out page."""

    name: str
    wcxb_pages: int | None
    scrapinghub_pages: int | None
    speed_pages: int | None
    scaling_pages: int
    scaling_factors: tuple[int, ...] = (1, 4, 16)
    train_models: tuple[str, ...] = tuple(MODEL_TASKS)
    train_fractions: tuple[float, ...] = (0.25, 0.5, 1.0)
    train_search: bool = True  # the config's own parameter search, when it has one
    extractors: tuple[str, ...] | None = None  # None: every installed extractor
    load_repeats: int = 3
    timeout: float = 6 * 3600  # seconds for one measured run


# Prediction scaling ends at 10,000 pages: the batch size of the memory target (issue 4).
FULL = Settings("full", wcxb_pages=None, scrapinghub_pages=None, speed_pages=None,
                scaling_pages=100, scaling_factors=(1, 4, 16, 100))
QUICK = Settings("quick", wcxb_pages=60, scrapinghub_pages=30, speed_pages=40, scaling_pages=16,
                 train_models=("content-text",), train_fractions=(0.025, 0.05, 0.1),
                 train_search=False, load_repeats=1, timeout=900)


def _sample_pages(pages: list[Page], limit: int | None) -> list[Page]:
    chosen = set(sample([p.id for p in pages], limit))
    return [p for p in pages if p.id in chosen]


class _Stages:
    """Logs each stage and records how long it took."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def run(self, name: str, fn, *args, **kwargs):
        log.info("%s ...", name)
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - started, 1)
        log.info("%s done in %.0f s", name, self.seconds[name])
        return result


def run_suite(models: Path, data: Path, settings: Settings, command: str) -> dict:
    """Quality, speed, scaling and model footprint; returns the results (nothing is written)."""
    models, data = models.resolve(), data.resolve()
    stages = _Stages()
    results = {"command": command, "settings": asdict(settings),
               "environment": environment(REPO), "models_dir": str(models), "data": str(data)}
    predictor = stages.run("loading models", Predictor.load, models)
    held_out = stages.run("reading held-out pages", held_out_pages, models, data,
                          settings.wcxb_pages, settings.scrapinghub_pages)
    extractors = [name for name in available_extractors()
                  if settings.extractors is None or name in settings.extractors]
    load_start = os.getloadavg()[0]

    results["content"] = {}
    for name, pages, metric, convention in (
            ("WCXB", held_out.wcxb, word_prf, "wcxb"),
            ("ScrapingHub", held_out.scrapinghub, shingle_prf, "scrapinghub")):
        outputs, failures = stages.run(f"{name} page texts", system_outputs, pages, predictor,
                                       extractors)
        results["content"][name] = content_quality(pages, outputs, failures, metric, convention)
    results["content"]["WCXB"]["scope"] = held_out.wcxb_scope
    results["content"]["ScrapingHub"]["scope"] = held_out.scrapinghub_scope
    results["claims"] = stages.run("claim quality", claim_quality, predictor.claim)

    timed_pages = _sample_pages(held_out.wcxb + held_out.scrapinghub, settings.speed_pages)
    with tempfile.TemporaryDirectory(prefix="benchmarks-") as folder:
        folder = Path(folder)
        html, text = write_inputs(timed_pages, folder / "speed")
        results["speed"] = stages.run("speed", speed, models, html, text, extractors,
                                      settings.timeout)
        results["scaling"] = {"prediction": stages.run(
            "prediction scaling", prediction_scaling, models,
            _sample_pages(timed_pages, settings.scaling_pages), folder / "scaling",
            settings.scaling_factors, settings.timeout), "training": [], "training_skipped": []}
        for name in settings.train_models:
            try:
                results["scaling"]["training"].append(stages.run(
                    f"training scaling ({name})", training_scaling, models, name,
                    settings.train_fractions, settings.train_search, folder / "training",
                    settings.timeout))
            except (WorkerError, KeyError, FileNotFoundError) as exc:
                log.warning("training scaling of %s skipped: %s", name, exc)
                results["scaling"]["training_skipped"].append(f"{name}: {exc}")
    results["models"] = stages.run("model footprint", model_footprint, models,
                                   settings.load_repeats, settings.timeout)
    results["environment"]["load_average"] = {"start": load_start, "end": os.getloadavg()[0]}
    results["stage_seconds"] = stages.seconds
    return results
