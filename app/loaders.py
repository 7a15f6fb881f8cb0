"""The app's only door to data: cached reads keyed on the store's version.

Caches are keyed on `Catalog.version()`, which changes whenever a refresh publishes, so new
data shows on the next rerun without restarting the app and without re-reading files that
did not change. Domain functions stay free of Streamlit; only these thin wrappers cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from app import precomputed
from app.text import markdown_text
from claims.model import DEFAULT_CLAIMS, Claim, load_claims
from derived import compute
from errors import ConfigError, StoreError
from metrics.compare import METRICS
from metrics.indicators import Windows
from registry import Project, Registry, load_registry
from registry import tracking as user_list
from settings import TOKEN_ENV, Settings
from store import DEFAULT_DATA, Catalog
from store.archive import ARCHIVE_DATA, Archive, ArchiveEntry
from store.reader import CatalogReader
from views import claims as claim_views
from views.base import ChartView
from views.community import CommunitySettings, CommunityViews
from views.compare import CompareSettings, CompareView, compare_view
from views.explore import archive_subject


def settings() -> Settings:
    """The app's settings, read here at the edge on each run: the environment, with the
    GitHub token from Streamlit secrets (.streamlit/secrets.toml) first. A malformed setting
    stops the page with the variable and the rule, like a broken projects file."""
    try:
        return Settings.from_environment(secrets=_secrets())
    except ConfigError as exc:
        st.error(
            "A setting is wrong and must be fixed before anything is shown: " + markdown_text(exc)
        )
        st.stop()
    raise AssertionError("unreachable")


def _secrets() -> dict[str, str]:
    try:
        token = st.secrets.get(TOKEN_ENV)
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitSecretNotFoundError):
        return {}
    return {TOKEN_ENV: token} if isinstance(token, str) and token else {}


def catalog() -> Catalog:
    """The catalog for this run: shipped data plus the user's data directory."""
    return Catalog(DEFAULT_DATA, settings().data.store)


# Shared, never copied: a frame is read-only by contract (see `_shared`), and a copy of a
# table per rerun would cost what the engine saves.
@st.cache_resource(show_spinner=False, max_entries=64)
def _read(
    table: str,
    version: tuple[str, str],
    default_root: str,
    user_root: str,
    where: tuple[tuple[str, tuple[str, ...]], ...] = (),
    columns: tuple[str, ...] | None = None,
):
    result = Catalog(default_root, user_root).read(table, where=dict(where), columns=columns)
    return result.frame, [str(p) for p in result.problems]


