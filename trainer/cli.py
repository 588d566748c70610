"""The ``trainer`` command line: each command is a thin layer over a library function."""

from __future__ import annotations

import os
import signal
import sys

import click

from .config import ConfigError
from .segment import InputError


def _fail(problem: Exception | str) -> None:
    click.echo(f"error: {problem}", err=True)
    sys.exit(2)


def run() -> None:
    """The ``trainer`` program: ``trainer predict`` runs without pyarrow (see
    :mod:`trainer.lean`), as batch prediction never needs it."""
    if sys.argv[1:2] == ["predict"]:
        from .lean import without_pyarrow

        without_pyarrow()
    signal.signal(signal.SIGTERM, _interrupt)
    main()


class _Terminated(KeyboardInterrupt):
    """SIGTERM: handled as Ctrl-C is, but the exit status tells the two apart."""


def _interrupt(signum, frame) -> None:
    """SIGTERM (what job schedulers and ``kill`` send) stops a command as Ctrl-C does: the
    clean-up runs, so no half-written temporary file or orphaned worker process is left."""
    raise _Terminated


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paragraph-trainer")
def main() -> None:
    """Train, evaluate and apply paragraph classifiers (content vs boilerplate, claims)."""


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set split.seed=7 (repeatable).")
@click.option("--output", type=click.Path(file_okay=False), help="Output folder (overrides output.path).")
def build(config, overrides, output):
    """Build the labelled paragraph dataset described by CONFIG (TOML)."""
    from .dataset import build as build_dataset, load_build_config

    # Paths in the config are relative to its file; --output, like any path typed, to here.
    overrides = list(overrides) + ([f'output.path="{os.path.abspath(output)}"'] if output else [])
    try:
        cfg = load_build_config(config, overrides)
        dataset = build_dataset(cfg, progress=sys.stderr.isatty())
    except (ConfigError, InputError, FileNotFoundError, ValueError) as exc:
        _fail(exc)
    out = cfg["output"]["path"]
    click.echo((open(f"{out}/summary.md").read()))
    click.echo(f"dataset saved to {out}/dataset ({', '.join(f'{k}: {len(v)}' for k, v in dataset.items())})")


def _some_workers(ctx, param, jobs: int) -> int:
    """The -j value, refused when 0 (joblib's own message says only that it has no meaning)."""
    if jobs == 0:
        raise click.BadParameter("0 worker processes cannot label anything; give 1 or more, "
                                 "or -1 for one per core")
    return jobs


def _log_to_stderr() -> None:
    """Progress messages of the trainer package on stderr (whatever else configured logging)."""
    import logging

    logger = logging.getLogger("trainer")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set estimator.params.C=2 (repeatable).")
@click.option("--output", type=click.Path(file_okay=False),
              help="Model bundle folder (overrides output.path).")
def train(config, overrides, output):
    """Train the model described by CONFIG (TOML) and save it as a bundle."""
    from .train import load_train_config, train as train_model

    overrides = list(overrides) + ([f'output.path="{os.path.abspath(output)}"'] if output else [])
    _log_to_stderr()
    try:
        cfg = load_train_config(config, overrides)
        result = train_model(cfg)
    except (ConfigError, InputError, FileNotFoundError, ValueError) as exc:
        _fail(exc)
    click.echo(f"model saved to {result['path']} (threshold {result['threshold']:.4f}, "
               f"{result['size_mb']} MB, {result['seconds']} s, peak {result['peak_rss_mb']} MB)")


@main.command()
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.option("--data", type=click.Path(file_okay=False),
              help="Built dataset (default: the one the model was trained from).")
@click.option("--split", default="test", show_default=True,
              type=click.Choice(["train", "validation", "test"]))
@click.option("--output", type=click.Path(file_okay=False),
              help="Report folder (default: reports/<model>-<split>).")
def evaluate(model_dir, data, split, output):
    """Score the bundle in MODEL_DIR on a split, beside the baselines; write a report."""
    from .evaluate import evaluate as evaluate_model

    _log_to_stderr()
    try:
        result = evaluate_model(model_dir, data=data, split=split, output=output,
                                progress=sys.stderr.isatty())
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        _fail(exc)
    for target in result.get("targets", []):
        low, high = target["margin_interval"]
        click.echo(f"{target['name']}: {target['value']:.4f} (goal {target['goal']:.4f}, "
                   f"{'met' if target['met'] else 'not met'}; value - goal {low:+.3f} to "
                   f"{high:+.3f}, 95% interval over {target['resampled']})")
    click.echo(f"report written to {result['output']}/report.md")


