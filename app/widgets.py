"""Small page parts used by several pages: a chart with its downloads, a table that shows
missing values as blanks, the refresh button."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import columns, loaders, precomputed, urlstate
from app.text import markdown_text
from errors import ConfigError, StoreError
from exports import ExportError, csv_bytes, figure_bytes
from service import refresh


def chart(fig: go.Figure, data: pd.DataFrame, name: str, key: str) -> None:
    """A plotly chart with PNG, SVG, HTML and CSV downloads.

    The files are made only when a button is clicked (a static image takes seconds).
    """
    # Streamlit's theme paints the background, grid and text in the reader's light or dark
    # theme, and repaints them when the reader switches (charts/theme.py)
    st.plotly_chart(fig, key=key, width="stretch", theme="streamlit")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower() or "chart"
    columns = st.columns(4)
    formats = (("png", "image/png"), ("svg", "image/svg+xml"), ("html", "text/html"))
    for column, (fmt, mime) in zip(columns, formats, strict=False):
        column.download_button(
            fmt.upper(),
            data=lambda fmt=fmt: _image(fig, fmt),
            file_name=f"{stem}.{fmt}",
            mime=mime,
            key=f"{key}_{fmt}",
            on_click="ignore",
        )
    columns[3].download_button(
        "CSV",
        data=lambda: csv_bytes(data),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )


AXES = ("Date", "Aligned by age")


@dataclass(frozen=True)
class ChartControls:
    """What the metric, scale, view and axis radios of a time-series page chose."""

    metric: str
    log_scale: bool
    relative: bool  # indexed: each line divided by its first value
    aligned: bool  # x = days since each line's first observation


CONTROL_PARAMS = ("metric", "scale", "view", "x")  # the four radios' names in the address


def chart_controls(
    page: str,
    metrics: Mapping[str, str],
    *,
    default: int = 0,
    first: str,
    aligned_help: str,
) -> ChartControls:
    """The four radios in a row, keyed `<page>_metric/_scale/_view/_axis`, kept in the
    address as `metric`, `scale=log`, `view=indexed`, `x=age` (app.urlstate). `metrics`:
    key -> label; `first`: what 'first value' means on this page (for the indexed view's
    label)."""
    left, middle, right, far = st.columns(4)
    options = list(metrics)
    scales = {"linear": "Linear", "log": "Log"}
    views = {"absolute": "Absolute", "indexed": f"Indexed ({first} = 100)"}
    axes = dict(zip(("date", "age"), AXES, strict=True))
    metric = urlstate.bound(
        urlstate.choice("metric", f"{page}_metric", {m: m for m in options}),
        options[default],
        lambda: left.radio(
            "Metric", options, index=default, format_func=metrics.get, key=f"{page}_metric"
        ),
    )
    scale = urlstate.bound(
        urlstate.choice("scale", f"{page}_scale", scales),
        "Linear",
        lambda: middle.radio("Scale", list(scales.values()), horizontal=True, key=f"{page}_scale"),
    )
    view = urlstate.bound(
        urlstate.choice("view", f"{page}_view", views),
        "Absolute",
        lambda: right.radio(
            "View",
            list(views.values()),
            horizontal=True,
            key=f"{page}_view",
            help="Indexed divides each line by its first value"
            + (" in the date range" if first == "start" else "")
            + ": growth, not size.",
        ),
    )
    axis = urlstate.bound(
        urlstate.choice("x", f"{page}_axis", axes),
        AXES[0],
        lambda: far.radio("X axis", AXES, horizontal=True, key=f"{page}_axis", help=aligned_help),
    )
    return ChartControls(metric, scale == "Log", view != "Absolute", axis == AXES[1])


def table(
    data,
    column_config: dict | None = None,
    key: str | None = None,
    *,
    wrap: int = 0,
    **options,
) -> None:
    """st.dataframe with missing values blank (never 'None' or 'nan') and no index, every
    row shown (no scroll box) up to columns.ROWS_SHOWN rows.

    `data` is a frame or a pandas Styler; the column_config gives titles, units and widths.
    `wrap`: rows tall enough for long text to wrap in its cell onto that many lines (3 or
    more: Streamlit wraps only in rows taller than one line's 4 rem).
    """
    if isinstance(data, pd.DataFrame):  # None and NaN in text columns: one kind of missing
        data = data.assign(
            **{c: data[c].where(data[c].notna(), pd.NA) for c in data if data[c].dtype == object}
        )
    rows = len(data.data if hasattr(data, "data") else data)  # a Styler holds its frame
    options.setdefault("height", "content" if rows <= columns.ROWS_SHOWN else "auto")
    if wrap:
        options.setdefault("row_height", columns.row_height(wrap))
    st.dataframe(
        data,
        column_config=column_config,
        hide_index=True,
        key=key,
        placeholder="",
        **options,
    )


_INTERNAL_LINK = re.compile(r"/[\w/#.-]*")


def static_table(
    data: pd.DataFrame, titles: Mapping[str, str], links: Mapping[str, str] | None = None
) -> None:
    """A few rows as a plain table (st.table): every cell's whole text shown, wrapped, never
    cut; nothing to sort or scroll. For tables of a handful of rows, where an interactive
    st.dataframe would cost a first visit about 0.35 s of the browser's time to start its
    grid. `titles` orders and names the columns; `links` names the columns that hold one
    of the dashboard's own addresses, shown as a link with the given text. Every other cell
    is shown as written (markdown escaped), a missing value as a blank."""
    links = links or {}

    def cell(value: object, column: str) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if column in links and _INTERNAL_LINK.fullmatch(str(value)):
            return f"[{markdown_text(links[column])}]({value})"
        return markdown_text(value)

    shown = pd.DataFrame(
        {
            markdown_text(title): [cell(v, column) for v in data[column]]
            for column, title in titles.items()
        }
    )
    st.table(shown, hide_index=True, border="horizontal")


def _image(fig: go.Figure, fmt: str) -> bytes:
    try:
        return figure_bytes(fig, fmt)
    except ExportError as exc:
        return f"Could not make the {fmt.upper()} file: {exc}".encode()


def refresh_button() -> None:
    """'Refresh now' in the sidebar: the same refresh as `cli.py refresh`, with progress."""
    with st.sidebar:
        if not st.button(
            "Refresh now",
            key="refresh_now",
            help="Fetch new data from GitHub, git, PyPI, pypistats.org and deps.dev",
        ):
            return
        bar = st.progress(0.0, text="Starting the refresh")

        def progress(done: int, total: int, label: str) -> None:
            bar.progress(done / max(total, 1), text=markdown_text(label))

        try:
            settings = loaders.settings()
            report = refresh.run(loaders.registry(everything=True), settings, progress=progress)
        except refresh.AlreadyRunningError:
            st.warning("A refresh is already running; its data will show when it finishes.")
            return
        except ConfigError as exc:  # a bad OSSAI_REFRESH_SOURCES or OSSAI_API_URLS
            st.error(f"The refresh settings are wrong: {markdown_text(exc)}")
            return
        except StoreError as exc:  # a read-only or full data folder
            st.error(f"The refresh could not write its data: {markdown_text(exc)}")
            return
        precomputed.after_refresh(settings)  # the new data's views, in the background
        table = report.table()
        failed = table[~table["status"].isin(refresh.SUCCEEDED)]
        if report.refresh_code == refresh.OK:
            st.success(f"Refreshed {len(table)} targets: {int(table['rows'].sum())} new rows.")
        elif report.refresh_code == refresh.PARTIAL:
            st.warning(f"{len(failed)} of {len(table)} targets were not refreshed:")
        else:
            st.error(
                f"Nothing was refreshed: {len(failed)} of {len(table)} targets failed or "
                "were not tried:"
            )
        for line in report.lines():  # one per source; a message may quote a server
            st.text(line)
        _alerts_said(report)
        if report.log_failure:
            st.warning(
                "The refresh log could not be written "
                f"({markdown_text(report.log_failure)}); what is listed above was stored. "
                "Free space in the data folder before the next refresh."
            )


def _alerts_said(report: refresh.RefreshReport) -> None:
    """After a refresh from the app: the new alerts, or why the rules were not checked (the
    lines above say the same in plain text)."""
    found = report.alerts
    if found is None:
        return
    if found.problem:
        st.warning(f"Alerts: {markdown_text(found.problem)}")
    elif found.fired:
        st.error(f"{len(found.fired)} new alert(s): see the Alerts page.")


# The days a browser's slider can hold: Streamlit sends times as microseconds since 1970 in
# a JavaScript number, exact only to 2**53 (about 285 years either side of 1970).
SLIDER_FIRST_DAY = dt.date(1700, 1, 1)
SLIDER_LAST_DAY = dt.date(2250, 12, 31)


def date_range_slider(
    label: str, first: dt.date, last: dt.date, key: str, address: str | None = None
) -> tuple[dt.date, dt.date]:
    """A slider over the days from `first` to `last`, whatever they are: days a browser
    cannot hold are brought within its range, reversed ends are put in order, and a single
    day is said in words instead of a slider of no width. Returns the days chosen; with
    `address`, a range narrower than the whole is kept in the address under that name
    (`2020-01-01..2024-06-30`)."""
    low, high = sorted(min(max(day, SLIDER_FIRST_DAY), SLIDER_LAST_DAY) for day in (first, last))
    if low == high:
        st.caption(f"{label}: {low:%Y-%m-%d} (the only day with data)")
        return low, high

    def draw() -> tuple[dt.date, dt.date]:
        start, end = st.slider(label, min_value=low, max_value=high, value=(low, high), key=key)
        return start, end

    if address is None:
        return draw()
    return urlstate.bound(urlstate.days(address, key, low, high), (low, high), draw)


def open_tab(name: str, key: str, labels: Mapping[str, str]):
    """Tabs of which only the open one is drawn: a click on a tab reruns the page, which
    then draws that tab's content alone (every tab's charts at once took the browser seconds
    to lay out). `labels`: address word -> tab label, the first open by default; the open
    tab is kept in the address as `name=<word>`. Returns the open tab's word and its
    container, for the caller to draw in."""
    shown = list(labels.values())
    param = urlstate.choice(name, key, dict(labels))
    urlstate.seed(param)
    tabs = st.tabs(shown, key=key, on_change="rerun")
    label = st.session_state[key]
    urlstate.keep(param, label, shown[0])
    index = shown.index(label)
    return list(labels)[index], tabs[index]
