"""Model bundles: a fitted model saved with everything needed to trust and reproduce it.

A bundle is a directory::

    model.joblib     the fitted scikit-learn estimator
    manifest.json    task, label names, threshold (and optional per-page-kind thresholds),
                     config, metrics, data sources and licences, library versions, SHA-256 of
                     every other file, creation time (UTC)
    ...              evaluation report files handed to :func:`save_bundle`

It is written atomically (a temporary directory beside the target, then a rename), so a reader
never sees a half-written bundle, and :func:`load_bundle` refuses a bundle whose files were
changed or are missing, or that another scikit-learn major.minor (or numpy major) wrote.

Security: ``model.joblib`` is a pickle, and loading a pickle runs code chosen by whoever wrote
it. Load bundles only from places you trust. The hashes catch corruption and accidental edits,
not an attacker who can also rewrite ``manifest.json``; :func:`read_manifest` inspects a bundle
without unpickling anything.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import platform
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import joblib
import numpy
import sklearn

from . import __version__
from .rows import PAGE_KINDS, page_kinds

__all__ = [
    "Bundle", "BundleError", "MANIFEST_FILE", "MODEL_FILE", "MODEL_INPUTS", "MODEL_TASKS",
    "is_replaceable", "kind_thresholds", "load_bundle", "load_models_bundle", "read_manifest",
    "save_bundle",
]

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
BUNDLE_FORMAT = 1
# A models folder's bundles (the shipped ones in models/, each trained by configs/<name>.toml)
# and the task each holds.
MODEL_TASKS = {"content-html": "content", "content-text": "content", "claim": "claim"}
# The input each is trained on: prediction gives it paragraphs of that input only (the claim
# model those of both, read as text).
MODEL_INPUTS = {"content-html": "html", "content-text": "text", "claim": "text"}
_MODEL_ROLES = {"content-html": "HTML content model", "content-text": "text content model",
                "claim": "claim model"}
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class BundleError(ValueError):
    """A bundle that cannot be used: the message names the bundle and says what to do."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    model: Any
    manifest: dict

    @property
    def task(self) -> str:
        return self.manifest["task"]

    @property
    def threshold(self) -> float:
        """The decision threshold of rows whose page kind has none of its own (written pages:
        what prediction gives the model)."""
        return self.manifest["threshold"]

    @property
    def thresholds(self) -> dict[str, float]:
        """Per-page-kind thresholds ("spoken", "written"); empty when one threshold fits all."""
        return dict(self.manifest.get("thresholds") or {})

    def row_thresholds(self, page_types) -> numpy.ndarray:
        """Each row's threshold, from its ``page_type`` (see :func:`trainer.rows.page_kinds`)."""
        return kind_thresholds(self.threshold, self.thresholds, page_types)


def kind_thresholds(threshold: float, thresholds: dict[str, float] | None,
                    page_types) -> numpy.ndarray:
    """Per-row thresholds: each row's page-kind threshold, else ``threshold``."""
    page_types = numpy.asarray(page_types, dtype=object)
    result = numpy.full(len(page_types), float(threshold))
    if thresholds:
        kinds = page_kinds(page_types)
        for kind, value in thresholds.items():
            result[kinds == kind] = value
    return result


