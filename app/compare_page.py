"""Compare: stars, forks, issues or downloads over time for chosen projects, cohort members
and any repository or package of the public archives, by date or aligned by age.

Every choice is kept in the address (app.urlstate): the tracked projects and cohort members
(`project`, `cohort`: ids), the archive names picked (app.archive_picker, the search box
Explore uses) as `archive=repo:owner/name&archive=package:name`, the metric, scale, view
and axis (`x=age`) and the date range (`dates`), so a comparison can be shared; opening such
an address restores them.
"""

from __future__ import annotations

import streamlit as st

from app import archive_picker, loaders, urlstate, widgets
from metrics.cohort import cohort_projects
from metrics.compare import METRICS
from views.compare import CompareSettings, date_range

PAGE = "compare"
ARCHIVE_PARAM = "archive"  # repeated: one 'kind:name' per picked archive name
PICKS = urlstate.picks(
    ARCHIVE_PARAM, archive_picker.state_key(PAGE), list(archive_picker.KIND_WORDS)
)


def _archive_section() -> tuple[tuple[str, str], ...]:
    """The search box, the picked archive series with a remove button each, and names the
    archive does not have; returns the picks."""
    urlstate.seed(PICKS)
    with st.expander("Add any repository or package from the archives", expanded=True):
        archive_picker.search_box(PAGE)
        picks = tuple(archive_picker.picked(PAGE))
        state = loaders.archive_pick_state(picks)
        for entry, _ in state.found:
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(
                f"**{widgets.markdown_text(entry.series)}** "
                f"({archive_picker.KIND_WORDS[entry.kind]}; in the archive "
                f"{entry.series_first:%Y-%m-%d} to {entry.series_last:%Y-%m-%d})"
            )
            if right.button("Remove", key=f"compare_remove_{entry.kind}_{entry.name}"):
                archive_picker.unpick(PAGE, entry)
                st.rerun()
        archive_picker.unavailable(PAGE, state.unavailable)
        unknown = [f"{k}:{n}" for k, n in state.unknown]
        if unknown:
            st.warning(
                "Not in the archives, left out: "
                + ", ".join(widgets.markdown_text(v) for v in unknown)
                + " (use repo:owner/name or package:name)."
            )
    return picks


def render() -> None:
    registry = loaders.registry()
    cohort = cohort_projects(loaders.load("cohort_members"), registry.cohort.label)
    snapshots = loaders.load_for("repo_snapshots", [*registry, *cohort])  # what it can draw
    downloads = loaders.load_for("package_downloads", [*registry, *cohort])

    st.title("Compare projects over time")
    urlstate.expect("dates", *widgets.CONTROL_PARAMS)  # drawn only when there is data
    by_name = {p.name: p for p in registry}
    chosen = urlstate.bound(
        urlstate.choices("project", "compare_projects", {p.id: p.name for p in registry}),
        list(by_name),
        lambda: st.multiselect(
            "Tracked projects", list(by_name), default=list(by_name), key="compare_projects"
        ),
    )
    cohort_by_name = {p.name: p for p in cohort}
    chosen_cohort = urlstate.bound(
        urlstate.choices("cohort", "compare_cohort", {p.id: p.name for p in cohort}),
        [],
        lambda: st.multiselect(
            f"Add from the {widgets.markdown_text(registry.cohort.label)}",
            list(cohort_by_name),
            key="compare_cohort",
        ),
    )
    picks = _archive_section()
    controls = widgets.chart_controls(
        "compare",
        {key: metric.label for key, metric in METRICS.items()},
        first="start",
        aligned_help="Aligned by age (days since first observation): each line starts at its "
        "own first observation in the data, so projects of different ages start together.",
    )
    metric_key, aligned = controls.metric, controls.aligned
    urlstate.keep(PICKS, list(archive_picker.picked(PAGE)), [])
    metric = METRICS[metric_key]
    span = date_range(metric, snapshots, downloads, loaders.archive_subjects(picks))
    if span is None:
        st.info("No data stored for this metric yet.")
        return
    first, last = span
    start, end = widgets.date_range_slider(
        "Date range", first, last, key="compare_range", address="dates"
    )
    projects = [by_name[n] for n in chosen] + [cohort_by_name[n] for n in chosen_cohort]
    settings = CompareSettings(
        start=start,
        end=end,
        relative=controls.relative,
        log_scale=controls.log_scale,
        aligned=aligned,
    )
    result = loaders.compare(projects, metric_key, settings, picks)
    chart = result.chart
    widgets.chart(chart.figure, chart.data, f"compare-{chart.name}", "compare_chart")
    notes = []
    if aligned:
        notes.append(
            "Aligned by age: day 0 is each line's first observation in the data, whatever "
            "the date range (which still limits the days drawn). For a repository already "
            "in the archive's lists on its first day (2018-12-18) that is the archive's "
            "start, not the repository's creation."
        )
    if result.resolution:
        notes.append(
            f"Shown at {result.resolution} resolution (last value per period) to stay fast."
        )
    if metric.table == "repo_snapshots":
        notes.append(
            "Gaps are days the repository was outside the archive's top-100 lists or the "
            "archive has no file; they are left blank, not filled."
        )
    else:
        notes.append(
            "Each point is one monthly window's downloads divided by its length in days "
            "(the CSV keeps each window's days)."
            + ("" if aligned else " Dotted lines mark changes in how downloads were counted: ")
            + ("" if aligned else "compare within a period.")
        )
    st.caption(" ".join(notes))
    for item in result.missing:
        st.caption(f"Missing: {widgets.markdown_text(item)}")
    for end_note in result.ends:
        st.caption(widgets.markdown_text(end_note.text))


if __name__ == "__main__":  # run as a page by st.navigation
    render()
