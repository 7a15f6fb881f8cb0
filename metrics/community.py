"""Community metrics from commits, after the CHAOSS definitions (chaoss.community/metrics).

All functions are pure: a `commits` frame (store table `commits`) in, a frame or number out.
Definitions, with their parameters and defaults:

- *Contribution*: a commit authored, or co-authored (a `Co-authored-by` trailer), by a
  person. Bots are left out unless `include_bots`; merge commits are left out unless
  `include_merges`, because a merge repeats the work of the commits it brings in.
- *One window for everyone*: the project tables count the `window_months` that end on the
  data's as-of day (the day after the newest commit in the data, `data_end`), the same window
  for every project, never one ending at each project's own newest commit.
- *Active contributors* in a period: people with at least one contribution in it.
  *New*: their first contribution ever falls in the period. *Returning*: active, not new.
  *Drifting*: people whose latest contribution up to the period's end is 6 to 12 months
  before it (`drifting_months`); *away*: more than 12 months (`away_months`).
- *Contributor absence factor* ("bus factor"): the smallest number of people whose
  contributions add up to at least `share` (50 %) of all contributions in a window.
- *Elephant factor* (CHAOSS): the fewest organizations whose commits make `share` of ALL
  authored commits, an organization being the author's e-mail domain; personal addresses
  (public mail providers, 'independent') and addresses without a usable domain ('unknown')
  belong to no organization: they count in the total and never towards it, so when the
  organizations together make less than `share` the factor is undetermined (missing).
- *Organizational diversity*: each organization's share of authored commits per period.
- *Release frequency*: releases per period, and the median days between consecutive releases.
  A project's releases are its packages' PyPI releases (yanked ones left out) when it has
  any, else the tags of its main repositories: PyPI is where users receive a release, and
  many projects tag family repositories on schedules of their own. Releases are counted in
  the window that ends on the day the release list was read; gaps are between release
  *days*, so patch releases of parallel lines on one day count once.
- *Changes landed through a pull request*: of the changes that landed on the default branch
  (commits on its first-parent chain, bots left out), the share that arrived through a
  public pull request (GitHub's merge or squash message names it) or carry a review trailer
  (Reviewed-by, Approved-by, ...). Rebase-merged pull requests leave no such mark, so the
  share is a lower bound.
- *Coverage*: which of a project's repositories the git figures rest on; a figure that
  leaves some out is partial, and says which.
- *Activity by weekday and hour*: contributions counted in the author's own local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

NO_ORGANIZATION = ("independent", "unknown")
FREQUENCIES = {"month": "MS", "quarter": "QS", "year": "YS"}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def contributions(
    commits: pd.DataFrame,
    *,
    include_bots: bool = False,
    include_merges: bool = False,
    include_coauthors: bool = True,
) -> pd.DataFrame:
    """One row per (commit, person): repo, sha, when (UTC), local (author's clock), person,
    domain (for authors; co-authors have no stored domain), role ('author'/'co-author')."""
    rows = commits
    if not include_merges:
        rows = rows[~rows["is_merge"].fillna(False).astype(bool)]
    offsets = pd.to_timedelta(rows["author_utc_offset_min"].fillna(0).astype("int64"), unit="m")
    local = rows["authored_at"].dt.tz_convert("UTC").dt.tz_localize(None) + offsets
    base = pd.DataFrame(
        {
            "repo": rows["repo"].to_numpy(),
            "sha": rows["sha"].to_numpy(),
            "when": rows["authored_at"].array,  # stays tz-aware: no object Timestamps
            "local": local.to_numpy(),
        }
    )
    authors = base.assign(
        person=rows["author_id"].to_numpy(),
        domain=rows["author_domain"].to_numpy(),
        role="author",
        bot=rows["author_is_bot"].fillna(False).to_numpy(dtype=bool),
    )
    parts = [authors if include_bots else authors[~authors["bot"]]]
    columns = ["co_author_ids", "co_author_bot_ids"] if include_bots else ["co_author_ids"]
    if include_coauthors:
        for column in columns:
            # only the few commits with trailers: splitting every row's empty value is slow
            has = rows[column].notna().to_numpy() & (rows[column].fillna("") != "").to_numpy()
            if not has.any():
                continue
            ids = rows.loc[has, column].astype(str).str.split(",").to_numpy()
            co = base[has].assign(person=ids).explode("person")
            co = co[co["person"].astype(bool)]
            parts.append(
                co.assign(domain=None, role="co-author", bot=column == "co_author_bot_ids")
            )
    out = pd.concat(parts, ignore_index=True)
    out["when"] = pd.to_datetime(out["when"], utc=True)
    if len(parts) > 1:
        # one person credited twice on one commit (author and co-author) counts once
        out = out.drop_duplicates(subset=["repo", "sha", "person"])
    return out.drop(columns="bot").reset_index(drop=True)


def _period(when: pd.Series, freq: str) -> pd.Series:
    naive = when.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period(FREQUENCIES[freq][0]).dt.start_time


def contributor_flow(
    contribs: pd.DataFrame,
    freq: str = "quarter",
    *,
    drifting_months: int = 6,
    away_months: int = 12,
) -> pd.DataFrame:
    """Per period: active, new, returning, drifting and away contributors."""
    columns = ["period", "active", "new", "returning", "drifting", "away"]
    if contribs.empty:
        return pd.DataFrame(columns=columns)
    frame = contribs.assign(period=_period(contribs["when"], freq))
    first = frame.groupby("person")["period"].min()
    periods = pd.date_range(frame["period"].min(), frame["period"].max(), freq=FREQUENCIES[freq])
    active = frame.groupby("period")["person"].nunique()
    new = first.value_counts()
    rows = []
    naive_when = frame["when"].dt.tz_convert("UTC").dt.tz_localize(None)
    step = pd.tseries.frequencies.to_offset(FREQUENCIES[freq])
    for start in periods:
        end = start + step  # exclusive
        last = naive_when[naive_when < end].groupby(frame["person"]).max()
        drift_edge = end - pd.DateOffset(months=drifting_months)
        away_edge = end - pd.DateOffset(months=away_months)
        rows.append(
            {
                "period": start,
                "active": int(active.get(start, 0)),
                "new": int(new.get(start, 0)),
                "returning": int(active.get(start, 0) - new.get(start, 0)),
                "drifting": int(((last < drift_edge) & (last >= away_edge)).sum()),
                "away": int((last < away_edge).sum()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def absence_factor(counts: pd.Series | list[int], share: float = 0.5) -> int | None:
    """Smallest number of contributors whose counts reach `share` of the total.

    CHAOSS's example: counts 1000, 433, 343, 332, 202, 90, 42, 33 give 2.
    None when there are no contributions (a factor of nothing is not zero).
    """
    values = np.sort(np.asarray(pd.Series(counts), dtype="float64"))[::-1]
    total = values.sum()
    if total <= 0:
        return None
    return int(np.searchsorted(np.cumsum(values), share * total - 1e-9) + 1)


def elephant_factor(domains: pd.Series, share: float = 0.5) -> int | None:
    """CHAOSS's elephant factor over ALL authored commits: the fewest organizations whose
    commits make `share` of every commit, one entry of `domains` per commit. Personal and
    unknown addresses (NO_ORGANIZATION, or null) are nobody's organization: they count in the
    total but never towards it. None when the organizations together fall short of `share`
    (the factor is then undetermined, not large) or there are no commits."""
    total = len(domains)
    if total == 0:
        return None
    orgs = domains[domains.notna() & ~domains.isin(NO_ORGANIZATION)]
    return _factor_of(orgs.value_counts().to_numpy(), total, share)


def core_retention(contribs: pd.DataFrame, recent_people: pd.Series, top: int = 10) -> float | None:
    """Of the `top` people with the most contributions ever, the share still active (in
    `recent_people`). Everyone tied with the `top`-th person counts as core too, so the answer
    never depends on the order in which ties happen to be sorted. None without contributions."""
    counts = contribs.groupby("person").size()
    if counts.empty:
        return None
    cut = counts.nlargest(top).min()
    core = counts[counts >= cut].index
    return len(set(core) & set(recent_people)) / len(core)


def active_weeks(commits: pd.DataFrame, end: pd.Timestamp, weeks: int = 13) -> int:
    """Of the `weeks` whole weeks ending at `end`, how many have at least one commit not made
    by a bot (after OpenSSF Scorecard's Maintained check, which looks back 90 days)."""
    rows = commits[~commits["author_is_bot"].fillna(False).astype(bool)]
    age = (end - rows["committed_at"]).dt.days
    age = age[(age >= 0) & (age < 7 * weeks)]
    return int((age // 7).nunique())


def factor_over_time(
    contribs: pd.DataFrame,
    by: str = "person",
    *,
    freq: str = "quarter",
    window_months: int = 12,
    share: float = 0.5,
    exclude: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The absence factor of `by` ('person', or 'domain' for the elephant factor) over the
    `window_months` ending with each period; missing where the window has no contributions.

    For 'domain', as CHAOSS defines the elephant factor: over all authored commits, the
    domains in `exclude` (personal and unknown addresses) belonging to no organization, so
    they count in the total and never towards it; missing where the organizations together
    fall short of `share`."""
    frame = contribs
    if by == "domain":
        frame = frame[frame["role"] == "author"]
    if contribs.empty:
        return pd.DataFrame(columns=["period", "factor", "contributions"])
    naive = frame["when"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    all_naive = contribs["when"].dt.tz_convert("UTC").dt.tz_localize(None)
    step = pd.tseries.frequencies.to_offset(FREQUENCIES[freq])
    periods = pd.date_range(
        _period(contribs["when"], freq).min(), all_naive.max(), freq=FREQUENCIES[freq]
    )
    # Sorted once by time, each window is a slice found by binary search and its counts a
    # bincount of the keys' codes: masking the whole frame for every period cost seconds.
    order = np.argsort(naive, kind="stable")
    times = naive[order]
    keys = frame[by]
    if exclude:
        keys = keys.where(~keys.isin(exclude))  # nobody's: counted, never a unit
    codes = pd.factorize(keys)[0][order]  # -1: no key
    rows = []
    for start in periods:
        end = start + step
        lower = end - pd.DateOffset(months=window_months)
        lo, hi = np.searchsorted(times, np.array([lower, end], dtype=times.dtype), side="left")
        inside = codes[lo:hi]
        counts = np.bincount(inside[inside >= 0])
        counts = counts[counts > 0]
        total = len(inside) if by == "domain" else int(counts.sum())
        rows.append(
            {
                "period": start,
                "factor": _factor_of(counts, total, share),
                "contributions": int(total),
            }
        )
    out = pd.DataFrame(rows)
    out["factor"] = out["factor"].astype("Int64")
    return out


def _factor_of(counts: np.ndarray, total: int, share: float) -> int | None:
    """The fewest of `counts` (largest first) reaching `share` of `total`; None if they
    cannot (or there is nothing)."""
    if total <= 0:
        return None
    reached = np.cumsum(np.sort(counts)[::-1]) >= share * total - 1e-9
    return int(np.argmax(reached) + 1) if reached.any() else None


def data_end(commits: pd.DataFrame) -> pd.Timestamp | None:
    """The data's as-of day for git figures, as the end of a window (exclusive, UTC): the
    day after the newest commit, or None without commits."""
    if commits.empty:
        return None
    return community_end(commits["authored_at"].max())


def community_end(newest: pd.Timestamp | None) -> pd.Timestamp | None:
    """`data_end` from the newest commit's time (None: no commits): the day after it, UTC."""
    if newest is None or pd.isna(newest):
        return None
    return newest.tz_convert("UTC").normalize() + pd.Timedelta(days=1)


def organization_shares(contribs: pd.DataFrame, freq: str = "year", top: int = 8) -> pd.DataFrame:
    """Per period, each organization's share of authored commits (long format).

    The `top` organizations over the whole history keep their names; the rest are 'other
    organizations'. 'independent' and 'unknown' are kept as themselves.
    """
    authors = contribs[contribs["role"] == "author"]
    if authors.empty:
        return pd.DataFrame(columns=["period", "organization", "commits", "share"])
    orgs = authors["domain"].fillna("unknown")
    named = orgs[~orgs.isin(NO_ORGANIZATION)].value_counts().head(top).index
    label = orgs.where(orgs.isin([*named, *NO_ORGANIZATION]), "other organizations")
    table = (
        pd.DataFrame({"period": _period(authors["when"], freq), "organization": label})
        .groupby(["period", "organization"])
        .size()
        .rename("commits")
        .reset_index()
    )
    table["share"] = table["commits"] / table.groupby("period")["commits"].transform("sum")
    return table


def release_frequency(
    releases: pd.DataFrame, freq: str = "year", *, include_prereleases: bool = False
) -> tuple[pd.DataFrame, float | None]:
    """Releases per period and the median days between consecutive releases (None if < 2)."""
    rows = releases.dropna(subset=["published_at"])
    if not include_prereleases:
        rows = rows[~rows["prerelease"].fillna(False).astype(bool)]
    if rows.empty:
        return pd.DataFrame(columns=["period", "releases"]), None
    per = _period(rows["published_at"], freq).value_counts().sort_index()
    periods = pd.date_range(per.index.min(), per.index.max(), freq=FREQUENCIES[freq])
    table = per.reindex(periods, fill_value=0).rename_axis("period").rename("releases")
    # several versions on one day (patch releases of parallel lines) are one release event
    days = rows["published_at"].dt.tz_convert("UTC").dt.normalize().drop_duplicates()
    gaps = days.sort_values().diff().dropna().dt.days
    median = float(gaps.median()) if len(gaps) else None
    return table.reset_index(), median


@dataclass(frozen=True)
class ReleasePace:
    """Releases in a window that ends on the day the release list was read (not on the
    last release: a project that stopped releasing shows few releases, not its old pace)."""

    releases: int  # in the last `window_months`, no pre-releases
    median_gap_days: float | None  # between release days over the last 24 months
    read_on: pd.Timestamp  # the day the release list was read (UTC, midnight)


def release_pace(releases: pd.DataFrame, window_months: int) -> ReleasePace | None:
    """The pace of a project's releases (as `project_releases` gives them); None if none."""
    rows = releases.dropna(subset=["published_at"])
    rows = rows[~rows["prerelease"].fillna(False).astype(bool)]
    if rows.empty:
        return None
    end = rows["fetched_at"].max()
    start = end - pd.DateOffset(months=window_months)
    _, gap = release_frequency(rows[rows["published_at"] > end - pd.DateOffset(months=24)])
    return ReleasePace(
        int((rows["published_at"] > start).sum()),
        gap,
        end.tz_convert("UTC").tz_localize(None).normalize(),
    )


@dataclass(frozen=True)
class GitCoverage:
    """The repositories of a project that have git history in the data, and those without."""

    covered: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def partial(self) -> bool:
        return bool(self.covered) and bool(self.missing)

    def counted(self) -> str:
        """E.g. '5 of 6'."""
        return f"{len(self.covered)} of {len(self.covered) + len(self.missing)}"

    def text(self) -> str:
        """E.g. 'git history: 5 of 6 repositories; huggingface/transformers not collected'."""
        total = len(self.covered) + len(self.missing)
        noun = "repository" if total == 1 else "repositories"
        head = f"git history: {len(self.covered)} of {total} {noun}"
        if not self.missing:
            return head
        return f"{head}; {', '.join(self.missing)} not collected"


class ByRepo:
    """`commits` split by repository once: each repository's row positions, taken when a
    project asks for its rows (in the frame's order) or its coverage.

    Masking every commit again for each project (`isin`, `unique`) cost 15-30 ms a project
    at 5.8M commits, most of the Community views' time at 3,000 repositories."""

    def __init__(self, commits: pd.DataFrame):
        self.commits = commits
        self._at = commits.groupby("repo", sort=False).indices if len(commits) else {}

    def rows(self, repos: Sequence[str]) -> pd.DataFrame:
        """The commits of `repos`, as `commits[commits["repo"].isin(repos)]` gives them."""
        found = [self._at[r] for r in dict.fromkeys(repos) if r in self._at]
        if not found:
            return self.commits.iloc[0:0]
        return self.commits.take(np.sort(np.concatenate(found)))

    def coverage(self, repos: Sequence[str]) -> GitCoverage:
        """Which of `repos` have commits (order kept)."""
        return GitCoverage(
            tuple(r for r in repos if r in self._at), tuple(r for r in repos if r not in self._at)
        )


def project_releases(
    repos: Sequence[str], packages: Sequence[str], releases: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """A project's releases and where they come from: its packages' PyPI releases (yanked
    left out) when it has any, else the git tags or GitHub releases of `repos`."""
    on_pypi = releases[
        (releases["subject_kind"] == "package") & releases["subject"].isin(list(packages))
    ]
    on_pypi = on_pypi[~on_pypi["yanked"].fillna(False).astype(bool)]
    if len(on_pypi.dropna(subset=["published_at"])):
        return on_pypi, "PyPI releases of " + ", ".join(sorted(on_pypi["subject"].unique()))
    tagged = releases[(releases["subject_kind"] == "repo") & releases["subject"].isin(list(repos))]
    if len(tagged.dropna(subset=["published_at"])):
        return tagged, "tags of " + ", ".join(sorted(tagged["subject"].unique()))
    return tagged.iloc[0:0], ""


PR_COLUMNS = ("first_parent", "pull_request", "review_trailer")


def public_review_share(commits: pd.DataFrame, since: pd.Timestamp | None = None) -> float | None:
    """Share of changes landed on the default branch since `since` that arrived through a
    public pull request or carry a review trailer; None when no change is known.

    A change is a commit on the first-parent chain not made by a bot. Commits collected
    before these columns existed (nulls) are left out rather than counted as direct pushes.
    """
    if any(c not in commits for c in PR_COLUMNS):
        return None
    rows = commits[commits["first_parent"].fillna(False).astype(bool)]
    rows = rows[~rows["author_is_bot"].fillna(False).astype(bool)]
    if since is not None:
        rows = rows[rows["authored_at"] > since]
    if rows.empty:
        return None
    public = rows["pull_request"].notna() | rows["review_trailer"].fillna(False).astype(bool)
    return float(public.mean())


def second_person_share(commits: pd.DataFrame, since: pd.Timestamp | None = None) -> float | None:
    """Share of the changes landed on the default branch since `since` (first-parent commits
    not made by a bot) that git shows a second person took in: a review trailer, or a merge
    by someone other than the author of the branch it merges. None when no change is known, or
    when no commit records the merger (data read before `merged_by_other` existed).

    A lower bound of review, after OpenSSF Scorecard's Code-Review check: a squash or rebase
    merge on GitHub records no merger, and review in the pull request leaves no trace in git.
    """
    if any(c not in commits for c in (*PR_COLUMNS, "merged_by_other")):
        return None
    rows = commits[commits["first_parent"].fillna(False).astype(bool)]
    rows = rows[~rows["author_is_bot"].fillna(False).astype(bool)]
    if since is not None:
        rows = rows[rows["authored_at"] > since]
    if rows.empty or commits["merged_by_other"].isna().all():
        return None
    other = rows["merged_by_other"].fillna(False).astype(bool)
    return float((other | rows["review_trailer"].fillna(False).astype(bool)).mean())


def activity_heatmap(contribs: pd.DataFrame) -> pd.DataFrame:
    """Contributions by weekday (rows, Monday first) and hour (0-23) in the author's local time."""
    local = pd.to_datetime(contribs["local"])
    table = pd.crosstab(local.dt.day_of_week, local.dt.hour)
    table = table.reindex(index=range(7), columns=range(24), fill_value=0)
    table.index = WEEKDAYS
    return table


def summary(
    projects,
    commits: pd.DataFrame | ByRepo,
    releases: pd.DataFrame,
    *,
    window_months: int = 12,
    share: float = 0.5,
    include_bots: bool = False,
    include_merges: bool = False,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per project: its main repositories' figures over the `window_months` ending
    on `end` (default: the data's as-of day, `data_end`), the same window for every project.

    Projects without commits are listed with a note, not left out, so the page can say which
    have no git data. `coverage` says which repositories the figures rest on (`partial` when
    some have no git history); a family repository is a project of its own here (see
    `views.community.subjects`). Releases are `release_pace` of what `project_releases`
    chooses, exactly as the Claims page counts them. `commits` may come split already
    (`ByRepo`), when the caller reads them per project too.
    """
    split = commits if isinstance(commits, ByRepo) else ByRepo(commits)
    end = end if end is not None else data_end(split.commits)
    rows = []
    for project in projects:
        mine = split.rows(project.main_repo_names)
        coverage = split.coverage(project.main_repo_names)
        rel, rel_source = project_releases(project.main_repo_names, project.packages, releases)
        if mine.empty or end is None:
            rows.append(
                {
                    "project": project.name,
                    "git_repos": coverage.counted(),
                    "coverage": coverage.text(),
                    "partial": False,
                    "release_source": rel_source,
                    "note": "insufficient data: no git history of its own repositories",
                }
            )
            continue
        mine = mine[mine["authored_at"] < end]
        contribs = contributions(mine, include_bots=include_bots, include_merges=include_merges)
        start = end - pd.DateOffset(months=window_months)
        recent = contribs[contribs["when"] > start]
        authors = recent[recent["role"] == "author"]
        first = contribs.groupby("person")["when"].min()
        pace = release_pace(rel, window_months)
        newest = mine["committed_at"].max()
        rows.append(
            {
                "project": project.name,
                "as_of": (end - pd.Timedelta(days=1)).tz_convert("UTC").tz_localize(None),
                "history_ends": newest.tz_convert("UTC").tz_localize(None).normalize(),
                "contributors_all_time": int(contribs["person"].nunique()),
                "active": int(recent["person"].nunique()),
                "new": int((first > start).sum()),
                "bus_factor": absence_factor(recent.groupby("person").size(), share),
                "elephant_factor": elephant_factor(authors["domain"], share),
                "independent_share": float(authors["domain"].isin(NO_ORGANIZATION).mean())
                if len(authors)
                else np.nan,
                "public_review_share": public_review_share(mine, start),
                "releases": pace.releases if pace else None,
                "median_days_between_releases": pace.median_gap_days if pace else None,
                "release_source": rel_source,
                "git_repos": coverage.counted(),
                "coverage": coverage.text(),
                "partial": coverage.partial,
                "note": "",
            }
        )
    frame = pd.DataFrame(rows)
    for column in (
        "contributors_all_time",
        "active",
        "new",
        "bus_factor",
        "elephant_factor",
        "releases",
    ):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame
