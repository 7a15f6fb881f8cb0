"""The Overview page's views: the claims' verdicts for the group and the cohort, the headline
comparison of the two, and the tracked projects' and the cohort's latest figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from charts.claims import comparison_chart, comparison_frame
from claims.model import Claim
from claims.verdicts import INSUFFICIENT, MIXED, NOT_SUPPORTED, SUPPORTED
from metrics.cohort import cohort_projects
from metrics.overview import overview
from metrics.stats import AHEAD, BEHIND, LEVEL
from registry import Registry
from views import claims as claim_views
from views.base import ChartView


def project_tables(
    registry: Registry, tables: Mapping[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest figures of the tracked projects and of the cohort, one row per project."""
    snapshots, downloads = tables["repo_snapshots"], tables["package_downloads"]
    cohort = cohort_projects(tables["cohort_members"], registry.cohort.label)
    return overview(registry, snapshots, downloads), overview(cohort, snapshots, downloads)


def group_table(registry: Registry, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The latest figures of the open-source AI group's members (chosen by rule)."""
    members = claim_views.rule_group(registry, tables)
    return overview(members, tables["repo_snapshots"], tables["package_downloads"])


def comparison(
    claims: Sequence[Claim],
    indicator_frame: pd.DataFrame,
    registry: Registry,
    cohort_ids: Sequence[str],
) -> ChartView:
    """The headline: the group's medians against the cohort's, per indicator."""
    tracked = [p.id for p in claim_views.group_projects(registry)]
    members = claim_views.members_in(registry, indicator_frame)
    frame = comparison_frame(claims, indicator_frame, tracked, cohort_ids, members)
    group = claim_views.group_median_label(registry, indicator_frame)
    figure = comparison_chart(
        frame,
        f"Is {group} ahead of {registry.cohort.label}, like with like?",
        group_label=group,
        cohort_label="cohort",
    )
    return ChartView("claims-vs-cohort", figure, frame)


def overview_views(
    claims: Sequence[Claim],
    indicator_frame: pd.DataFrame,
    cohort_ids: Sequence[str],
    registry: Registry,
    tracked: pd.DataFrame,
    cohort: pd.DataFrame,
) -> list[ChartView]:
    """In page order: the verdicts of the group and the cohort ('claims-verdicts', a table),
    the headline chart ('claims-vs-cohort'), the tracked projects and the cohort (tables)."""
    table = claim_views.verdicts(claims, indicator_frame, registry, cohort_ids)
    return [
        ChartView("claims-verdicts", None, table[table["kind"] != "project"]),
        comparison(claims, indicator_frame, registry, cohort_ids),
        ChartView("tracked-projects", None, tracked),
        ChartView("cohort", None, cohort),
    ]


def default_views(
    registry: Registry, tables: Mapping[str, pd.DataFrame], claims: Sequence[Claim]
) -> list[ChartView]:
    """The Overview page with its default settings (12-month windows, default thresholds)."""
    indicator_frame, cohort_ids = claim_views.indicators(registry, tables)
    tracked, cohort = project_tables(registry, tables)
    return overview_views(claims, indicator_frame, cohort_ids, registry, tracked, cohort)


NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def in_words(n: int) -> str:
    """A small count in words ('seven'), a larger one in digits."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def claims_heading(claims: Sequence[Claim]) -> str:
    """The Overview's heading over the verdicts, counting the claims file's claims."""
    return f"What the data says about {in_words(len(claims))} claims"


def claims_sentence(claims: Sequence[Claim]) -> str:
    """Every claim of the claims file in one sentence, by its title: 'Essays say open-source
    AI fosters innovation through collaboration, …, and enables customization.'"""
    said = [c.title[:1].lower() + c.title[1:] for c in claims]
    if len(said) > 1:
        said[-1] = "and " + said[-1]
    return "Essays say open-source AI " + (", " if len(said) > 2 else " ").join(said) + "."


def introduction(claims: Sequence[Claim], group: str, members: int, cohort: str) -> str:
    """The Overview's opening paragraph: the claims, and what they are tested on (outside
    text in it: the claims' titles, the group's and the cohort's names)."""
    return (
        f"{claims_sentence(claims)} Here each claim is tested against public GitHub, git and "
        f"PyPI data for the projects the essays name and for {group}: {members} open-source AI "
        "libraries chosen by a stated rule (Methods page), next to a comparison cohort, "
        f"{cohort}, chosen by the same rule. Empty cells mean the data does not have the "
        "figure (never zero)."
    )


WORDS = {
    SUPPORTED: "support",
    MIXED: "give a mixed answer on",
    NOT_SUPPORTED: "do not support",
    INSUFFICIENT: "lack the data for",
}
STANDING = {AHEAD: "ahead of", LEVEL: "level with", BEHIND: "behind"}
HOW = (
    "How a verdict is reached: each claim has two to four indicators with thresholds from "
    "CHAOSS, OpenSSF Scorecard or the cohort's own median (Methods page); the group's "
    "medians are supported when at least two thirds of the indicators that have a value are "
    "met, and say *insufficient data* when fewer than two thirds of the claim's indicators "
    "have one (each cell says how many: *k of n*). Against popular open source, the group "
    "is compared like with like: each indicator's ratio at equal size (contributors ever) "
    "with a 95 % bootstrap interval; *ahead* or *behind* when the interval lies wholly on "
    "one side of parity for most of the claim's comparable indicators, *level* otherwise."
)


def story(verdicts: pd.DataFrame, group: str, cohort: str, members: int) -> list[str]:
    """Two sentences: how many claims get each verdict from the group's medians, and where
    the group stands against the cohort like with like (outside text in them: the group's
    and the cohort's names)."""
    total = verdicts["claim_id"].nunique()
    counts = verdicts[verdicts["kind"] == "group"]["verdict"].value_counts()
    parts = [f"{words} {counts[v]}" for v, words in WORDS.items() if counts.get(v, 0)]
    sentences = [
        f"The medians of the {members} members of {group} {_join(parts)} of the {total} claims."
    ]
    standing = verdicts[verdicts["kind"] == "cohort"]["verdict"].value_counts()
    words = cohort.removesuffix("(cohort)").strip().lower()
    parts = [
        f"{said} {words} on {standing[v]}" for v, said in STANDING.items() if standing.get(v, 0)
    ]
    unknown = int(standing.get(INSUFFICIENT, 0))
    if parts:
        sentences.append(
            f"Like with like, the group is {_join(parts)}"
            + (f"; {unknown} cannot be compared on the data." if unknown else ".")
        )
    return sentences


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
