"""The Data page's text and tables, defined once: the sources with their as-of dates, licences
and caveats, the coverage of every tracked project, the known caveats and how they are
handled, and the git histories sought. The app's Data page and the static report both draw
these (the static report as sections of blocks, like the Methods page: `views.methods`).
"""

from __future__ import annotations

import re

import pandas as pd

from metrics.coverage import KINDS
from store import archive
from views.methods import Block, Section

LEAD = (
    "Where every figure comes from, how much of it there is, and what to beware of: the "
    "sources with the day their data reaches and their licences, what the data holds for "
    "each tracked project, and the known caveats with how each is handled."
)


def caveats() -> list[str]:
    """The known caveats and how each is handled; the counting changes' dates are read from
    the one constant each (store.archive) when the page is drawn."""
    return [
        "**Absence is not zero.** The GitHub archive lists only each language's top 100 "
        "repositories per day, and the PyPI archive only the top 4,000-15,000 packages. A project "
        "missing on a day was outside the lists; it is shown as a gap, never as zero.",
        "**Gaps.** The GitHub archive misses 283 days, two of them long (2021-10-01 to 2021-12-18 "
        "and 2024-10-23 to 2025-01-08). Lines break across gaps longer than a week.",
        "**Anomalous days.** On some days the archive's source returned wrong lists. Values that "
        "dip for a single observation below 90 % of both neighbours are kept but flagged and not "
        "charted.",
        "**Renames and case variants.** huggingface/pytorch-transformers became "
        "huggingface/transformers on 2019-09-26; the registry's `formerly` joins them into one "
        "series (the name the archive used each day is kept in `listed_as`). Names differing only "
        "in letter case are one repository.",
        "**Never listed.** CompVis/stable-diffusion is a Jupyter Notebook repository, a language "
        "the archive does not track, and it never reached the overall top 100: it has no GitHub "
        "figures until a live refresh.",
        "**Download windows.** Windows were 30 days, then 22-29 days (2024-12 to 2025-06), then "
        "calendar months (from 2025-07). Charts use downloads per day; the 365-day series (until "
        "2021-04) is kept apart.",
        f"**Counting changes.** Up to {archive.PIP_ONLY_UNTIL:%Y-%m-%d} only pip downloads were "
        f"counted, all installers after; from {archive.CLICKHOUSE_FROM:%Y-%m} the source moved "
        "from BigQuery to ClickHouse. Growth across those changes is not computed (missing, with "
        "the reason); the share of PyPI downloads is compared within one counting method only.",
        "**Stars are not users.** Stars and forks measure attention, downloads include CI and "
        "mirrors; neither counts people.",
    ]


SOURCE_COLUMNS = ["title", "as_of", "licence", "url", "revision", "coverage", "notes"]
COVERAGE_NOTE = (
    "For each tracked project, each kind of data: the first and last day with a usable "
    "observation, how many there are, and the days (or snapshots) between first and last "
    "when the source published data but not for this subject. A subject the data holds "
    "nothing of says why."
)
HISTORY_COLUMNS = ["repo", "status", "snapshot", "size_mb", "reason"]


def _revision(value: object) -> object:
    """A source's revision as a reader can take it in: one commit (abbreviated, as git
    does), or how many (a source read from many repositories names a commit for each)."""
    if not isinstance(value, str):
        return value
    if re.fullmatch(r"[0-9a-f]{40}", value):
        return value[:12]  # a commit, as git abbreviates it
    if value.count(",") < 3:
        return value
    return f"{value.count(',') + 1} repositories, each at the commit read"


def histories_note(histories: pd.DataFrame) -> str:
    """What the table of git histories sought says, counted."""
    kept = int((histories["status"] == "in data").sum())
    return (
        f"{kept} of {len(histories)} full histories could be brought in. The snapshot is "
        "the newest commit on any ref of the copy read: a copy that ends long before the "
        "data's as-of day may be stale or the project inactive, and its window figures "
        "are left out of the medians."
    )


def data_sections(
    sources: pd.DataFrame, coverage: pd.DataFrame, histories: pd.DataFrame
) -> list[Section]:
    """The Data page in page order, with its defaults (the tracked projects' coverage, every
    kind of data): sources, coverage, caveats, git histories sought."""
    shown = sources.sort_values("title")[[c for c in SOURCE_COLUMNS if c in sources]]
    if "revision" in shown:
        shown = shown.assign(revision=shown["revision"].map(_revision))
    out = [Section("Sources", "sources", [Block("table", table=shown.reset_index(drop=True))])]
    blocks = [Block("markdown", COVERAGE_NOTE)]
    for kind in KINDS:
        part = coverage[coverage["data"] == kind].drop(columns="data").reset_index(drop=True)
        blocks.append(Block("text", label=kind, key=f"coverage-{kind}"))
        if part.empty:
            blocks.append(Block("note", "No tracked project has subjects of this kind."))
        else:
            blocks.append(Block("table", table=part, key=f"coverage-{kind}"))
    out.append(Section("Coverage", "coverage", blocks))
    out.append(
        Section(
            "Known caveats and how they are handled",
            "caveats",
            [Block("markdown", caveat) for caveat in caveats()],
        )
    )
    if len(histories):
        table = histories.sort_values(["status", "repo"])[HISTORY_COLUMNS]
        out.append(
            Section(
                "Git histories sought for the shipped data",
                "git-histories",
                [
                    Block("markdown", histories_note(histories)),
                    Block("table", table=table.reset_index(drop=True)),
                ],
            )
        )
    return out