def load(
    table: str,
    where: dict[str, tuple[str, ...]] | None = None,
    columns: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """A merged table (only the rows whose key column `where` names, and `columns`: both
    done in the store's engine); unreadable files are remembered for `problems()`."""
    cat = catalog()
    key = tuple(sorted((c, tuple(sorted(set(v)))) for c, v in (where or {}).items()))
    frame, problems = _read(
        table, cat.version(), str(cat.default.root), str(cat.user.root), key, columns
    )
    seen = st.session_state.setdefault("store_problems", [])
    for problem in problems:
        if problem not in seen:
            seen.append(problem)
    return frame


def load_for(table: str, projects, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A table's rows of these projects only (their repositories or packages), filtered in
    the store's engine (store/reader.py): a page never holds the rows of projects it does not
    show. Any other table is read whole."""
    return compute.rows_of(READER, table, projects, columns)


@st.cache_data(show_spinner=False, max_entries=32)
def _figure(version: tuple[str, str], default_root: str, user_root: str, ask: str, *args):
    return getattr(CatalogReader(Catalog(default_root, user_root)), ask)(*args)


def _ask(ask: str, *args):
    cat = catalog()
    return _figure(cat.version(), str(cat.default.root), str(cat.user.root), ask, *args)


class _CachedReader:
    """The store/reader.py Reader for the app: each answer cached per store version."""

    load = staticmethod(load)

    @staticmethod
    def newest(table: str, column: str) -> pd.Timestamp | None:
        return _ask("newest", table, column)

    @staticmethod
    def newest_before(table: str, column: str, cut: pd.Timestamp) -> pd.Timestamp | None:
        return _ask("newest_before", table, column, cut)

    @staticmethod
    def counts(table: str, by: str) -> pd.Series:
        return _ask("counts", table, by)


READER = _CachedReader()


def problems() -> list[str]:
    """Files that could not be read during this session, each named."""
    return list(st.session_state.get("store_problems", []))


@st.cache_data(show_spinner=False, max_entries=8)
def _registry(path: str, mtime_ns: int, tracked: str, tracked_stamp: tuple[int, int]) -> Registry:
    return load_registry(path, tracked=tracked)


def _stamp(path: Path) -> tuple[int, int]:
    """When and how big: two writes in one clock tick still differ in size."""
    try:
        stat = path.stat()
    except OSError:  # no list yet (or unreadable: load_registry names the problem)
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


def registry(everything: bool = False) -> Registry:
    """The validated registry ($OSSAI_PROJECTS or data/projects.toml) merged with the user's
    tracked projects (tracked.toml in the user data folder); stops the page with the rule
    broken when the projects file is invalid. A broken list of the user's is named and left
    out: the shipped projects are still shown. Pages draw at most `tracking.SHOWN` of the
    user's projects, with a warning naming how many are left out and how to choose;
    `everything` gives them all (the refresh, the Track button's state, the Data page's
    count)."""
    current = settings()
    path, tracked = current.projects_file, current.data.tracked_file
    try:
        merged = _registry(str(path), path.stat().st_mtime_ns, str(tracked), _stamp(tracked))
    except FileNotFoundError:
        st.error(f"The projects file {markdown_text(path)} is missing.")
        st.stop()
    except ConfigError as exc:
        st.error("The projects file has an error and must be fixed before anything is shown:")
        st.code(str(exc), language=None)
        st.stop()
    if merged.tracked_problem:
        st.error(
            "Your tracked projects are left out until their file is fixed (the shipped "
            f"projects are shown): {markdown_text(merged.tracked_problem)}"
        )
    if everything:
        return merged
    drawn = user_list.shown(merged)
    if drawn.tracked_left_out:
        st.warning(user_list.crowded(len(merged.by_user)))
    return drawn


OVERVIEW_TABLES = ("repo_snapshots", "package_downloads", "cohort_members")


def _shared(max_entries: int, spinner: str | bool = False):
    """Cache a page's derived views once per store version and settings, shared by every
    session and rerun without a copy. st.cache_data would unpickle a fresh copy on every hit,
    which for figures and whole pages of frames costs seconds on each rerun; these results
    are read-only by contract (views are frozen dataclasses, and no page modifies a frame in
    place: pandas' copy-on-write makes every derived frame its own). `spinner` says what is
    being computed; Streamlit shows it only when the work takes over half a second, and
    only for the outermost cached call (a loader that calls another says it for both)."""
    return st.cache_resource(show_spinner=spinner, max_entries=max_entries)


LIVE = (
    "; none was computed ahead for these settings or this data, so the page computes it now "
    "(seconds on the shipped data, up to half a minute for thousands of repositories)"
)


@_shared(max_entries=8)
def _overview_tables(version: tuple[str, str], registry: Registry):
    if (hit := precomputed.lookup("overview_tables", registry)) is not None:
        return hit
    return compute.overview_tables(READER, registry)


def overview_tables(registry: Registry) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tracked overview, repository facts and cohort overview, computed once per store version."""
    return _overview_tables(catalog().version(), registry)


@_shared(max_entries=8)
def _group_overview(version: tuple[str, str], registry: Registry) -> pd.DataFrame:
    if (hit := precomputed.lookup("group_overview", registry)) is not None:
        return hit
    return compute.group_overview(READER, registry)


def group_overview(registry: Registry) -> pd.DataFrame:
    """The group members' latest figures (views.overview.group_table), once per version."""
    return _group_overview(catalog().version(), registry)


@_shared(max_entries=16, spinner="Computing the community figures" + LIVE)
def _community(version: tuple[str, str], registry: Registry, settings: CommunitySettings):
    if (hit := precomputed.lookup("community", registry, settings)) is not None:
        return hit
    return compute.community(READER, registry, settings)


def community(registry: Registry, settings: CommunitySettings) -> CommunityViews:
    """The Community page's summary table and charts (views.community), once per store
    version and settings."""
    return _community(catalog().version(), registry, settings)


INDICATOR_TABLES = claim_views.INDICATOR_TABLES


@_shared(max_entries=16, spinner="Computing the indicators" + LIVE)
def _indicators(version: tuple[str, str], registry: Registry, windows: Windows, earlier: bool):
    if (hit := precomputed.lookup("indicators", registry, windows, earlier)) is not None:
        return hit
    return compute.indicators(READER, registry, windows, earlier)


def indicators(
    registry: Registry, windows: Windows, *, a_year_before: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Every indicator for the tracked projects and the cohort, and the cohort's ids; with
    `a_year_before`, as the data stood a year earlier. Computed once per store version."""
    return _indicators(catalog().version(), registry, windows, a_year_before)


@_shared(max_entries=32, spinner="Computing the claims' verdicts" + LIVE)
def _claim_views(
    version: tuple[str, str],
    registry: Registry,
    claims: tuple[Claim, ...],
    windows: Windows,
    tuned: tuple[tuple[tuple[str, str], float], ...],
):
    if (hit := precomputed.lookup("claim_views", registry, claims, windows, tuned)) is not None:
        return hit
    found, cohort_ids = _indicators(version, registry, windows, False)
    return compute.claim_page(found, cohort_ids, registry, claims, tuned)


def claim_charts(
    registry: Registry,
    claims: tuple[Claim, ...],
    windows: Windows,
    tuned: dict[tuple[str, str], float],
) -> tuple[pd.DataFrame, list, dict[str, pd.DataFrame]]:
    """The Claims page's verdict table, its charts (the matrix, then one per claim) and each
    claim's evidence table by claim id, once per store version, windows and thresholds."""
    return _claim_views(
        catalog().version(), registry, claims, windows, tuple(sorted(tuned.items()))
    )


@_shared(max_entries=8, spinner="Computing the Overview's figures" + LIVE)
def _overview_views(version: tuple[str, str], registry: Registry, claims: tuple[Claim, ...]):
    if (hit := precomputed.lookup("overview_views", registry, claims)) is not None:
        return hit
    tracked, _, cohort = _overview_tables(version, registry)
    found, cohort_ids = _indicators(version, registry, Windows(), False)
    return compute.overview_page(found, cohort_ids, registry, claims, tracked, cohort)


def group_member_ids(registry: Registry) -> list[str]:
    """Whose values the group's medians are over (the rule's members, else the tracked
    projects), from the cached indicators."""
    found, _ = _indicators(catalog().version(), registry, Windows(), False)
    return claim_views.members_in(registry, found)


def overview_page_views(registry: Registry, claims: tuple[Claim, ...]) -> dict[str, ChartView]:
    """The Overview's views by name (views.overview), once per store version."""
    return _overview_views(catalog().version(), registry, claims)


@_shared(max_entries=8)
def _coverage(version: tuple[str, str], projects: tuple[Project, ...]):
    if (hit := precomputed.lookup("coverage", projects)) is not None:
        return hit
    return compute.coverage(READER, projects)


def coverage(projects: list[Project]) -> pd.DataFrame:
    """The Data page's coverage table for these projects, once per store version."""
    return _coverage(catalog().version(), tuple(projects))


def commit_counts() -> pd.Series:
    """How many commits the data holds per repository: computed ahead with the data, else
    counted in the engine, once per store version."""
    return _commit_counts(catalog().version())


@_shared(max_entries=4)
def _commit_counts(version: tuple[str, str]) -> pd.Series:
    if (found := precomputed.lookup("commit_counts")) is None:
        found = compute.commit_counts(READER)
    return pd.Series(found, dtype="int64", name="count").rename_axis("repo")


@st.cache_data(show_spinner=False, max_entries=4)
def _claims(path: str, mtime_ns: int):
    return load_claims(path)


def claims() -> tuple[Claim, ...]:
    """The validated claim model; stops the page with the rule broken when it is invalid."""
    path = Path(DEFAULT_CLAIMS)
    try:
        return _claims(str(path), path.stat().st_mtime_ns)
    except (FileNotFoundError, ConfigError) as exc:
        st.error("The claims file has an error and must be fixed before anything is shown:")
        st.code(str(exc), language=None)
        st.stop()
    raise AssertionError("unreachable")


# ----- the embedded whole archive (the Explore page) ----------------------------------------


@st.cache_resource(show_spinner=False)
def _archive(root: str) -> Archive:
    # a read-only reader; it checks each file against the manifest before reading it, and
    # re-reads a file that changed on disk
    return Archive(root)


def archive() -> Archive:
    """The embedded whole archive (data/archive/), opened lazily once per process."""
    return _archive(str(ARCHIVE_DATA))


def archive_version() -> tuple[str, tuple]:
    """The archive's folder and its files' signatures: the archive caches' key, so a
    rebuilt, restored or damaged file is read (and checked) again on the next rerun."""
    reader = archive()
    return str(reader.root), reader.version()


@st.cache_data(show_spinner=False, max_entries=512)
def _archive_search(version: tuple[str, tuple], text: str, limit: int) -> pd.DataFrame:
    return _archive(version[0]).search(text, limit)


def archive_search(text: str, limit: int = 20) -> pd.DataFrame:
    """Names matching `text` (store.archive.Archive.search). Raises StoreError (the file
    named) when the name index cannot be read."""
    return _archive_search(archive_version(), text, limit)


@st.cache_data(show_spinner=False, max_entries=256)
def _archive_series(
    version: tuple[str, tuple], kind: str, name: str
) -> tuple[ArchiveEntry | None, pd.DataFrame]:
    reader = _archive(version[0])
    entry = reader.entry(name, kind)
    if entry is None:
        return None, pd.DataFrame()
    if kind == "repo":
        return entry, reader.repo_series(entry)
    return entry, reader.package_series(entry)


def archive_series(kind: str, name: str) -> tuple[ArchiveEntry | None, pd.DataFrame]:
    """An archive name's entry and its series' rows (repo_snapshots- or
    package_downloads-like); (None, empty) for a name the archive does not have. Raises
    StoreError (the file named) when the archive cannot be read."""
    return _archive_series(archive_version(), kind, name)


@dataclass(frozen=True)
class ArchivePicks:
    """What a page's picked (kind, name) archive names resolve to."""

    found: list[tuple[ArchiveEntry, pd.DataFrame]]  # each series once, in the order picked
    unknown: list[tuple[str, str]]  # names the archive does not have
    unavailable: list[tuple[str, str, str]]  # (kind, name, why): the archive cannot be read


def archive_pick_state(picks: tuple[tuple[str, str], ...]) -> ArchivePicks:
    """The picks' series, the names the archive does not have, and the names that cannot be
    read now (a damaged or missing archive file, named), each pick kept for its Remove."""
    found, unknown, unavailable, seen = [], [], [], set()
    for kind, name in picks:
        try:
            entry, rows = archive_series(kind, name)
        except StoreError as exc:
            unavailable.append((kind, name, str(exc)))
            continue
        if entry is None:
            unknown.append((kind, name))
        elif (entry.kind, entry.sid) not in seen:
            seen.add((entry.kind, entry.sid))
            found.append((entry, rows))
    return ArchivePicks(found, unknown, unavailable)


def archive_picks(picks: tuple[tuple[str, str], ...]) -> list[tuple[ArchiveEntry, pd.DataFrame]]:
    """The picked (kind, name) archive names' series, each series once (a former name and
    the current one are one series), in the order picked; names the archive does not have
    or cannot read now are left out (`archive_pick_state` says which)."""
    return archive_pick_state(picks).found


def archive_subjects(picks: tuple[tuple[str, str], ...]) -> list:
    """The picked archive series as views.explore Subjects (rows and where they end); the
    series that cannot be read are left out."""
    found = archive_picks(picks) if picks else []
    if not found:  # the archive stays closed on a page that picked nothing from it
        return []
    try:
        sources = archive().sources()
    except StoreError:
        return []
    return [archive_subject(e, rows, sources[e.kind].as_of) for e, rows in found]


@_shared(max_entries=32)
def _compare(
    version: tuple[str, str],
    projects: tuple[Project, ...],
    metric: str,
    settings: CompareSettings,
    picks: tuple[tuple[str, str], ...],
    archive_key: tuple[str, tuple] | None = None,  # the archive's version when picks are read
):
    snapshots = load_for("repo_snapshots", projects)
    downloads = load_for("package_downloads", projects)
    subjects = archive_subjects(picks)
    return compare_view(projects, METRICS[metric], snapshots, downloads, settings, subjects)


def compare(
    projects: list[Project],
    metric: str,
    settings: CompareSettings,
    picks: tuple[tuple[str, str], ...],
) -> CompareView:
    """The Compare page's chart for these projects, settings and picked archive names
    ((kind, name) pairs), once per store version."""
    archive_key = archive_version() if picks else None
    return _compare(catalog().version(), tuple(projects), metric, settings, picks, archive_key)


# ----- alerts: the history the refresh keeps, and the rules in force ------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _alert_history(path: str, stamp: tuple[int, int]):
    from alerts.history import read_history

    try:
        return read_history(Path(path)), None
    except StoreError as exc:
        return None, str(exc)


def alert_history():
    """The alert history (alerts-history.json) and a problem reading it, if any; read again
    whenever the file changes (each refresh writes it)."""
    from alerts.history import AlertHistory

    path = settings().data.alert_history
    history, problem = _alert_history(str(path), _stamp(path))
    return history or AlertHistory(), problem


def alert_rules():
    """The alert rules in force (alerts.toml, else the defaults) and the file's problem."""
    from registry.alerts import AlertRules, load_alert_rules

    try:
        return load_alert_rules(settings().data.alerts_file), None
    except ConfigError as exc:
        return AlertRules(), str(exc)
