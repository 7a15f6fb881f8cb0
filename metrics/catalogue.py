"""The indicator catalogue: every named metric a claim can use, with its definition, where
its data comes from, what supplies it when missing, its caveats and why it measures its
claims. Pure data; metrics.indicators computes the values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    unit: str  # 'count', 'share', 'ratio', 'hours', 'days', 'score'
    definition: str
    source: str  # where its data comes from
    supplied_by: str  # what fills it when missing
    caveats: str = ""
    why: str = ""  # why it measures the claims that use it, where that is not obvious


def _ind(*args: str, caveats: str = "", why: str = "") -> Indicator:
    return Indicator(*args, caveats=caveats, why=why)


CATALOGUE: dict[str, Indicator] = {
    i.id: i
    for i in (
        _ind(
            "active_contributors",
            "Active contributors",
            "count",
            "People who authored or co-authored at least one non-merge commit on the project's "
            "main repositories in the {activity_months} months to the data's as-of day (bots "
            "excluded; the same window for every project, CHAOSS Contributors).",
            "git history",
            "a git refresh of the project's repositories",
            caveats="People are counted by e-mail address (after .mailmap); one person with two "
            "unmapped addresses counts twice.",
        ),
        _ind(
            "contributors_all_time",
            "Contributors ever",
            "count",
            "People who ever authored or co-authored a non-merge commit on the project's main "
            "repositories up to the data's as-of day (bots excluded): the project's size, which "
            "the group-vs-cohort comparison adjusts for.",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "new_contributors",
            "New contributors",
            "count",
            "People whose first contribution ever to the project's main repositories falls in "
            "the {activity_months} months to the data's as-of day (CHAOSS New Contributors).",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "bus_factor",
            "Contributor absence (bus) factor",
            "count",
            "The fewest people whose contributions make half of all contributions in the "
            "{activity_months} months to the data's as-of day (CHAOSS Contributor Absence "
            "Factor).",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "truck_factor",
            "Truck factor (file authorship)",
            "count",
            "The fewest people whose leaving would orphan more than half of the project's source "
            "files, a file's authors found by their degree of authorship over the whole history "
            "(Avelino, Passos, Hora and Valente, ICPC 2016). For a project with several own "
            "repositories, that of the one with the most files.",
            "git history with file data, read when the shipped data is built",
            "a rebuild of the shipped data from full clones (./dev build-data --git-mirrors)",
            caveats="Needs every file each commit touched, which treeless clones (the live git "
            "refresh) do not have: it is computed only when the shipped data is built. Source "
            "files are told by their extension, where the paper used GitHub Linguist.",
        ),
        _ind(
            "elephant_factor",
            "Elephant factor",
            "count",
            "The fewest organizations (author e-mail domains) whose commits make half of ALL "
            "authored commits in the {activity_months} months to the data's as-of day, as "
            "CHAOSS defines it. Personal and unknown addresses belong to no organization; when "
            "the organizations together make less than half of all commits, the factor cannot "
            "be told and is missing (the share of commits with a known organization is shown "
            "beside it).",
            "git history",
            "a git refresh of the project's repositories",
            caveats="Many people commit from personal or GitHub no-reply addresses, which hide "
            "their employer: the factor is then undetermined rather than guessed.",
        ),
        _ind(
            "affiliation_known_share",
            "Share of commits with a known organization",
            "share",
            "Authored commits in the {activity_months} months to the data's as-of day from an "
            "organization's address (not a public mail provider, not unknown), divided by all "
            "authored commits: how much of the elephant factor's input is known.",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "independent_share",
            "Share of commits from personal or unknown addresses",
            "share",
            "Authored commits in the {activity_months} months to the data's as-of day from "
            "public mail providers (gmail.com, users.noreply.github.com, ...) or without a usable "
            "domain, divided by all authored commits.",
            "git history",
            "a git refresh of the project's repositories",
            caveats="A personal or no-reply address hides an employer as well as it hides an "
            "individual: this is the share of work whose affiliation is not shown, not the share "
            "of independent work (Keras, run by Google, is mostly committed from such "
            "addresses).",
        ),
        _ind(
            "maintainer_retention",
            "Core contributors still active",
            "share",
            "Of the 10 people with the most contributions ever (everyone tied with the 10th "
            "counts too), the share who contributed in the {activity_months} months to the "
            "data's as-of day.",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "days_since_last_commit",
            "Days since the last commit",
            "days",
            "Days from the newest commit on the default branch of the project's main "
            "repositories to the data's as-of day.",
            "git history",
            "a git refresh of the project's repositories",
        ),
        _ind(
            "maintained_weeks",
            "Weeks with commits, of the last 13",
            "count",
            "Of the 13 weeks (91 days) to the data's as-of day, how many saw at least one "
            "human commit on the project's main repositories: after OpenSSF Scorecard's "
            "Maintained check, which looks at activity over the last 90 days.",
            "git history",
            "a git refresh of the project's repositories",
            caveats="Scorecard also counts issue activity; git history has commits only.",
        ),
        _ind(
            "releases",
            "Releases",
            "count",
            "Releases in the last {activity_months} months (no pre-releases, no yanked "
            "versions): the PyPI releases of the project's packages, or the tags of its main "
            "repositories when it has no package on PyPI.",
            "PyPI release histories, git tags",
            "a PyPI refresh (cli.py refresh --sources pypi) or a git refresh",
            caveats="A project with several packages counts each package's releases.",
        ),
        _ind(
            "median_days_between_releases",
            "Median days between releases",
            "days",
            "The median gap in days between consecutive release days (as counted for "
            "Releases; several versions on one day count once) over the last 24 months.",
            "PyPI release histories, git tags",
            "a PyPI refresh (cli.py refresh --sources pypi) or a git refresh",
        ),
        _ind(
            "public_review_share",
            "Changes landed through a pull request",
            "share",
            "Of the changes that landed on the default branch in the last {activity_months} "
            "months (commits on its first-parent chain, bots left out), the share that arrived "
            "through a public pull request (named by GitHub's merge or squash message, or a "
            "'Pull Request resolved' trailer) or carry a review trailer (Reviewed-by, "
            "Approved-by, ...).",
            "git history",
            "a git refresh of the project's repositories",
            caveats="Pull requests merged with GitHub's rebase button, or reviewed elsewhere "
            "(GitLab, Gerrit without a Reviewed-on trailer), leave no mark in the message, so the "
            "share is a lower bound. It says that a change could be seen and discussed before it "
            "landed, not that anyone did.",
            why="Transparency is about how work is done, not only about the code being public. "
            "A change that arrives as a public pull request is visible, with its discussion and "
            "review, before it becomes part of the project; a change pushed straight to the "
            "branch is visible only afterwards. The share of changes that went through the open "
            "process is therefore the most direct trace of working in the open that git history "
            "keeps, and it can be computed offline for every project and cohort member.",
        ),
        _ind(
            "second_person_share",
            "Changes taken in by a second person",
            "share",
            "Of the changes that landed on the default branch in the {activity_months} months to "
            "the data's as-of day (first-parent commits, bots left out), the share that git "
            "shows a second person took in: merged by someone other than the author of the "
            "branch it merges, or carrying a review trailer (Reviewed-by, Approved-by, ...). "
            "After OpenSSF Scorecard's Code-Review check, as far as git can show it.",
            "git history",
            "a git refresh of the project's repositories",
            caveats="A lower bound that depends on how a project merges: GitHub's squash and "
            "rebase merges record no merger, and a review in the pull request leaves no trace "
            "in git. For that reason no claim uses it: across projects it measures merge style "
            "as much as review.",
        ),
        _ind(
            "star_growth",
            "Star growth",
            "share",
            "Stars now divided by stars {growth_months} months before, minus 1, over the "
            "repositories observed on the project's latest day.",
            "GitHub ranking archive, GitHub refreshes",
            "a GitHub refresh (the archive lists only top-100 repositories)",
        ),
        _ind(
            "monthly_downloads",
            "Monthly downloads",
            "count",
            "PyPI downloads of the project's packages in the latest monthly window.",
            "Top PyPI packages archive, PyPI refreshes",
            "a PyPI refresh (the archive lists only the top packages)",
            caveats="Downloads include CI systems and mirrors: they measure use, not users.",
        ),
        _ind(
            "download_growth",
            "Download growth",
            "share",
            "Downloads per day in the latest monthly window divided by the window "
            "{growth_months} months before, minus 1, only when both windows were counted the "
            "same way (same installers, same method); missing otherwise.",
            "Top PyPI packages archive, PyPI refreshes",
            "a PyPI refresh",
            caveats="Counting changed in 2024-11 (pip only to all installers) and 2025-07 "
            "(BigQuery to ClickHouse): growth across those dates would mix methods, so it is "
            "not computed.",
        ),
        _ind(
            "download_share_growth",
            "Growth of the share of PyPI downloads",
            "share",
            "The project's packages' share of the downloads of the top 4,000 packages in the "
            "latest monthly window, divided by the same share in the earliest window within "
            "{growth_months} months (and at least 6 months before) that was counted the same "
            "way, minus 1: over fewer months when the counting changed in between, and the "
            "note says over how many.",
            "Top PyPI packages archive",
            "a top-pypi refresh (cli.py refresh --sources top-pypi)",
            caveats="A share falls when the rest of PyPI grows faster, even while the project's "
            "own downloads rise: it measures reach relative to the rest of PyPI. Shares are "
            "not compared across a change in counting either: the 2025-07 change added CI and "
            "mirror traffic unevenly, so the top list's total nearly doubled while some "
            "packages' counts barely moved.",
        ),
        _ind(
            "forks_per_star",
            "Forks per star",
            "ratio",
            "Forks divided by stars on the project's latest day.",
            "GitHub ranking archive, GitHub refreshes",
            "a GitHub refresh",
        ),
        _ind(
            "first_response_hours",
            "Time to first response",
            "hours",
            "Median hours from an issue's opening to the first comment by someone other than "
            "its author (bots excluded), over the latest collected window.",
            "GitHub issue activity",
            "a GitHub refresh (issue and PR activity)",
        ),
        _ind(
            "newcomer_first_response_hours",
            "Time to first response for newcomers",
            "hours",
            "As time to first response, for issues opened by first-time contributors.",
            "GitHub issue activity",
            "a collector that separates newcomers' issues (not built yet)",
        ),
        _ind(
            "closure_ratio",
            "Issue closure ratio",
            "ratio",
            "Issues closed divided by issues opened in the latest collected window.",
            "GitHub issue activity",
            "a GitHub refresh (issue and PR activity)",
        ),
        _ind(
            "pr_close_hours",
            "Time to close pull requests",
            "hours",
            "Median hours from a pull request's opening to its closing (merged or not) in the "
            "latest collected window.",
            "GitHub issue activity",
            "a GitHub refresh (issue and PR activity)",
        ),
        _ind(
            "scorecard",
            "OpenSSF Scorecard",
            "score",
            "The OpenSSF Scorecard overall score (0-10) of the project's repository.",
            "deps.dev",
            "a deps.dev refresh (cli.py refresh --sources depsdev)",
        ),
        _ind(
            "dependents",
            "Dependent packages",
            "count",
            "Packages that depend on the latest stable version of the project's package, "
            "directly or indirectly (deps.dev). With several packages, the largest count: "
            "their dependents overlap, so they are not added.",
            "deps.dev",
            "a PyPI and deps.dev refresh (cli.py refresh --sources pypi,depsdev)",
        ),
    )
}
