"""Compare: stars, forks, issues or downloads over time for chosen projects."""

from __future__ import annotations

import streamlit as st

from app import loaders, widgets
from metrics.cohort import cohort_projects
from metrics.compare import METRICS
from views.compare import CompareSettings, date_range


def render() -> None:
    registry = loaders.registry()
    snapshots = loaders.load("repo_snapshots")
    downloads = loaders.load("package_downloads")
    cohort = cohort_projects(loaders.load("cohort_members"), registry.cohort.label)

    st.title("Compare projects over time")
    by_name = {p.name: p for p in registry}
    chosen = st.multiselect(
        "Tracked projects", list(by_name), default=list(by_name), key="compare_projects"
    )
    cohort_by_name = {p.name: p for p in cohort}
    chosen_cohort = st.multiselect(
        f"Add from the {registry.cohort.label}", list(cohort_by_name), key="compare_cohort"
    )
    left, middle, right = st.columns(3)
    metric_key = left.radio(
        "Metric",
        list(METRICS),
        format_func=lambda k: METRICS[k].label,
        key="compare_metric",
    )
    scale = middle.radio("Scale", ["Linear", "Log"], horizontal=True, key="compare_scale")
    view = right.radio(
        "View",
        ["Absolute", "Indexed (start = 100)"],
        horizontal=True,
        key="compare_view",
        help="Indexed divides each line by its first value in the date range: growth, not size.",
    )
    metric = METRICS[metric_key]
    span = date_range(metric, snapshots, downloads)
    if span is None:
        st.info("No data stored for this metric yet.")
        return
    first, last = span
    start, end = st.slider(
        "Date range", min_value=first, max_value=last, value=(first, last), key="compare_range"
    )
    projects = [by_name[n] for n in chosen] + [cohort_by_name[n] for n in chosen_cohort]
    settings = CompareSettings(
        start=start, end=end, relative=view != "Absolute", log_scale=scale == "Log"
    )
    result = loaders.compare(projects, metric_key, settings)
    chart = result.chart
    widgets.chart(chart.figure, chart.data, f"compare-{chart.name}", "compare_chart")
    notes = []
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
            "Each point is one monthly window's downloads divided by its length in days. "
            "Dotted lines mark changes in how downloads were counted: compare within a period."
        )
    st.caption(" ".join(notes))
    for item in result.missing:
        st.caption(f"Missing: {item}")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