def library_versions() -> dict[str, str]:
    """Versions that decide whether a pickled model loads and behaves the same."""
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "joblib": joblib.__version__,
        "trainer": __version__,
    }


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _to_json(value):
    """JSON for numpy scalars/arrays and paths, which configs and metrics often hold."""
    if isinstance(value, numpy.generic | numpy.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in a bundle manifest")


def _inside_bundle(name: str) -> bool:
    """Whether ``name`` is a relative path that stays inside the bundle directory."""
    path = PurePosixPath(name)
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts and \
        "\\" not in name


def _check_extra_name(name: str) -> str:
    if not _inside_bundle(name):
        raise ValueError(f"extra file name {name!r} must be a relative path inside the bundle")
    if name in (MODEL_FILE, MANIFEST_FILE):
        raise ValueError(f"extra file name {name!r} is reserved")
    return name


def _retrain_hint(directory: Path) -> str:
    hint = "retrain it with the config it was trained from"
    if directory.name in MODEL_TASKS:
        hint += f" (for the shipped model: `trainer train configs/{directory.name}.toml`)"
    return hint


def _check_probability(value, what: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} must be a probability in [0, 1], got {value}")
    return value


def save_bundle(model, directory, *, task: str, label_names: list[str], threshold: float,
                config: dict, metrics: dict, sources: list[dict],
                extra_files: dict[str, Path],
                thresholds: dict[str, float] | None = None) -> Path:
    """Write ``model`` and its manifest to ``directory`` atomically; return the bundle path.

    ``thresholds`` optionally gives page kinds ("spoken", "written") their own threshold;
    ``threshold`` applies to the rest.

    ``extra_files`` maps a name inside the bundle (e.g. ``"report/metrics.md"``) to the file to
    copy there. An existing bundle at ``directory`` is replaced; any other non-empty directory
    is refused rather than deleted.
    """
    if not hasattr(model, "predict_proba"):
        raise ValueError(f"{type(model).__name__} has no predict_proba: a bundle needs scores")
    if len(label_names) != 2:
        raise ValueError(
            f"label_names must name the negative and positive class, got {label_names!r}")
    threshold = _check_probability(threshold, "threshold")
    unknown = sorted(set(thresholds or {}) - set(PAGE_KINDS))
    if unknown:
        raise ValueError(f"thresholds: unknown page kind {unknown[0]!r} (known: "
                         f"{', '.join(PAGE_KINDS)})")
    thresholds = {kind: _check_probability(value, f"threshold of {kind} pages")
                  for kind, value in (thresholds or {}).items()}
    if not task:
        raise ValueError("task must be named")
    extras = {_check_extra_name(name): Path(source) for name, source in extra_files.items()}

    directory = Path(directory)
    if directory.exists() and not is_replaceable(directory):
        raise BundleError(f"{directory}: exists and is not a model bundle; refusing to replace it")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = _sibling(directory, "new")
    staging.mkdir()
    try:
        joblib.dump(model, staging / MODEL_FILE)
        for name, source in extras.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / name)
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        manifest = {
            "bundle_format": BUNDLE_FORMAT,
            "task": task,
            "label_names": list(label_names),
            "threshold": threshold,
            **({"thresholds": thresholds} if thresholds else {}),
            "config": config,
            "metrics": metrics,
            "sources": sources,
            "versions": library_versions(),
            "files": {p.relative_to(staging).as_posix(): _sha256(p) for p in files},
            "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        with (staging / MANIFEST_FILE).open("w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, ensure_ascii=False, default=_to_json)
            f.write("\n")
        for path in [*staging.rglob("*"), staging]:  # on disk before it becomes visible
            _fsync(path)
        _replace_directory(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync(directory.parent)
    return directory


def _sibling(directory: Path, role: str) -> Path:
    """A unique hidden name beside ``directory``: same file system, so renames are atomic."""
    return directory.with_name(f".{directory.name}.{role}-{uuid.uuid4().hex[:12]}")


def is_replaceable(directory: Path) -> bool:
    """An old bundle or an empty directory: nothing of value is lost by replacing it."""
    return directory.is_dir() and (
        (directory / MANIFEST_FILE).is_file() or not any(directory.iterdir()))


def _replace_directory(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``. An old bundle is moved aside first and put back if
    the rename fails, so ``directory`` is always a whole bundle (or briefly absent)."""
    if not directory.exists():
        staging.rename(directory)
        return
    retired = _sibling(directory, "old")
    directory.rename(retired)
    try:
        staging.rename(directory)
    except BaseException:
        retired.rename(directory)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _check_versions(directory: Path, trained: dict) -> None:
    """Refuse versions whose pickles do not load reliably: another scikit-learn major.minor,
    or another numpy major."""
    sk_then, sk_now = trained.get("scikit-learn", "?"), sklearn.__version__
    if _major_minor(sk_then) != _major_minor(sk_now):
        raise BundleError(
            f"{directory}: trained with scikit-learn {sk_then}, but this environment has "
            f"{sk_now}; scikit-learn models only load reliably in the same major.minor "
            f"version. {_retrain_hint(directory).capitalize()}, or install "
            f"scikit-learn=={'.'.join(_major_minor(sk_then))}.*")
    np_then, np_now = trained.get("numpy", "?"), numpy.__version__
    if np_then.split(".")[0] != np_now.split(".")[0]:
        raise BundleError(
            f"{directory}: trained with numpy {np_then}, but this environment has {np_now}; "
            f"{_retrain_hint(directory)}")


def read_manifest(directory) -> dict:
    """The bundle's manifest, checked for shape; loads no pickle, so it is safe on any bundle."""
    directory = Path(directory)
    path = directory / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        what = "does not exist" if not directory.exists() else f"has no {MANIFEST_FILE}"
        raise BundleError(f"{directory}: {what}, so it is not a model bundle; "
                          f"{_retrain_hint(directory)}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # nested too deep
        raise BundleError(f"{path}: not valid JSON ({exc}); {_retrain_hint(directory)}") from None
    problem = _manifest_problem(manifest)
    if problem:
        raise BundleError(f"{path}: {problem}; {_retrain_hint(directory)}")
    return manifest


def _manifest_problem(manifest) -> str | None:
    """What is wrong with the entries of a manifest that loading and prediction rely on, else
    None: a hand-edited or foreign manifest must be refused, not crash the loader."""
    if not isinstance(manifest, dict):
        return f"holds {_json_kind(manifest)}, not an object"
    required = ("bundle_format", "task", "label_names", "threshold", "versions", "files")
    missing = [key for key in required if key not in manifest]
    if missing:
        return f"missing {', '.join(missing)}"
    bundle_format = manifest["bundle_format"]
    if not _is_number(bundle_format) or bundle_format != BUNDLE_FORMAT:
        return f"bundle format {bundle_format!r} is not {BUNDLE_FORMAT}"
    task = manifest["task"]
    if not isinstance(task, str) or not task:
        return f'"task" must be a non-empty string, not {_json_kind(task)}'
    labels = manifest["label_names"]
    if not isinstance(labels, list) or len(labels) != 2 or \
            not all(isinstance(label, str) for label in labels):
        return (f'"label_names" must be a list of the negative and the positive class name, '
                f"not {_json_kind(labels)}")
    threshold = manifest["threshold"]
    if not _is_probability(threshold):
        return f"threshold {threshold!r} is not a probability"
    thresholds = manifest.get("thresholds", {})
    if not isinstance(thresholds, dict) or not all(
            kind in PAGE_KINDS and _is_probability(value) for kind, value in thresholds.items()):
        return (f"thresholds {thresholds!r} are not probabilities of page kinds "
                f"({', '.join(PAGE_KINDS)})")
    versions = manifest["versions"]
    if not isinstance(versions, dict):
        return (f'"versions" must be an object naming the library versions the model was '
                f"trained with, not {_json_kind(versions)}")
    for library in ("scikit-learn", "numpy"):
        if not isinstance(versions.get(library), str):
            return (f'"versions" must name the {library} version as a string, not '
                    f"{_json_kind(versions.get(library))}")
    files = manifest["files"]
    if not isinstance(files, dict):
        return (f'"files" must be an object mapping each file of the bundle to its SHA-256 '
                f"hash, not {_json_kind(files)}")
    for name, digest in files.items():
        if not _inside_bundle(name):
            return f'"files" names {name!r}, which is not a path inside the bundle'
        if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
            return f'"files" gives {name} {_json_kind(digest)}, not a SHA-256 hash'
    config = manifest.get("config", {})
    if not isinstance(config, dict):
        return f'"config" must be an object, not {_json_kind(config)}'
    if config.get("input", "text") not in ("html", "text"):
        return f'"config" "input" must be "html" or "text", not {_json_kind(config["input"])}'
    return None


def _json_kind(value) -> str:
    """A manifest entry as JSON has it: "an object", "a list", or the (short) value itself."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value)
    return text if len(text) <= 40 else "a long string"


def _is_number(value) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _is_probability(value) -> bool:
    return _is_number(value) and 0 <= value <= 1 and not math.isnan(value)


def load_bundle(directory) -> Bundle:
    """Verify every file's hash and the library versions, then load the model.

    Loading runs the pickled code in ``model.joblib``: only load bundles from trusted places.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    files = manifest["files"]
    if MODEL_FILE not in files:
        raise BundleError(f"{directory}: the manifest lists no {MODEL_FILE}; "
                          f"{_retrain_hint(directory)}")
    for name, expected in sorted(files.items()):
        path = directory / name
        if not path.is_file():
            raise BundleError(f"{directory}: missing file {name} (listed in {MANIFEST_FILE}); "
                              f"the bundle is incomplete: copy it again whole, or "
                              f"{_retrain_hint(directory)}")
        if _sha256(path) != expected:
            raise BundleError(f"{directory}: SHA-256 hash of {name} does not match "
                              f"{MANIFEST_FILE}: the file was changed or corrupted; copy the "
                              f"bundle again, or {_retrain_hint(directory)}")
    _check_versions(directory, manifest["versions"])
    model = joblib.load(directory / MODEL_FILE)
    return Bundle(directory, model, manifest)


def load_models_bundle(folder, name: str) -> Bundle:
    """Load the bundle ``name`` (one of :data:`MODEL_TASKS`) of a models folder, refusing one
    trained for another task or on another input than that name stands for: given its place,
    it would label every article wrongly. Checked before the model is unpickled."""
    directory = Path(folder) / name
    manifest = read_manifest(directory)
    if manifest["task"] != MODEL_TASKS[name]:
        raise BundleError(f"{directory}: holds a {manifest['task']!r} model, expected "
                          f"{MODEL_TASKS[name]!r}; put the right bundle there")
    # Bundles saved outside `trainer train` may not record their input: then it is not known.
    trained_on = manifest.get("config", {}).get("input", MODEL_INPUTS[name])
    if trained_on != MODEL_INPUTS[name]:
        raise BundleError(f"{directory}: holds a model trained on {trained_on} input; the "
                          f"{_MODEL_ROLES[name]} must be trained on {MODEL_INPUTS[name]}: put that "
                          f"model there (the shipped one: `trainer train configs/{name}.toml`)")
    return load_bundle(directory)
