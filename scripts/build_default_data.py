"""Build the embedded default dataset (data/default/) from the public archives.

    python scripts/build_default_data.py [--datasets DIR] [--registry FILE] [--out DIR]
                                         [--inputs DIR]
                                         [--git owner/name=PATH ...] [--git-mirrors DIR]

Defaults: ../shared/datasets, data/projects.toml, data/default, data/inputs.

- The public archives give stars, forks, open issues and monthly downloads.
- PyPI metadata (release histories, licences, repositories) is replayed from the answers
  recorded in data/inputs/pypi/ (`python scripts/pypi_inputs.py --live` records them, from
  PyPI's JSON API, for the tracked and cohort packages only), so a rebuild is offline and
  gives the same tables.
- With --git or --git-mirrors, the commit histories of local repositories (bare mirrors or
  work trees) of the tracked projects and the cohort are collected, under a throwaway
  pseudonym key; --git-mirrors DIR finds each repository OWNER/NAME at DIR/OWNER+NAME/repo
  or DIR/OWNER+NAME. Without either, the git tables of the current default data are kept.

Reads the raw archives once, resolves the comparison cohort from the registry's rule, keeps
the rows of the tracked projects and the cohort, and publishes them as a fresh read-only
store. The new store is built beside the old one and swapped in with a rename, so an
interrupted build leaves the previous default data intact.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors import archives, git, pypi
from collectors.gitfiles import file_changes
from collectors.identity import bot_matcher
from collectors.sourcerun import TargetOutcome, run_frame
from errors import DashboardError
from metrics import truck
from metrics.cohort import PackageFacts, cohort_packages, cohort_repos, pool_members
from metrics.freshness import BUILD_RUN_PREFIX
from registry import Registry, load_registry
from scripts import pypi_inputs
from store import DEFAULT_DATA, SegmentStore, table

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_INPUTS = ROOT / "data" / "inputs"


def build_tables(
    datasets: Path, registry: Registry, inputs: Path = DEFAULT_INPUTS
) -> dict[str, pd.DataFrame]:
    """All default tables from the archives in `datasets` and the recorded PyPI answers in
    `inputs`/pypi, offline. Raises SourceError (RecordingError for a package whose PyPI
    answers were never recorded) and MissingFactsError."""
    started = datetime.now(UTC)
    daily = archives.read_ranking_daily(datasets)
    repos_raw = archives.read_ranking_repos(datasets)
    pypi_raw = archives.read_pypi_monthly(datasets)

    aliases = registry.repo_aliases()
    tracked_packages = {p for project in registry for p in project.packages}
    downloads_all = archives.pypi_downloads(pypi_raw)
    facts = package_facts(inputs / "pypi")

    histories = read_histories(inputs / "git" / HISTORIES_FILE)
    if registry.cohort.ranking_pool:
        members = pool_members(
            repos_raw,
            downloads_all,
            registry.cohort,
            facts,
            {repo: history_gap(entry) for repo, entry in histories.items()},
            tracked_packages=tracked_packages,
            tracked_repos={name.lower() for name in aliases},
            source=f"{archives.PYPI_SOURCE}; {archives.RANKING_SOURCE}",
        )
    else:
        members = pd.concat(
            [
                cohort_repos(daily, registry.cohort, set(aliases), archives.RANKING_SOURCE),
                cohort_packages(
                    downloads_all, registry.cohort, tracked_packages, archives.PYPI_SOURCE, facts
                ),
            ],
            ignore_index=True,
        )
    listed = members[members["status"].fillna("member") == "member"]
    cohort_names = listed.loc[listed["kind"] == "package", "name"].tolist()
    pypi = pypi_inputs.collect_packages(registry, cohort_names, inputs / "pypi", live=False)
    member_repos = [
        *members.loc[members["kind"] == "repo", "name"],
        *members["repo"].dropna(),
    ]
    wanted_repos = set(aliases) | {r.lower() for r in member_repos}
    wanted_packages = tracked_packages | set(members.loc[members["kind"] == "package", "name"])

    selected = daily[daily["repo"].str.lower().isin(wanted_repos)]
    snapshots = archives.ranking_snapshots(selected, aliases)
    repositories = archives.ranking_repositories(
        repos_raw[repos_raw["repo"].str.lower().isin(wanted_repos)], selected, aliases
    )
    downloads = downloads_all[downloads_all["package"].isin(wanted_packages)]
    days = pd.concat(
        [
            archives.source_days(daily["date"], archives.RANKING_SOURCE),
            archives.source_days(pypi_raw["snapshot_date"], archives.PYPI_SOURCE),
        ],
        ignore_index=True,
    )
    sources = pd.DataFrame(
        [
            {
                **info.__dict__,
                "as_of": as_of,
                "fetched_at": pd.Timestamp(as_of, tz="UTC"),
                "quality": "ok",
            }
            for info, as_of in (
                (archives.RANKING_INFO, daily["date"].max()),
                (archives.PYPI_INFO, pypi_raw["snapshot_date"].max()),
            )
        ]
        + [pypi_source_row(pypi["packages"], inputs / "pypi")]
    )
    tables = {
        "sources": sources,
        "source_days": days,
        "repositories": repositories,
        "repo_snapshots": snapshots,
        "package_downloads": downloads.reset_index(drop=True),
        "download_totals": archives.download_totals(downloads_all),
        "cohort_members": members,
        "git_histories": histories_frame(histories),
        "releases": pypi["releases"],
        "packages": pypi["packages"],
    }
    finished = datetime.now(UTC)
    run_id = f"{BUILD_RUN_PREFIX}{started:%Y%m%dT%H%M%SZ}"
    tables["collection_runs"] = pd.DataFrame(
        [
            {
                "run_id": run_id,
                "collector": "build_default_data",
                "target": name,
                "started_at": started,
                "finished_at": finished,
                "status": "ok",
                "requests": 0,
                "not_modified": 0,
                "retries": 0,
                "wait_seconds": 0.0,
                "rate_limit_remaining": None,
                "rows_written": len(frame),
                "message": None,
                "source": "scripts/build_default_data.py",
                "fetched_at": finished,
                "quality": "ok",
            }
            for name, frame in tables.items()
        ]
    )
    return {name: table(name).conform(frame) for name, frame in tables.items()}


HISTORIES_FILE = "histories.json"


def read_histories(path: Path) -> dict[str, dict]:
    """The recorded outcome of bringing in each repository's full git history (lower-case
    'owner/name' -> {repo, status: 'fetched' | 'refused', snapshot, size_mb, reason}); {}
    when none was recorded."""
    if not path.is_file():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))["repositories"]
    return {entry["repo"].lower(): entry for entry in entries}


def history_gap(entry: dict) -> str | None:
    """None when the history is in the data, else why it is not, in words."""
    if entry.get("status") == "fetched":
        return None
    return entry.get("reason") or "its full git history could not be brought in"


def histories_frame(histories: dict[str, dict]) -> pd.DataFrame:
    """The `git_histories` rows of the recorded outcomes."""
    rows = [
        {
            "repo": entry["repo"],
            "status": "in data" if entry.get("status") == "fetched" else "not in data",
            "snapshot": pd.Timestamp(entry["snapshot"])
            .tz_convert("UTC")
            .tz_localize(None)
            .normalize()
            if entry.get("snapshot")
            else pd.NaT,
            "size_mb": entry.get("size_mb"),
            "reason": history_gap(entry),
            "source": "data/inputs/git/histories.json",
            "fetched_at": pd.Timestamp(entry.get("read_at") or "2026-08-22", tz="UTC"),
            "quality": "ok",
        }
        for entry in histories.values()
    ]
    return pd.DataFrame(rows, columns=table("git_histories").column_names)


def package_facts(folder: Path) -> dict[str, PackageFacts]:
    """What the recorded PyPI answers say of each package: its GitHub repository, and
    whether PyPI classifies it as AI (the cohort rule needs both)."""
    repos = pypi_inputs.package_repos(folder)
    ai = pypi_inputs.ai_classified(folder)
    return {name: PackageFacts(repo, ai.get(name, False)) for name, repo in repos.items()}


def pypi_source_row(packages: pd.DataFrame, folder: Path) -> dict:
    """The `sources` row for PyPI's JSON API: when the recorded answers were read."""
    read_at = packages["fetched_at"].max()
    return {
        "source": pypi.SOURCE_JSON,
        "title": "PyPI JSON API (release histories, licences, project links)",
        "url": "https://pypi.org/",
        "revision": f"recorded answers in data/inputs/{folder.name}/ ({len(packages)} packages)",
        "licence": "PyPI metadata is published by each package's maintainers; values only",
        "as_of": read_at.tz_convert("UTC").tz_localize(None).normalize(),
        "coverage": f"{packages['package'].nunique()} packages: the tracked projects' and "
        "the comparison cohort's, every release with its first upload time",
        "notes": "Read once from PyPI's JSON API by the project's own PyPI collector and "
        "recorded (trimmed to the fields the collector reads), so rebuilding the default data "
        "is offline and gives the same rows; a PyPI refresh adds newer releases.",
        "fetched_at": read_at,
        "quality": "ok",
    }


