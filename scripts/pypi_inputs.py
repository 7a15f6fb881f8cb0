"""PyPI release histories and package facts for the default data, recorded once, replayed offline.

    python scripts/pypi_inputs.py                     summary of what is recorded
    python scripts/pypi_inputs.py --live [--extra NAME ...]
                                                      ask PyPI now for every tracked package
                                                      (data/projects.toml) and each NAME,
                                                      and record the answers

The default data's `releases` (packages) and `packages` rows come from the project's own
PyPI collector (`collectors.pypi.refresh_pypi`), run over `collectors.recorded`:

- `--live` (never implied) runs it against pypi.org with RecordingAdapter, which saves each
  answer, trimmed to what the collector reads, to data/inputs/pypi/ (one NAME.json.gz per
  package, and index.json with when each was read);
- every other run, including a normal `build_default_data.py`, replays those answers with
  ReplayAdapter: no network, and the same tables every time, as the run's `now` (the rows'
  `fetched_at` and the packages' `date`) is the latest recorded read time.

Comparison-cohort packages are not in the registry: each gets a synthetic project without
repositories, and its `repo_agrees` is left null (there is no listed repository to agree
with). A package that fails (unknown on PyPI, not recorded, an answer that cannot be read)
stops the whole collection with RecordingError, as a partial input would silently shrink the
default data.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors.http import HttpClient
from collectors.pypi import PYPI, discover_repo, pypi_client, refresh_pypi
from collectors.recorded import (
    RecordingAdapter,
    RecordingError,
    ReplayAdapter,
    answers_file,
    encode_answers,
    mount,
    read_answers,
    read_index,
    read_time,
    write_index,
)
from collectors.sourcerun import SourceSummary, checked_package
from errors import DashboardError
from files import atomic_write
from registry import Project, Registry, load_registry
from store.schema import table
from store.segments import SegmentStore

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUTS = ROOT / "data" / "inputs" / "pypi"
AI_CLASSIFIER = "Topic :: Scientific/Engineering :: Artificial Intelligence"
TABLES = ("releases", "packages")


# ----- the library ---------------------------------------------------------------------------


def collect_packages(
    registry: Registry,
    extra_packages: Iterable[str],
    inputs_dir: Path | str,
    *,
    live: bool,
    base_url: str = PYPI,
) -> dict[str, pd.DataFrame]:
    """The `releases` (subject_kind 'package') and `packages` tables of the registry's
    packages and `extra_packages`, conformed and sorted.

    With `live`, PyPI (at `base_url`) is asked first and its answers are recorded into
    `inputs_dir`; the tables always come from replaying the recorded answers, so a live
    run and any later offline run give the same rows. Raises PackageNameError for an invalid
    extra name (before any request), NotRecordedError for a package never recorded, and
    RecordingError when the collector fails for any package.
    """
    inputs = Path(inputs_dir)
    run_registry, synthetic = with_extra_packages(registry, extra_packages)
    wanted = sorted({p for project in run_registry for p in project.packages})
    with tempfile.TemporaryDirectory(prefix="pypi-inputs-") as tmp:
        work = Path(tmp)
        if live:
            recorder = RecordingAdapter(inputs)
            client = _client(work / "record-cache.json", recorder, base_url)
            with client:
                summary = refresh_pypi(
                    run_registry,
                    SegmentStore(work / "record-store"),
                    client,
                    now=datetime.now(UTC),
                    force=True,
                )
            _check(summary, "live")
        now = recorded_time(inputs, wanted)
        store = SegmentStore(work / "store")
        with _client(work / "replay-cache.json", ReplayAdapter(inputs), PYPI) as client:
            summary = refresh_pypi(run_registry, store, client, now=now, force=True)
        _check(summary, "replayed")
        releases = store.read("releases").frame
        packages = store.read("packages").frame
    releases = releases[releases["subject_kind"] == "package"]
    releases = releases.sort_values(["subject", "version"], kind="stable")
    packages = packages.sort_values(["package", "date"], kind="stable").copy()
    # A cohort package has no repository in projects.toml: "agrees" would be made up.
    packages.loc[packages["package"].isin(synthetic), "repo_agrees"] = pd.NA
    frames = {"releases": releases, "packages": packages}
    return {
        name: table(name).conform(frame.reset_index(drop=True), where=f"recorded PyPI {name}")
        for name, frame in frames.items()
    }


def with_extra_packages(
    registry: Registry, extra_packages: Iterable[str]
) -> tuple[Registry, set[str]]:
    """`registry` plus one synthetic project (no repositories) per extra package not
    already tracked, and the set of those packages. Raises PackageNameError."""
    tracked = {p for project in registry for p in project.packages}
    ids = {project.id for project in registry}
    extras: list[Project] = []
    synthetic: set[str] = set()
    for listed in extra_packages:
        name = checked_package(listed)
        if name in tracked or name in synthetic:
            continue
        project_id = f"pypi-{name}"
        while project_id in ids:
            project_id += "-x"
        ids.add(project_id)
        synthetic.add(name)
        extras.append(
            Project(
                id=project_id,
                name=name,
                group=registry.cohort.label,
                repos=(),
                packages=(name,),
                description="comparison-cohort package (not in data/projects.toml)",
            )
        )
    return dataclasses.replace(registry, projects=(*registry.projects, *extras)), synthetic


def keep_facts_only(inputs_dir: Path | str, keep: Iterable[str]) -> list[str]:
    """Drop the release lists from the recorded answers of every package not in `keep`
    (the tracked projects' and the comparison sides' members), keeping `info`: the facts the
    group and cohort rule reads (classifiers, project links). The index marks them
    `facts_only`, and replaying one raises RecordingError, so a rule that later makes such a
    candidate a member asks for it to be recorded again instead of giving it no releases.
    Returns the packages trimmed."""
    inputs = Path(inputs_dir)
    index = read_index(inputs)
    wanted = set(keep)
    trimmed = []
    for package, entry in sorted(index.items()):
        if package in wanted or entry.get("facts_only"):
            continue
        answers = read_answers(inputs, package)
        for answer in answers.values():
            body = answer.get("body")
            if isinstance(body, dict) and "releases" in body:
                body["releases"] = {}
        data = encode_answers(package, answers)
        atomic_write(answers_file(inputs, package), lambda handle, data=data: handle.write(data))
        entry["facts_only"] = True
        trimmed.append(package)
    if trimmed:
        write_index(inputs, index)
    return trimmed


def recorded_time(inputs_dir: Path | str, packages: Iterable[str]) -> pd.Timestamp:
    """The latest read time of `packages` in the recorded index (the replay's `now`).
    Raises RecordingError naming the packages that were never recorded."""
    index = read_index(Path(inputs_dir))
    names = list(packages)
    missing = [p for p in names if p not in index]
    if missing:
        raise RecordingError(
            f"{', '.join(missing)} not recorded in {inputs_dir}; record with "
            "`python scripts/pypi_inputs.py --live --extra NAME ...`"
        )
    facts_only = [p for p in names if index[p].get("facts_only")]
    if facts_only:
        raise RecordingError(
            f"{', '.join(facts_only)}: only the facts were kept in {inputs_dir} (it was a "
            "candidate, not a member); record it again with "
            "`python scripts/pypi_inputs.py --live --extra NAME ...`"
        )
    if not names:
        raise RecordingError("no packages to collect")
    return pd.Timestamp(max(read_time(index[p]) for p in names))


def package_info(inputs_dir: Path | str) -> dict[str, dict]:
    """Each recorded package's (trimmed) `info` from its JSON API answer ({} when it has
    none, e.g. a project without releases)."""
    inputs = Path(inputs_dir)
    out: dict[str, dict] = {}
    for package in sorted(read_index(inputs)):
        info: dict = {}
        for path, answer in sorted(read_answers(inputs, package).items()):
            body = answer.get("body")
            if (
                path.startswith("/pypi/")
                and answer.get("status") == 200
                and isinstance(body, dict)
                and isinstance(body.get("info"), dict)
            ):
                info = body["info"]
        out[package] = info
    return out


def package_repos(inputs_dir: Path | str) -> dict[str, str | None]:
    """Recorded package -> the GitHub repository its PyPI metadata links to (as the
    collector finds it), or None."""
    return {name: discover_repo(info) for name, info in package_info(inputs_dir).items()}


def ai_classified(inputs_dir: Path | str) -> dict[str, bool]:
    """Recorded package -> whether its classifiers include AI_CLASSIFIER."""
    out = {}
    for name, info in package_info(inputs_dir).items():
        classifiers = info.get("classifiers")
        out[name] = isinstance(classifiers, list) and AI_CLASSIFIER in classifiers
    return out


def _client(cache_path: Path, adapter: RecordingAdapter | ReplayAdapter, base: str) -> HttpClient:
    client = pypi_client(base_url=base, cache_path=cache_path)
    # json_client takes no `session=`: route the client's own session through the adapter.
    mount(client._session, adapter)
    return client


def _check(summary: SourceSummary, how: str) -> None:
    failed = [f"{o.target}: {o.message}" for o in summary if o.status == "failed"]
    if failed:
        raise RecordingError(f"the {how} PyPI collection failed: " + "; ".join(failed))


# ----- the command line ----------------------------------------------------------------------


def summary_lines(inputs_dir: Path) -> list[str]:
    """One line per recorded package (read time, versions, bytes), then the total."""
    index = read_index(inputs_dir)
    lines, total = [], 0
    for package in sorted(index):
        entry = index[package]
        size = answers_file(inputs_dir, package).stat().st_size
        total += size
        versions = 0
        for answer in read_answers(inputs_dir, package).values():
            body = answer.get("body")
            if isinstance(body, dict) and isinstance(body.get("releases"), dict):
                versions = len(body["releases"])
            elif isinstance(body, dict) and isinstance(body.get("versions"), list):
                versions = len(body["versions"])
        lines.append(
            f"{package:24} read {entry.get('read_at')}  {versions:>5} versions  "
            f"{size / 1e3:>8.1f} kB (of {int(entry.get('raw_bytes') or 0) / 1e6:.2f} MB)"
        )
    if (inputs_dir / "index.json").is_file():
        total += (inputs_dir / "index.json").stat().st_size
    lines.append(f"{len(index)} packages, {total / 1e6:.2f} MB in {inputs_dir}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--live",
        action="store_true",
        help="ask pypi.org now and record the answers (otherwise: print what is recorded)",
    )
    parser.add_argument(
        "--extra",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME",
        help="also record these packages (comparison-cohort candidates)",
    )
    parser.add_argument(
        "--inputs", type=Path, default=DEFAULT_INPUTS, help="the recorded answers' folder"
    )
    parser.add_argument(
        "--registry", type=Path, default=None, help="projects file (default data/projects.toml)"
    )
    args = parser.parse_args(argv)
    try:
        if args.live:
            registry = load_registry(args.registry) if args.registry else load_registry()
            tables = collect_packages(registry, args.extra, args.inputs, live=True)
            print(
                f"recorded: {len(tables['packages'])} packages, "
                f"{len(tables['releases']):,} releases"
            )
        for line in summary_lines(args.inputs):
            print(line)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
