"""Markdown reports and PNG plots for training (validation) and evaluation results.

Plots use matplotlib's Agg backend, so they render on machines without a display.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from .metrics import BOOTSTRAP_RESAMPLES, MIN_INTERVAL_UNITS  # noqa: E402

__all__ = ["evaluation_markdown", "write_plots", "write_validation_report"]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def write_plots(folder: Path, metrics: dict, y, scores, label_names: list[str],
                title: str) -> dict[str, Path]:
    """Confusion matrix, precision-recall curve and calibration curve as PNG files."""
    folder.mkdir(parents=True, exist_ok=True)
    y, scores = np.asarray(y), np.asarray(scores)
    paths = {}

    fig, ax = plt.subplots(figsize=(4, 3.6))
    matrix = np.asarray(metrics["overall"]["confusion_matrix"]["matrix"])
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks([0, 1], label_names)
    ax.set_yticks([0, 1], label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    cut = metrics["overall"]["threshold"]
    cut = f"threshold {cut:.3f}" if cut is not None else "thresholds " + ", ".join(
        f"{t:.3f}" for t in metrics["overall"]["thresholds"])
    ax.set_title(f"{title}\n{cut}", fontsize=9)
    paths["confusion_matrix.png"] = _save(fig, folder / "confusion_matrix.png")

    fig, ax = plt.subplots(figsize=(4.5, 4))
    if y.any() and not y.all():
        precision, recall, _ = precision_recall_curve(y, scores)
        ax.plot(recall, precision, label=f"AP {metrics['overall']['pr_auc']:.3f}")
        point = metrics["overall"]["per_class"][label_names[1]]
        ax.plot([point["recall"]], [point["precision"]], "o", label="chosen threshold")
        ax.legend(loc="lower left")
    ax.set_xlabel(f"recall ({label_names[1]})")
    ax.set_ylabel(f"precision ({label_names[1]})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=9)
    paths["precision_recall.png"] = _save(fig, folder / "precision_recall.png")

    fig, ax = plt.subplots(figsize=(4.5, 4))
    bins = [b for b in metrics["calibration"]["bins"] if b["count"]]
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.plot([b["mean_score"] for b in bins], [b["fraction_positive"] for b in bins], "o-",
            label=f"ECE {metrics['calibration']['ece']:.3f}")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel(f"fraction {label_names[1]}")
    ax.legend(loc="upper left")
    ax.set_title(title, fontsize=9)
    paths["calibration.png"] = _save(fig, folder / "calibration.png")
    return paths


def _save(fig, path: Path) -> Path:
    """Save a figure as PNG atomically (an interrupted evaluation leaves the old plot)."""
    fig.tight_layout()
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        fig.savefig(temporary, dpi=110, format="png")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
        plt.close(fig)
    return path


def _class_table(metrics: dict, label_names: list[str], by: str) -> list[str]:
    negative, positive = label_names
    lines = [f"| {by} | n | P {positive} | R {positive} | F1 {positive} | F1 {negative} | "
             f"macro-F1 | PR-AUC |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in metrics.items():
        pos, neg = m["per_class"][positive], m["per_class"][negative]
        lines.append(f"| {name} | {m['n']} | {_fmt(pos['precision'])} | {_fmt(pos['recall'])} | "
                     f"{_fmt(pos['f1'])} | {_fmt(neg['f1'])} | {_fmt(m['macro_f1'])} | "
                     f"{_fmt(m['pr_auc'])} |")
    return lines


def paragraph_markdown(metrics: dict, label_names: list[str]) -> list[str]:
    """Tables of paragraph-level scores: overall, per source, per page type, worst errors."""
    lines = _class_table({"all": metrics["overall"]}, label_names, "rows")
    matrix = metrics["overall"]["confusion_matrix"]["matrix"]
    lines += ["", f"Confusion matrix (rows true, columns predicted; {label_names[0]}, "
              f"{label_names[1]}): {matrix}. Calibration: ECE {_fmt(metrics['calibration']['ece'])}, "
              f"Brier {_fmt(metrics['calibration']['brier'])}.", "", "### Per source", ""]
    lines += _class_table(metrics["per_source"], label_names, "source")
    lines += ["", "### Per page type", ""]
    lines += _class_table(metrics["per_page_type"], label_names, "page type")
    lines += ["", "### Worst errors", "", "| source | article | # | true | score | text |",
              "|---|---|---:|---|---:|---|"]
    for e in metrics["worst_errors"]:
        text = e["text"].replace("|", "\\|")
        lines.append(f"| {e['source']} | {e['article_id']} | {e['index']} | {e['label']} | "
                     f"{e['score']:.3f} | {text} |")
    return lines


def _threshold_text(threshold: float, thresholds: dict[str, float] | None) -> str:
    if not thresholds:
        return f"Threshold {threshold:.4f}"
    return "Thresholds " + ", ".join(f"{kind} pages {value:.4f}"
                                     for kind, value in thresholds.items())


def _chosen_on(cfg: dict, thresholds: dict[str, float] | None) -> str:
    if not thresholds:
        return " on the validation split"
    return "; " + ", ".join(f"{kind} on {cfg['threshold']['chosen_on'][kind].replace('_', ' ')}"
                            for kind in thresholds)


def write_validation_report(folder: Path, cfg: dict, metrics: dict, threshold: float, rows,
                            scores, thresholds: dict[str, float] | None = None) -> dict[str, Path]:
    """report.md, metrics.json and plots of a training run's validation split."""
    from .train import LABEL_NAMES

    label_names = LABEL_NAMES[cfg["task"]]
    y = rows[cfg["task"]].to_numpy()
    plots = write_plots(folder / "plots", metrics["validation"], y, scores, label_names,
                        f"{cfg['task']} ({cfg['input']}) validation")
    training = metrics["training"]
    lines = [f"# {cfg['task']} model ({cfg['input']} input): training report", "",
             f"Trained on {training['labelled_rows']} labelled rows ({training['rows']} with "
             f"context) of {training['articles']} articles in {training['seconds']} s, peak "
             f"memory {training['peak_rss_mb']} MB. {_threshold_text(threshold, thresholds)} "
             f"({cfg['threshold']['policy']}{_chosen_on(cfg, thresholds)}).", "",
             "Labelled training rows per source: " + ", ".join(
                 f"{k} {v}" for k, v in training["rows_per_source"].items()) + ".", ""]
    if metrics["search"]:
        lines += [f"## Search ({cfg['search']['method']}, {metrics['search']['group_folds']} group folds, "
                  f"{cfg['search']['scoring']})", "", "| params | mean | std |", "|---|---:|---:|"]
        lines += [f"| {c['params']} | {c['mean']:.4f} | {c['std']:.4f} |"
                  for c in metrics["search"]["candidates"]]
        lines.append("")
    lines += ["## Validation split", ""]
    if training.get("includes_validation"):
        lines += ["The model was also fitted on these rows (data.include_validation), so their "
                  "scores here are out of fold: each site or document scored by models that "
                  "never saw it. Calibration and thresholds were fitted on these scores too.", ""]
    else:
        policy = cfg["threshold"]
        fitted_here = [what for what, done in (
            ("the threshold was chosen", policy["policy"] != "fixed" and not (
                policy["by_kind"] and set(policy["chosen_on"].values()) == {"training_folds"})),
            (f"the {cfg['calibration']['method']} calibration fitted",
             cfg["calibration"]["method"] != "none")) if done]
        if fitted_here:
            lines += ["Sites and documents the model never trained on; but " +
                      " and ".join(fitted_here) + " on these very rows, so the figures below "
                      "flatter the model a little. `trainer evaluate` scores the test split.",
                      ""]
    lines += paragraph_markdown(metrics["validation"], label_names)
    if metrics.get("training_folds"):
        lines += ["", "## Training rows, out of fold", "",
                  "Both stages cross-validated over group folds: each document or site "
                  "scored by a model that never saw it.", ""]
        lines += _class_table(metrics["training_folds"]["per_source"], label_names, "source")
    lines += ["", "![confusion matrix](plots/confusion_matrix.png) "
              "![precision-recall](plots/precision_recall.png) "
              "![calibration](plots/calibration.png)", ""]
    (folder / "report.md").write_text("\n".join(lines))
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    extra = {"report.md": folder / "report.md", "metrics.json": folder / "metrics.json"}
    extra.update({f"plots/{name}": path for name, path in plots.items()})
    return extra


