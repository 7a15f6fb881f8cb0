"""The app reads through DuckDB (store/query.py) and gets exactly the frames the pandas path
gave: every table whole, the rows of the projects a page shows, and the app's key loaders
(indicators now and a year earlier, the Community page, the Overview's tables, coverage),
on a store with several segments, an old schema, a newer observation of a key and a user
row overriding a shipped one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from app import loaders
from metrics.cohort import cohort_projects
from metrics.coverage import KINDS
from metrics.coverage import coverage as coverage_table
from metrics.indicators import Windows, a_year_earlier
from registry import load_registry
from store import DEFAULT_DATA, TABLES, Catalog, SegmentStore, merge_newest
from store.reader import CatalogReader
from tests.conftest import snapshot_rows
from views import claims as claim_views
from views import overview as overview_views
from views.community import CommunitySettings, community_views

REPO = "keras-team/keras"


def _commits(shipped: pd.DataFrame, repo: str, count: int, **changes) -> pd.DataFrame:
    rows = shipped[shipped["repo"] == repo].tail(count)
    return rows.assign(**changes).reset_index(drop=True)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path]:
    """A shipped store (the default data, then more segments) and a user store."""
    base = tmp_path_factory.mktemp("query")
    shipped_root, user_root = base / "shipped", base / "user"
    shutil.copytree(DEFAULT_DATA, shipped_root)
    shipped = SegmentStore(shipped_root)
    commits = shipped.read("commits").frame
    # several segments: a newer observation of a key in a later one
    shipped.append({"repo_snapshots": snapshot_rows(REPO, ["2026-08-30"], [1], forks=[1])})
    shipped.append(
        {
            "repo_snapshots": snapshot_rows(
                REPO, ["2026-08-30"], [2], fetched="2026-08-31", forks=[2]
            )
        }
    )
    # an old schema: a segment written before `open_prs` and `topics` existed
    shipped.append({"repo_snapshots": snapshot_rows(REPO, ["2026-08-29"], [3], forks=[3])})
    old = shipped_root / shipped.manifest()["tables"]["repo_snapshots"][-1]
    pq.write_table(pq.read_table(old).drop_columns(["open_prs", "topics"]), old)
    user = SegmentStore(user_root)
    # the user's rows: the same observation time as shipped ones (the user's win the tie)
    # and a newer one, for snapshots and for commits
    tied = commits[commits["repo"] == REPO].tail(3)
    user.append(
        {
            "repo_snapshots": snapshot_rows(
                REPO, ["2026-08-30"], [9], fetched="2026-08-31", forks=[9]
            ),
            "commits": tied.assign(author_domain="user.example").reset_index(drop=True),
        }
    )
    user.append({"repo_snapshots": snapshot_rows(REPO, ["2026-08-31"], [10], fetched="2026-09-01")})
    return shipped_root, user_root


def _reference(shipped: Path, user: Path, table: str) -> pd.DataFrame:
    """What the app read before: each store by the pandas path, then merged."""
    parts = [SegmentStore(shipped).read(table).frame, SegmentStore(user).read(table).frame]
    return merge_newest(TABLES[table], parts)


def test_every_table_reads_as_the_pandas_path_read_it(stores):
    shipped, user = stores
    catalog = Catalog(shipped, user)
    for table in TABLES:
        result = catalog.read(table)
        assert not result.problems, result.problems
        assert_frame_equal(result.frame, _reference(shipped, user, table), check_exact=True)
    # the rule did its work: the user's row won the tie, the newest observation the key
    snaps = catalog.read("repo_snapshots", where={"repo": [REPO]}).frame
    day = snaps[snaps["date"] == pd.Timestamp("2026-08-30")]
    assert day["stars"].tolist() == [9]
    assert snaps.loc[snaps["date"] == pd.Timestamp("2026-08-29"), "open_prs"].isna().all()


def test_text_columns_come_in_one_piece_so_slicing_a_project_out_is_cheap(stores):
    """DuckDB answers in one chunk per row group; a text column left in those chunks makes
    every per-project slice (`take`) cost about the whole column."""
    frame = Catalog(*stores).read("commits").frame
    assert len(frame) > 200_000  # several of DuckDB's row groups
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    assert {"repo", "sha", "author_id"} <= set(text)
    assert {c: frame[c].array._pa_array.num_chunks for c in text} == dict.fromkeys(text, 1)


def test_a_page_reads_only_its_projects_rows_and_the_columns_it_asks_for(stores):
    shipped, user = stores
    catalog = Catalog(shipped, user)
    repos = [REPO, "huggingface/diffusers", "no/such-repo"]
    for table in ("repo_snapshots", "commits"):
        got = catalog.read(table, where={"repo": repos}).frame
        whole = _reference(shipped, user, table)
        want = whole[whole["repo"].isin(repos)].reset_index(drop=True)
        assert len(want) and len(want) < len(whole)
        assert_frame_equal(got, want, check_exact=True)
    picked = catalog.read("commits", where={"repo": [REPO]}, columns=["sha", "authored_at"])
    whole = _reference(shipped, user, "commits")
    want = whole.loc[whole["repo"] == REPO, ["sha", "authored_at"]].reset_index(drop=True)
    assert_frame_equal(picked.frame, want, check_exact=True)


def test_whole_table_figures_from_the_key_columns_alone_equal_the_rules(stores):
    """Counts per key value and the newest value of a key column are read from the key
    columns without the rule's ordering: they must still be the rule's answers."""
    shipped, user = stores
    reader = CatalogReader(Catalog(shipped, user))
    for table in TABLES:
        whole = _reference(shipped, user, table)
        first = TABLES[table].key[0]
        want = whole[first].value_counts().sort_index().astype("int64")
        got = reader.counts(table, first).sort_index().astype("int64")
        assert_series_equal(got, want, check_names=False, check_index_type=False), table
        for column in TABLES[table].key:
            if not pd.api.types.is_datetime64_any_dtype(whole[column]):
                continue
            newest = whole[column].max() if len(whole) else None
            assert reader.newest(table, column) == newest, (table, column)
            if newest is not None:
                cut = newest - pd.Timedelta(days=1)
                before = whole.loc[whole[column] <= cut, column].max()
                found = reader.newest_before(table, column, cut)
                assert found == (None if pd.isna(before) else before), (table, column)
    # the user's newer snapshot day counts, as the rule keeps it
    assert reader.newest("repo_snapshots", "date") == pd.Timestamp("2026-08-31")


def test_a_filter_on_a_column_that_is_not_a_key_is_refused(stores):
    with pytest.raises(ValueError, match="not a key column"):
        Catalog(*stores).read("commits", where={"author_id": ["x"]})


@pytest.fixture
def app_on(stores, monkeypatch):
    shipped, user = stores
    monkeypatch.setattr(loaders, "DEFAULT_DATA", shipped)
    monkeypatch.setenv("OSSAI_DATA_DIR", str(user))
    return _reference_tables(shipped, user)


def _reference_tables(shipped: Path, user: Path) -> dict[str, pd.DataFrame]:
    return {table: _reference(shipped, user, table) for table in TABLES}


def test_the_apps_key_loaders_answer_as_before(app_on):
    tables = app_on
    registry = load_registry()
    # indicators, now and a year earlier (the trend)
    found, cohort_ids = loaders.indicators(registry, Windows())
    want, want_ids = claim_views.indicators(registry, tables, Windows())
    assert_frame_equal(found, want, check_exact=True)
    assert cohort_ids == want_ids
    found, _ = loaders.indicators(registry, Windows(), a_year_before=True)
    want, _ = claim_views.indicators(registry, a_year_earlier(tables), Windows())
    assert_frame_equal(found, want, check_exact=True)
    # the Community page
    views = loaders.community(registry, CommunitySettings())
    expected = community_views(registry, tables["commits"], tables["releases"])
    assert_frame_equal(views.summary, expected.summary, check_exact=True)
    assert_frame_equal(views.active.data, expected.active.data, check_exact=True)
    # the Overview's tables
    tracked, _, cohort = loaders.overview_tables(registry)
    want_tracked, want_cohort = overview_views.project_tables(registry, tables)
    assert_frame_equal(tracked, want_tracked, check_exact=True)
    assert_frame_equal(cohort, want_cohort, check_exact=True)
    # the Data page's coverage and commit counts
    projects = list(registry) + cohort_projects(tables["cohort_members"], registry.cohort.label)
    reference = {name: tables[name] for name, *_ in KINDS.values()}
    assert_frame_equal(
        loaders.coverage(projects),
        coverage_table(projects, reference, tables["source_days"]),
        check_exact=True,
    )
    counts = loaders.commit_counts()
    want_counts = tables["commits"]["repo"].value_counts()
    assert_series_equal(
        counts.sort_index().astype("int64"),
        want_counts.sort_index().astype("int64"),
        check_names=False,
        check_index_type=False,
    )
