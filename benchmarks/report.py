"""The benchmark report: markdown tables from the raw results, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from trainer.atomic import write_text_atomically

__all__ = ["fmt", "headline", "markdown_table", "render_markdown", "write_results"]

PUBLISHED = (
    "Published on the whole WCXB dev set (not this held-out part): trafilatura .791, jusText "
    ".707, BoilerPy3 .687, Readability .675; articles only: trafilatura .926. Published on "
    "ScrapingHub: trafilatura .958, readability-lxml .922, boilerpipe .860, jusText .804.")


def fmt(value, digits: int = 3) -> str:
    """A number for a table: fixed decimals for floats, "–" when missing."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(header: list[str], rows: list[list], align: str | None = None) -> str:
    """A GitHub markdown table; ``align`` has one letter per column, "l" or "r" (default: the
    first column left, the rest right). Cells that are not strings go through :func:`fmt`."""
    align = align or "l" + "r" * (len(header) - 1)
    if len(align) != len(header) or any(len(row) != len(header) for row in rows):
        raise ValueError("every row and the alignment need one entry per column")
    cells = [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def write_results(results: dict, output: Path) -> tuple[Path, Path]:
    """``benchmarks.json`` (raw numbers) and ``benchmarks.md`` (tables) in ``output``."""
    json_path, markdown_path = output / "benchmarks.json", output / "benchmarks.md"
    write_text_atomically(json_path, json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    write_text_atomically(markdown_path, render_markdown(results))
    return markdown_path, json_path


# --------------------------------------------------------------------------- sections

def _best_extractor(systems: dict) -> str | None:
    others = [n for n in systems if not n.startswith("ours")]
    return max(others, key=lambda n: systems[n]["f1"]) if others else None


def _claim_sets(per_set: dict) -> list[str]:
    """Set names in the order of :data:`benchmarks.quality.CLAIM_SETS`, unknown ones last."""
    from .quality import CLAIM_SETS

    known = list(CLAIM_SETS.values())
    return sorted(per_set, key=lambda name: known.index(name) if name in known else len(known))


def headline(results: dict) -> list[str]:
    """The numbers that matter most, one sentence each, wins and losses alike."""
    from .quality import OURS_HTML, OURS_TEXT

    lines = []
    for benchmark, metric in (("WCXB", "word F1"), ("ScrapingHub", "4-gram shingle F1")):
        quality = results.get("content", {}).get(benchmark)
        if not quality:
            continue
        systems = quality["systems"]
        best = _best_extractor(systems)
        line = (f"{benchmark} ({quality['pages']} held-out pages), {metric}: ours "
                f"{fmt(systems[OURS_HTML]['f1'])} from HTML, {fmt(systems[OURS_TEXT]['f1'])} "
                f"from text")
        if best:
            line += f"; best other tool {best} {fmt(systems[best]['f1'])}"
        lines.append(line + ".")
    claims = results.get("claims")
    if claims:
        ours, baseline = claims["systems"].values()
        lines.append("Claims, claim-class F1 ours vs CheckThat! baseline: " + "; ".join(
            f"{name} {fmt(ours[name]['claim_f1'])} vs {fmt(baseline[name]['claim_f1'])}"
            for name in _claim_sets(ours) if name in baseline) + ".")
    speed = results.get("speed")
    if speed:
        ours = speed["runs"].get("ours (HTML input)")
        content_only = speed["runs"].get("ours (HTML input, content only)")
        if ours:
            ratios = ", ".join(f"{v:.2f}× {k}" for k, v in ours["ratios"].items())
            line = (f"Speed, one core: ours {fmt(ours['pages_per_s'], 1)} pages/s from HTML "
                    f"({ratios}), peak RSS {fmt(ours['peak_rss_mb'], 0)} MB")
            if content_only:
                ratios = ", ".join(f"{v:.2f}× {k}" for k, v in content_only["ratios"].items())
                line += (f"; content only {fmt(content_only['pages_per_s'], 1)} pages/s "
                         f"({ratios})")
            lines.append(line + ".")
    prediction = results.get("scaling", {}).get("prediction")
    if prediction:
        smallest, largest = prediction["points"][0], prediction["points"][-1]
        lines.append(f"Prediction time grows with input size to the power "
                     f"{prediction['time_slope']:.2f}; peak memory streaming "
                     f"{largest['pages']:,} pages is {fmt(largest['peak_rss_mb'], 0)} MB, "
                     f"{prediction['peak_rss_growth']:.2f}× that at {smallest['pages']:,}.")
    models = results.get("models")
    if models:
        total = sum(b["bytes"] for b in models["bundles"].values()) / 2**20
        lines.append(f"Models: {total:.1f} MB on disk in all; loading all three takes "
                     f"{models['predictor_load_seconds']:.1f} s.")
    return lines


def _environment(env: dict, settings: dict) -> list[str]:
    packages = ", ".join(f"{name} {version}" for name, version in env["packages"].items()
                         if version)
    load = env.get("load_average")
    return [
        f"Measured {env['date_utc']} on {env['cpu']}, {env['cores']} cores "
        f"({env['usable_cores']} usable), {env['memory_gb']} GB RAM, {env['os']}; "
        f"{env['python']}; git commit {env['git_commit'] or 'unknown'}."
        + (f" Load average (1 min) {load['start']:.1f} at the start, {load['end']:.1f} at the "
           f"end: other work on the machine slows wall-clock rates." if load else ""),
        "",
        f"Packages: {packages}.",
        "",
        f"Mode: **{settings['name']}**" + (
            " (samples and small training fractions; rerun without `--quick` for the real "
            "numbers)." if settings["name"] == "quick" else "."),
    ]


def _content(name: str, quality: dict) -> list[str]:
    systems = quality["systems"]
    out = [f"### {name}: {quality['pages']} pages", ""]
    if quality.get("scope"):
        out += [f"Pages: {quality['scope']}.", ""]
    out.append(markdown_table(
        ["system", "precision", "recall", "F1", "95% interval of F1", "failures"],
        [[system, s["precision"], s["recall"], s["f1"],
          "{:.3f}–{:.3f}".format(*s["f1_interval"]), s["failures"]]
         for system, s in sorted(systems.items(), key=lambda kv: -kv[1]["f1"])]))
    types = sorted({t for s in systems.values() for t in s.get("per_page_type", {})})
    if types:
        counts = next(iter(systems.values()))["per_page_type"]
        out += ["", "Word F1 by page type (pages):", "", markdown_table(
            ["system", *(f"{t} ({counts[t]['pages']})" for t in types)],
            [[system, *(s["per_page_type"][t]["f1"] for t in types)]
             for system, s in sorted(systems.items(), key=lambda kv: -kv[1]["f1"])])]
    return out + [""]


def _claims(claims: dict) -> list[str]:
    rows = []
    ours, baseline = list(claims["systems"].items())
    for name in _claim_sets(ours[1]):
        for system, per_set in (ours, baseline):
            m = per_set.get(name)
            if m:
                rows.append([name, system, m["claim_f1"], m["macro_f1"], m["average_precision"],
                             f"{m['n']:,} ({m['claims']:,})"])
    return ["## Claim vs non-claim", "",
            f"Test split of `{claims['dataset']}`; our threshold "
            + (", ".join(f"{kind} pages {value:.3f}"
                         for kind, value in claims["thresholds"].items())
               if claims.get("thresholds") else f"{claims['threshold']:.3f}") + ". "
            f"Baseline: {claims['baseline']}", "",
            markdown_table(["held-out set", "system", "claim F1", "macro-F1",
                            "average precision", "paragraphs (claims)"], rows, "llrrrr"), ""]


def _speed(speed: dict) -> list[str]:
    rows = []
    for tool, r in sorted(speed["runs"].items(), key=lambda kv: -kv[1]["pages_per_s"]):
        ratios = r.get("ratios", {})
        rows.append([tool, r["input"], r["jobs"], fmt(r["pages_per_s"], 1),
                     fmt(r["paragraphs_per_s"], 0), fmt(r["mb_per_s"], 2),
                     fmt(r["cpu_seconds"] / r["pages"] * 1000, 1) if r["jobs"] == 1 else "–",
                     fmt(r["peak_rss_mb"], 0), fmt(r["peak_rss_mb"] - r["imports_rss_mb"], 0),
                     fmt(ratios.get("trafilatura"), 2), fmt(ratios.get("resiliparse"), 2),
                     r["failures"]])
    return ["## Speed and memory", "",
            f"The same {speed['pages']} pages ({speed['paragraphs']:,} paragraphs, "
            f"{speed['html_mb']:.1f} MB of HTML; {speed['text_mb']:.1f} MB as our plain-text "
            f"rendering for text input) through each tool in its own process, pinned to one "
            f"core unless -j 2. Rates are per wall-clock second; CPU ms/page is the process's "
            f"own CPU time (a check when the machine is busy). Peak RSS is the whole process, "
            f"interpreter and imports included; extractors run through `trainer.baselines`, "
            f"whose imports (scikit-learn) they do not need, so compare the column \"above "
            f"imports\" too. Ratios: our pages/s divided by the tool's, in this run.",
            "", markdown_table(["tool", "input", "jobs", "pages/s", "paragraphs/s", "MB/s",
                                "CPU ms/page", "peak RSS MB", "above imports MB",
                                "× trafilatura", "× resiliparse", "failures"],
                               rows, "llrrrrrrrrrr"), ""]


def _scaling(scaling: dict) -> list[str]:
    out = ["## Scaling", ""]
    prediction = scaling.get("prediction")
    if prediction:
        out += ["### Prediction (HTML input, one core, streamed from a JSONL file)", "",
                markdown_table(["input", "pages", "MB", "seconds", "pages/s", "peak RSS MB"],
                               [[f"{p['factor']}×", p["pages"], fmt(p["mb"], 1),
                                 fmt(p["seconds"], 1), fmt(p["pages_per_s"], 1),
                                 fmt(p["peak_rss_mb"], 0)] for p in prediction["points"]]),
                "", f"Slope of log(time) against log(size): **{prediction['time_slope']:.2f}** "
                f"(1.0 is linear). Peak memory at the largest size is "
                f"{prediction['peak_rss_growth']:.2f}× that at 1× (1.0 is flat). The predictor "
                f"holds at most {prediction['window_articles']} articles at once (its streaming "
                f"window), so an input smaller than that needs less memory.", ""]
    for training in scaling.get("training", []):
        out += [f"### Training `{training['model']}` (its shipped config, one core"
                f"{'' if training['search'] else ', no parameter search'})", "",
                markdown_table(["share of training articles", "labelled rows", "seconds",
                                "peak RSS MB", "model MB"],
                               [[f"{p['fraction']:.1%}", p["labelled_rows"], fmt(p["seconds"], 1),
                                 fmt(p["peak_rss_mb"], 0), fmt(p["model_mb"], 1)]
                                for p in training["points"]]),
                "", f"Slope of log(time) against log(labelled rows): "
                f"**{training['time_slope']:.2f}**.", ""]
    for skipped in scaling.get("training_skipped", []):
        out += [f"Training scaling skipped: {skipped}", ""]
    return out


def _models(models: dict) -> list[str]:
    rows = [[name, fmt(b["bytes"] / 2**20, 2), fmt(b["model_bytes"] / 2**20, 2),
             fmt(b["load_seconds"], 2), fmt(b["threshold"], 3), b["created_utc"] or "–"]
            for name, b in models["bundles"].items()]
    return ["## Models", "",
            markdown_table(["bundle", "MB on disk", "model.joblib MB", "load s (verify + unpickle)",
                            "threshold", "trained (UTC)"], rows, "lrrrrl"), "",
            f"Loading the whole models folder (`Predictor.load`): "
            f"{models['predictor_load_seconds']:.2f} s. Load times are the median of "
            f"{models['repeats']} fresh processes.", ""]


METHOD = [
    "## Method",
    "",
    "- Held-out only. WCXB pages are those whose site is in the test split of the dataset each "
    "content model was trained on (read from the built dataset, nothing hard-coded); "
    "ScrapingHub pages are all of them when no content config trains on ScrapingHub, else the "
    "sites of its test split (the line above its table says which); claim sets "
    "are the test split's labelled paragraphs, scored with their article context.",
    "- Metrics are `trainer.metrics`: WCXB word F1 per page averaged over pages; ScrapingHub "
    "4-gram shingle precision and recall averaged over pages (benchmark convention) and F1 of "
    "those averages. 95% intervals of those F1 figures: percentile bootstrap over pages.",
    "- Our models run through `trainer.predict.Predictor`: the HTML model on the page's HTML, the "
    "text model on our plain-text rendering (`segment_html(page).text`) and on those of "
    "html2text, inscriptis and html-text (`trainer.baselines.RENDERERS`, never seen in "
    "training), fed as plain text. Extractors run with their defaults (see "
    "`trainer.baselines`); a page an extractor fails on counts as empty.",
    "- Timings: each tool in a fresh process (`benchmarks.worker`), imports, model loading and "
    "a one-page warm-up before the clock starts, one core (sched_setaffinity, one BLAS thread) "
    "unless -j 2. Peak RSS is the peak (VmHWM) of the process plus that of its live child "
    "processes. Text-input rates exclude the HTML-to-text rendering.",
    "- Scaling streams a page sample several times over (prediction: one input file read again "
    "and again, as several inputs are) and trains on nested samples of the training articles "
    "(training); the slope is a least-squares fit of log(time) against "
    "log(size).",
    "",
]


def render_markdown(results: dict) -> str:
    out = ["# Benchmarks", "", *_environment(results["environment"], results["settings"]), "",
           f"Rerun: `{results['command']}`. Raw numbers: `benchmarks.json`.", "",
           "## Headline", "", *(f"- {line}" for line in headline(results)), ""]
    if results.get("content"):
        out += ["## Content vs boilerplate", ""]
        for name, quality in results["content"].items():
            out += _content(name, quality)
        out += [PUBLISHED, ""]
    if results.get("claims"):
        out += _claims(results["claims"])
    if results.get("speed"):
        out += _speed(results["speed"])
    if results.get("scaling"):
        out += _scaling(results["scaling"])
    if results.get("models"):
        out += _models(results["models"])
    out += METHOD
    return "\n".join(out)