@main.command()
# Not checked for readability here: an unreadable input becomes a record with its error.
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(readable=False, allow_dash=True))
@click.option("-o", "--output", default="-",
              type=click.Path(dir_okay=False, readable=False, writable=True, allow_dash=True),
              help="Output file, replaced only when complete (default: stdout).")
@click.option("--models", type=click.Path(file_okay=False),
              help="Models folder with content-html/, content-text/ and (unless content "
                   "only) claim/ bundles (default: $TRAINER_MODELS, else the shipped models/).")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv", "text"]),
              default="jsonl", show_default=True,
              help="jsonl: a record per article; csv: a row per paragraph; text: content only.")
@click.option("--input-format",
              type=click.Choice(["auto", "text", "html", "jsonl", "warc", "mhtml"]),
              default="auto", show_default=True,
              help="Read every input as this (auto: by extension, else by content).")
@click.option("-j", "--jobs", type=int, default=1, show_default=True,
              callback=_some_workers,
              help="Worker processes (-1: one per core, -2: all but one...).")
@click.option("--no-claims", is_flag=True,
              help="Content only: skip the claim model (claim and claim_score are null), "
                   "which the models folder then need not hold. The text format never needs it.")
@click.option("--content-threshold", type=click.FloatRange(0, 1), metavar="P",
              help="Content when the content score (a calibrated probability) reaches P, not "
                   "the model's threshold chosen on validation: higher keeps less boilerplate "
                   "and drops more content.")
@click.option("--claim-threshold", type=click.FloatRange(0, 1), metavar="S",
              help="A claim when the claim score reaches S, not the model's threshold for the "
                   "page's kind: lower misses fewer claims and marks more non-claims.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; no summary unless something failed.")
def predict(inputs, output, models, output_format, input_format, jobs, no_claims,
            content_threshold, claim_threshold, quiet):
    """Label the paragraphs of every article in INPUTS.

    INPUTS are .txt, .html/.htm or .jsonl files (one article per line: {"id", "text" or
    "html"}; a .json file may also hold one such object, or an array of them), pages saved
    as one file (.mhtml/.mht), web archives (.warc, Common Crawl's .wet: each HTML or text
    page an article), optionally compressed (gzip, bzip2, xz), directories (searched
    recursively, into symlinked folders too; hidden files and folders, this run's output file,
    and saved pages' .css, .js, images, fonts and X_files/ folders skipped and counted), or -
    for stdin. An article that cannot be
    read or segmented, or an input that holds none, becomes a record with its error, reported
    on stderr; the exit status is 1 when any failed. Stopped by Ctrl-C (SIGTERM), it exits
    with 130 (143) and leaves an output file as it was.
    """
    from .predict import Predictor, predict_files

    if output == "-" and sys.stdout is None:  # started with its stdout closed (`>&-`)
        _fail("standard output is closed: give an output file with -o")
    claims = not no_claims and output_format != "text"
    if claim_threshold is not None and not claims:
        click.echo(f"warning: --claim-threshold has no effect with "
                   f"{'--no-claims' if no_claims else '--format text'}: no claims are scored",
                   err=True)
    try:
        predictor = Predictor.load(models, claims=claims).with_thresholds(
            content=content_threshold, claim=claim_threshold)
        summary = predict_files(predictor, inputs, output, output_format=output_format,
                                input_format=input_format, n_jobs=jobs, claims=claims,
                                progress=not quiet and sys.stderr.isatty())
    except BrokenPipeError:
        # Whoever read stdout stopped (e.g. `| head`): end quietly, without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except (ValueError, OSError) as exc:
        _fail(exc)
    except KeyboardInterrupt as exc:
        signum = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
        click.echo(f"Aborted! Interrupted by {signum.name}: {_left_behind(output)}", err=True)
        sys.exit(128 + signum)  # the shell's status for a program its signal ended
    if summary.failed or not quiet:
        click.echo(f"{summary.articles - summary.failed} of {summary.articles} articles labelled, "
                   f"{summary.failed} failed", err=True)
    sys.exit(1 if summary.failed else 0)


def _left_behind(output: str) -> str:
    """What an interrupted ``predict`` wrote: an output file is replaced only when complete."""
    if output == "-":
        return "the records labelled before it were written to standard output"
    if os.path.exists(output) and not os.path.isfile(output):  # a pipe or device, written directly
        return f"the records labelled before it were written to {output}"
    return f"no output file was written ({output} is as it was)"