def _page_table(pages: dict) -> list[str]:
    lines = ["| system | pages | precision | recall | F1 | F1 articles | failures |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, p in pages.items():
        lines.append(f"| {name} | {p['pages']} | {_fmt(p['precision'])} | {_fmt(p['recall'])} | "
                     f"{_fmt(p['f1'])} | {_fmt(p.get('f1_articles'))} | "
                     f"{p.get('failures', 0)} |")
    return lines


def evaluation_markdown(result: dict) -> str:
    """The evaluation report: headline numbers, baselines beside the model, then details."""
    label_names = result["label_names"]
    lines = [f"# Evaluation of {result['model']} on the {result['split']} split", "",
             f"Task {result['task']}, input {result['input']}, "
             f"{_threshold_text(result['threshold'], result.get('thresholds')).lower()}. "
             f"Data: {result['data']}" + (
                 f"; paragraphs of {', '.join(result['excluded_sources'])} left out, as in "
                 f"training" if result.get("excluded_sources") else "") + ".", ""]
    if result.get("targets"):
        lines += ["## Quality targets", "",
                  "Value minus goal, with a 95% bootstrap interval: each held-out set's "
                  f"pages or documents, with all their paragraphs, are resampled "
                  f"{BOOTSTRAP_RESAMPLES:,} times (runs of consecutive paragraphs, about the cube "
                  f"root of their number, when it has fewer than {MIN_INTERVAL_UNITS} "
                  "documents: that interval cannot show how much the documents themselves "
                  "differ, so it is still too narrow). A goal set "
                  "against trafilatura is recomputed in each resample. An interval that "
                  "spans 0 means this split cannot tell whether the goal is met.", "",
                  "| target | value | goal | met | value − goal | 95% interval | resampled |",
                  "|---|---:|---:|---|---:|---|---|"]
        for t in result["targets"]:
            low, high = t["margin_interval"]
            lines.append(f"| {t['name']} | {_fmt(t['value'])} | {_fmt(t['goal'])} | "
                         f"{'yes' if t['met'] else 'no'} | {t['value'] - t['goal']:+.3f} | "
                         f"{low:+.3f} to {high:+.3f} | {t['resampled']} |")
        lines.append("")
    for name, pages in result.get("pages", {}).items():
        lines += [f"## {name}", "", pages["description"], ""] + _page_table(pages["systems"])
        if pages.get("per_page_type"):
            types = sorted({t for s in pages["per_page_type"].values() for t in s})
            lines += ["", "Word F1 per page type:", "",
                      "| system | " + " | ".join(types) + " |",
                      "|---|" + "---:|" * len(types)]
            for system, by_type in pages["per_page_type"].items():
                lines.append(f"| {system} | " + " | ".join(
                    f"{_fmt(by_type.get(t, {}).get('f1'))} ({by_type.get(t, {}).get('pages', 0)})"
                    for t in types) + " |")
        lines.append("")
    lines += ["## Paragraphs", ""] + paragraph_markdown(result["paragraphs"], label_names)
    for name, baseline in result.get("baselines", {}).items():
        lines += ["", f"## Baseline: {name}", "", baseline["description"], ""]
        lines += _class_table({"all": baseline["overall"]}, label_names, "rows")
        lines += [""] + _class_table(baseline["per_source"], label_names, "source")
    lines += ["", "![confusion matrix](plots/confusion_matrix.png) "
              "![precision-recall](plots/precision_recall.png) "
              "![calibration](plots/calibration.png)", ""]
    return "\n".join(lines)
