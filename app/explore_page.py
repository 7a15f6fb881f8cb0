"""Explore: any repository or package of the public archives, beside tracked projects.

Layout only. Seams for what comes next:
- `picked()` / `pick(kind, name)`: the archive names on the chart (session state, through
  app.archive_picker, whose search box the Compare page shares), so a "Track" action can
  read the current pick;
- `entry_actions(entry)`: drawn under each picked name's facts: "Track" (app.tracking);
- the series come from `loaders.archive_pick_state` (a pick that a damaged or missing
  archive file cannot give is shown as unavailable, with its Remove button) and the lines
  from metrics.explore (`repo_line`, `download_lines`, `chart_frame`, `aligned_by_age`),
  shared with Compare.
"""

from __future__ import annotations

import streamlit as st

from app import archive_picker, loaders, tracking, urlstate, widgets
from errors import StoreError
from metrics.explore import DOWNLOADS, METRIC_LABELS
from store.archive import ArchiveEntry
from views.explore import (
    ExploreSettings,
    Subject,
    archive_subject,
    archive_summary,
    explore_view,
    tracked_subject,
)

PAGE = "explore"
PICKED = archive_picker.state_key(PAGE)  # list of (kind, name) on the chart, in the order added
KIND_WORDS = archive_picker.KIND_WORDS
# the picks in the address, as on Compare: ?archive=repo:owner/name&archive=package:name
PICKS = urlstate.picks("archive", PICKED, list(KIND_WORDS))


def picked() -> list[tuple[str, str]]:
    """The archive names on the chart: (kind, name) pairs."""
    return archive_picker.picked(PAGE)


def pick(kind: str, name: str) -> None:
    """Put an archive name on the chart (once)."""
    archive_picker.pick(PAGE, kind, name)


def unpick(entry: ArchiveEntry) -> None:
    """Take a series off the chart, whichever of its names were picked."""
    archive_picker.unpick(PAGE, entry)


def entry_actions(entry: ArchiveEntry) -> None:
    """Track the picked series live: its latest name, with the names it was listed under
    before (renames) so the refreshed history joins the archived one."""
    seen = {entry.series.lower()}
    formerly = []
    if entry.kind == "repo":
        try:
            names = loaders.archive().names_of(entry)["name"]
        except StoreError:  # facts() has said why; track the current name alone
            names = []
        for name in names:
            if name.lower() not in seen:
                seen.add(name.lower())
                formerly.append(name)
    tracking.track_button(
        entry.kind, entry.series, key=f"explore_track_{entry.kind}_{entry.sid}", formerly=formerly
    )


def search_box() -> None:
    """Type a name (any part, case-insensitive; former names too), pick one, add it."""
    archive_picker.search_box(PAGE)


def _subjects(entries, registry, chosen_tracked) -> list[Subject]:
    subjects = []
    sources = loaders.archive().sources() if entries else {}
    for entry, rows in entries:
        subjects.append(archive_subject(entry, rows, sources[entry.kind].as_of))
    if chosen_tracked:
        chosen = [p for p in registry if p.name in chosen_tracked]
        snapshots = loaders.load_for("repo_snapshots", chosen)
        downloads = loaders.load_for("package_downloads", chosen)
        for project in registry:
            if project.name not in chosen_tracked:
                continue
            repos = project.main_repo_names
            for repo in repos:
                rows = snapshots[snapshots["repo"] == repo]
                label = project.name if len(repos) == 1 else f"{project.name} · {repo}"
                subjects.append(tracked_subject(f"{label} (tracked)", "repo", rows))
            for package in project.packages:
                rows = downloads[downloads["package"] == package]
                subjects.append(tracked_subject(f"{package} (tracked)", "package", rows))
    return subjects