GIT_TABLES = ("commits", "truck_factors")


def build_git_tables(
    mirrors: dict[str, Path],
    now: pd.Timestamp,
    extra_bots: tuple[str, ...] = (),
    wanted: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Commits and tags of local repositories, pseudonymized under a key that is then thrown
    away: the shipped ids can never be linked to an address, not even by us."""
    ids = git.Pseudonymizer(secrets.token_bytes(32))
    commits, releases, runs, heads, trucks = [], [], [], [], []
    is_bot = bot_matcher((*git.DEFAULT_BOT_PATTERNS, *extra_bots))
    for repo, path in mirrors.items():
        started = pd.Timestamp.now(tz="UTC")
        result = git.collect(
            repo,
            git.GitRepository(path),
            ids,
            last_stored=None,
            fetched_at=now,
            bot_patterns=(*git.DEFAULT_BOT_PATTERNS, *extra_bots),
        )
        commits.append(result.commits)
        releases.append(result.releases)
        trucks.append(truck_factor_row(repo, path, ids, is_bot, result.commits))
        heads.append(f"{repo}@{(result.head or '')[:12]}")
        done = TargetOutcome(
            "", repo, "ok", rows_written=len(result.commits) + len(result.releases)
        )
        run_id = f"{BUILD_RUN_PREFIX}{now:%Y%m%dT%H%M%SZ}"
        finished = pd.Timestamp.now(tz="UTC")
        runs.append(run_frame("git", run_id, done, started, finished, now, git.GIT_SOURCE))
    newest = max(c["committed_at"].max() for c in commits if len(c))
    # the mirrors were read as they stood on their newest commit's day: that is the rows'
    # observation time, not the moment this script ran
    for frame in (*commits, *releases):
        frame["fetched_at"] = newest
    source = pd.DataFrame(
        [
            {
                "source": git.GIT_SOURCE,
                "title": "Git histories (commits and tags, pseudonymous)",
                "url": None,
                "revision": ", ".join(heads),
                "licence": "derived counts only; no code, names or e-mail addresses are kept",
                "as_of": newest.tz_convert("UTC").tz_localize(None).normalize(),
                "coverage": f"{len(mirrors)} of {len(wanted or mirrors)} tracked and cohort "
                "repositories, every commit on the default branch",
                "notes": "Repositories too large to bring here have no git data until a live "
                "git refresh: "
                + (", ".join(r for r in (wanted or []) if r not in mirrors) or "none")
                + ".",
                "fetched_at": now,
                "quality": "ok",
            }
        ]
    )
    return {
        "truck_factors": pd.DataFrame([t for t in trucks if t is not None]),
        # sorted by repository and time: the times are stored as differences, which then
        # stay small
        "commits": pd.concat(commits, ignore_index=True).sort_values(
            ["repo", "committed_at", "sha"], kind="stable", ignore_index=True
        ),
        "releases": pd.concat(releases, ignore_index=True),
        "collection_runs": pd.concat(runs, ignore_index=True),
        "sources": source,
    }


def truck_factor_row(repo, path, ids, is_bot, commits: pd.DataFrame) -> dict | None:
    """The `truck_factors` row of one history with file data (a full clone or mirror), or
    None when it has no commits, no source files, or git cannot read its files (a copy whose
    largest objects are missing): printed, never guessed."""

    def read(renames: bool):
        return file_changes(
            Path(path),
            pseudonymize=ids.id_for,
            is_bot=lambda email: is_bot("", email),
            renames=renames,
        )

    followed = True
    try:
        changes, at_head = read(renames=True)
    except DashboardError:
        # rename detection reads file contents, which some copies lack: trees only
        followed = False
        try:
            changes, at_head = read(renames=False)
        except DashboardError as exc:
            print(f"{repo}: no truck factor ({exc})", file=sys.stderr)
            return None
    found = truck.truck_factor(changes, at_head)
    if found is None or commits.empty:
        return None
    newest = commits["committed_at"].max()
    return {
        "repo": repo,
        "as_of": newest.tz_convert("UTC").tz_localize(None).normalize(),
        "truck_factor": found.value,
        "files": found.files,
        "authors": found.authors,
        "renames_followed": followed,
        "source": f"{git.GIT_SOURCE} (file authorship, at build)",
        "fetched_at": newest,
        "quality": "ok",
    }


def carried_git_tables(old: Path) -> dict[str, pd.DataFrame]:
    """The git-derived rows of the current default data, kept when no --git is given."""
    if not (old / "manifest.json").is_file():
        return {}
    store = SegmentStore(old, read_only=True)
    releases = store.read("releases").frame
    runs = store.read("collection_runs").frame
    sources = store.read("sources").frame
    return {
        "commits": store.read("commits").frame,
        "truck_factors": store.read("truck_factors").frame,
        "releases": releases[releases["source"].str.startswith(git.GIT_SOURCE)],
        "collection_runs": runs[runs["collector"] == "git"],
        "sources": sources[sources["source"] == git.GIT_SOURCE],
    }


def merge_tables(
    base: dict[str, pd.DataFrame], extra: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    out = dict(base)
    for name, frame in extra.items():
        if len(frame):
            out[name] = table(name).conform(
                pd.concat([out[name], frame], ignore_index=True) if name in out else frame
            )
    return out


def publish(tables: dict[str, pd.DataFrame], target: Path) -> None:
    """Write a new store beside `target`, then swap it in with renames."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}-new-{uuid.uuid4().hex[:8]}"
    retired = target.parent / f".{target.name}-old-{uuid.uuid4().hex[:8]}"
    try:
        SegmentStore(staging).append(tables)
        (staging / ".write.lock").unlink(missing_ok=True)
        if target.exists():
            target.rename(retired)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--registry", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--git",
        action="append",
        default=[],
        metavar="OWNER/NAME=PATH",
        help="collect the git history of a tracked or cohort repository from a local folder",
    )
    parser.add_argument(
        "--git-mirrors",
        type=Path,
        default=None,
        metavar="DIR",
        help="collect every tracked and cohort repository found as DIR/OWNER+NAME[/repo]",
    )
    parser.add_argument("--inputs", type=Path, default=DEFAULT_INPUTS)
    parser.add_argument(
        "--trim-inputs",
        action="store_true",
        help="then keep only the facts (not the release lists) of recorded PyPI candidates "
        "that are neither tracked nor a member: the rule reads their facts, nothing more",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        registry = load_registry(args.registry) if args.registry else load_registry()
        tables = build_tables(args.datasets, registry, args.inputs)
        known = git_repositories(registry, tables["cohort_members"])
        mirrors = mirrors_in(args.git_mirrors, known) if args.git_mirrors else {}
        mirrors.update(_git_argument(a, known) for a in args.git)
        if mirrors:
            extra = build_git_tables(
                mirrors, pd.Timestamp.now(tz="UTC"), registry.git.extra_bot_patterns, known
            )
        else:
            extra = carried_git_tables(args.out)
        tables = merge_tables(tables, extra)
        publish(tables, args.out)
        if args.trim_inputs:
            members = tables["cohort_members"]
            listed = members[members["status"].fillna("member") == "member"]
            keep = {p for project in registry for p in project.packages} | set(listed["name"])
            trimmed = pypi_inputs.keep_facts_only(args.inputs / "pypi", keep)
            print(f"kept only the facts of {len(trimmed)} recorded candidates")
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, frame in tables.items():
        print(f"{name:18} {len(frame):>9,} rows")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"published {args.out} ({size / 1e6:.2f} MB) in {time.perf_counter() - t0:.1f} s")
    return 0


