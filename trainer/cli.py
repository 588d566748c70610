"""The ``trainer`` command line: each command is a thin layer over a library function."""

from __future__ import annotations

import sys

import click

from .config import ConfigError
from .segment import InputError


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


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

    overrides = list(overrides) + ([f'output.path="{output}"'] if output else [])
    try:
        cfg = load_build_config(config, overrides)
        dataset = build_dataset(cfg, progress=sys.stderr.isatty())
    except (ConfigError, InputError, FileNotFoundError, ValueError) as exc:
        _fail(exc)
    out = cfg["output"]["path"]
    click.echo((open(f"{out}/summary.md").read()))
    click.echo(f"dataset saved to {out}/dataset ({', '.join(f'{k}: {len(v)}' for k, v in dataset.items())})")