def render() -> None:
    st.title("Explore any repository or package")
    urlstate.expect(*widgets.CONTROL_PARAMS)  # drawn once something is on the chart
    urlstate.seed(PICKS)
    try:
        sources = loaders.archive().sources()
        counts = loaders.archive().manifest()["counts"]
    except StoreError as exc:
        st.error(
            "The embedded archive cannot be read, so only tracked projects can be charted "
            f"here. {widgets.markdown_text(exc)}"
        )
    else:
        _archive_header(sources, counts)
        search_box()
    registry = loaders.registry()
    chosen_tracked = urlstate.bound(
        urlstate.choices("project", "explore_tracked", {p.id: p.name for p in registry}),
        [],
        lambda: st.multiselect(
            "Beside tracked projects", [p.name for p in registry], key="explore_tracked"
        ),
    )
    # a former name and the current one are one series: drawn once
    state = loaders.archive_pick_state(tuple(picked()))
    for kind, name in state.unknown:  # only an address can pick a name the archive lacks
        urlstate.notice(PICKS.name, f"{kind}:{name} is not in the archives (left out)")
        archive_picker.unpick_name(PAGE, kind, name)
    urlstate.keep(PICKS, picked(), [])
    entries = state.found
    if entries or state.unavailable:
        count = len(entries) + len(state.unavailable)
        with st.expander(f"On the chart from the archives ({count})", expanded=True):
            for entry, rows in entries:
                facts(entry, rows)
            archive_picker.unavailable(PAGE, state.unavailable)
    if not entries and not chosen_tracked:
        st.info("Search for a name above and add it to the chart.")
        return
    metric, settings = _controls(entries)
    subjects = _subjects(entries, registry, chosen_tracked)
    view = explore_view(subjects, settings)
    chart = view.chart
    widgets.chart(chart.figure, chart.data, chart.name, "explore_chart")
    st.markdown("**Where the data ends**")
    for end in view.ends:
        st.caption(widgets.markdown_text(end.text))
    for text in view.skipped:
        st.caption(widgets.markdown_text(text))
    st.caption(_metric_note(metric))


def _archive_header(sources, counts) -> None:
    """What the archives hold and how old they are."""
    st.caption(archive_summary(sources, counts))


def facts(entry: ArchiveEntry, rows) -> None:
    """One picked name: what it is, its names over time, a remove button, actions."""
    left, right = st.columns([5, 1], vertical_alignment="center")
    kind = KIND_WORDS[entry.kind]
    text = f"**{widgets.markdown_text(entry.series)}** ({kind}"
    if entry.language:
        text += f", {widgets.markdown_text(entry.language)}"
    text += f"; in the archive {entry.series_first:%Y-%m-%d} to {entry.series_last:%Y-%m-%d})"
    left.markdown(text)
    try:
        description = loaders.archive().description(entry)
        names = loaders.archive().names_of(entry)
    except StoreError as exc:  # the series was read; its names cannot be now
        description, names = None, ()
        left.caption(widgets.markdown_text(f"Its description and former names: {exc}"))
    if description:
        left.caption(widgets.markdown_text(description))
    if len(names) > 1:
        listed = "; ".join(
            f"{n.name} {n.first_seen:%Y-%m-%d} to {n.last_seen:%Y-%m-%d}"
            for n in names.itertuples(index=False)
        )
        left.caption(widgets.markdown_text(f"Listed as: {listed}"))
    if right.button("Remove", key=f"explore_remove_{entry.kind}_{entry.name}"):
        unpick(entry)
        st.rerun()
    entry_actions(entry)


def _controls(entries) -> tuple[str, ExploreSettings]:
    kinds = {entry.kind for entry, _ in entries}
    metrics = list(METRIC_LABELS)
    chosen = widgets.chart_controls(
        PAGE,
        METRIC_LABELS,
        default=metrics.index(DOWNLOADS) if kinds == {"package"} else 0,
        first="first",
        aligned_help="Aligned by age: days since each line's first observation, so lines "
        "start together.",
    )
    return chosen.metric, ExploreSettings(
        metric=chosen.metric,
        log_scale=chosen.log_scale,
        relative=chosen.relative,
        aligned=chosen.aligned,
    )


def _metric_note(metric: str) -> str:
    if metric == DOWNLOADS:
        return (
            "Each point is one window's downloads divided by its length in days (30, then "
            "22 to 29 days in 2024-12..2025-06, then calendar months of 28 to 31 days), at "
            "the window's last day; 365-day windows (until 2021-04) are a separate line. "
            "Until 2024-11-01 only pip downloads were counted, all installers after."
        )
    return (
        "Gaps are days the repository was outside the archive's top-100 lists or the "
        "archive has no file; they are left blank, not filled. One-day dips that the "
        "archive's faulty lists caused are left out."
    )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