def git_repositories(registry: Registry, members: pd.DataFrame) -> list[str]:
    """Every repository whose history the default data may hold: the tracked projects'
    (main and family) and the cohort members'."""
    tracked = [r for project in registry for r in project.repo_names]
    members = members[members["status"].fillna("member") == "member"]
    cohort = (
        members.loc[members["kind"] == "repo", "name"].tolist() + members["repo"].dropna().tolist()
    )
    return list(dict.fromkeys([*tracked, *cohort]))


def mirrors_in(folder: Path, repos: list[str]) -> dict[str, Path]:
    """The repositories of `repos` found under `folder` as OWNER+NAME/repo or OWNER+NAME."""
    found = {}
    # a mirror's folder may spell the name in another letter case than the archive does
    folders = {p.name.lower(): p for p in folder.iterdir()} if folder.is_dir() else {}
    for repo in repos:
        base = folders.get(repo.replace("/", "+").lower(), folder / repo.replace("/", "+"))
        for path in (base / "repo", base):
            if (path / "HEAD").is_file() or (path / ".git").exists():
                found[repo] = path
                break
    return found


def _git_argument(text: str, known: list[str]) -> tuple[str, Path]:
    repo, sep, path = text.partition("=")
    if not sep or repo not in known:
        raise SystemExit(
            f"--git {text!r}: expected OWNER/NAME=PATH with a tracked or cohort repository"
        )
    return repo, Path(path)


if __name__ == "__main__":
    sys.exit(main())
