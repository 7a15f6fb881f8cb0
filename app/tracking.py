"""The "Track" action in the app: a button beside any repository or package, the user's
tracked projects on the Data page, and the note that says they stay out of the group's
medians. The list itself is registry.tracking's (tracked.toml in the user data folder)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from app import loaders
from app.text import markdown_text
from errors import DashboardError
from registry import Registry, load_registry
from registry import tracking as user_list
from views.claims import group_label, group_projects

REFRESH_HINT = (
    "The next refresh collects it: press **Refresh now** in the sidebar, or run "
    "`./dev cli refresh --projects {id}` (a scheduled refresh picks it up too)."
)


def track_button(kind: str, name: str, *, key: str, formerly: Sequence[str] = ()) -> None:
    """'Track' for repository (`kind` 'repo') or package ('package') `name`, or 'Tracked ✓'
    with 'Untrack' when the user tracks it; a project of data/projects.toml is said to be
    tracked already. Writes the user's list and says what happens next. `formerly`: a
    repository's former names (the archive's), so its history joins across renames."""
    if kind not in user_list.KINDS:
        raise ValueError(f"kind must be one of {user_list.KINDS}, not {kind!r}")
    registry = loaders.registry(everything=True)  # one the pages leave out is tracked too
    owner = user_list.tracking(registry, kind, name)
    if owner is not None and not owner.by_user:
        st.caption(
            f"Tracked already: {markdown_text(owner.name)}, in {markdown_text(registry.path.name)}."
        )
    elif owner is not None:
        left, right = st.columns([3, 2])
        left.markdown(f"**Tracked ✓** as {markdown_text(owner.name)} (`{owner.id}`)")
        right.button(
            "Untrack",
            key=f"{key}_untrack",
            help="Remove it from your tracked projects; its stored history is kept",
            on_click=_untrack,
            args=(owner.id, key),
        )
    else:
        st.button(
            "Track",
            key=f"{key}_track",
            help="Add it to your own tracked projects (tracked.toml in your data folder); "
            "the next refresh collects it live",
            on_click=_track,
            args=(kind, name, key, tuple(formerly)),
        )
    _say(key)


def tracked_section(registry: Registry) -> None:
    """'Your tracked projects' on the Data page: each with its repositories and packages and
    an Untrack button; a broken list is named with its file and line."""
    st.subheader("Your tracked projects")
    path = registry.tracked_file or loaders.settings().data.tracked_file
    if registry.tracked_problem:
        st.error(
            f"Your list cannot be read, so its projects are left out: fix {markdown_text(path)}."
        )
        st.code(registry.tracked_problem, language=None)
        return
    mine = registry.by_user
    st.caption(
        f"Kept in {markdown_text(path)}, in the format of data/projects.toml (which the "
        "dashboard never edits). Add any repository or package with **Track** on the Explore "
        "page or `./dev cli track OWNER/NAME` / `./dev cli track --package NAME`. Untracking keeps "
        "the history already stored."
    )
    if not mine:
        st.info("You track no projects of your own yet.")
    if registry.tracked_left_out:
        st.caption(
            f"The first {len(mine)} of your {len(mine) + registry.tracked_left_out:,} projects "
            "(the ones the pages draw); `./dev cli tracked` lists them all and "
            "`./dev cli untrack ID` removes any."
        )
    for project in mine:
        left, middle, right = st.columns([2, 4, 1])
        left.markdown(f"**{markdown_text(project.name)}** (`{project.id}`)")
        middle.caption(describe(project))
        right.button(
            "Untrack",
            key=f"data_untrack_{project.id}",
            on_click=_untrack,
            args=(project.id, "data_tracked"),
        )
    _say("data_tracked")
    note = group_note(registry)
    if note:
        st.caption(note)


NAMED = 10  # projects a note names before it says how many more


def group_note(registry: Registry) -> str | None:
    """Why the user's tracked projects are not in the group's medians, or None when none
    of them is left out."""
    group = registry.cohort.group_label if registry.cohort.ranking_pool else group_label(registry)
    members = {p.id for p in registry.by_user if p.group == group}
    if not registry.cohort.ranking_pool:
        members = {p.id for p in group_projects(registry)}
    outside = [p for p in registry.by_user if p.id not in members]
    if not outside:
        return None
    named = ", ".join(p.name for p in outside[:NAMED])
    if len(outside) > NAMED:
        named += f" and {len(outside) - NAMED:,} more: ./dev cli tracked lists them"
    return (
        f"{len(outside):,} of your tracked projects "
        f"({markdown_text(named)}) "
        f"are shown with the others but are not part of the {markdown_text(group)} group's "
        "medians and verdicts; to count one, set its "
        + markdown_text(f'group = "{group}"')
        + " in your tracked.toml."
    )


def describe(project) -> str:
    """A project's repositories and packages in words, safe for markdown."""
    parts = [*project.repo_names, *(f"PyPI package {name}" for name in project.packages)]
    return markdown_text(", ".join(parts) or "nothing")


def _track(kind: str, name: str, key: str, formerly: tuple[str, ...] = ()) -> None:
    """Button callback (runs before the rerun, so the whole page sees the new list)."""
    settings = loaders.settings()
    try:
        shipped = load_registry(settings.projects_file)
        project = user_list.track(
            settings.data.tracked_file,
            shipped,
            repo=name if kind == "repo" else None,
            package=name if kind == "package" else None,
            formerly=formerly if kind == "repo" else (),
        )
    except (DashboardError, OSError) as exc:  # a broken list, a name refused, a lock held
        st.session_state[f"{key}_said"] = ("error", f"Not tracked: {markdown_text(exc)}")
        return
    said = f"Tracking {describe(project)} as `{project.id}`. " + REFRESH_HINT.format(id=project.id)
    st.session_state[f"{key}_said"] = ("success", said)


def _untrack(project_id: str, key: str) -> None:
    settings = loaders.settings()
    try:
        shipped = load_registry(settings.projects_file)
        project = user_list.untrack(settings.data.tracked_file, shipped, project_id)
    except (DashboardError, OSError) as exc:  # a broken list, a name refused, a lock held
        st.session_state[f"{key}_said"] = ("error", f"Not untracked: {markdown_text(exc)}")
        return
    st.session_state[f"{key}_said"] = (
        "success",
        f"No longer tracking {markdown_text(project.name)}; the history already stored is kept.",
    )


def _say(key: str) -> None:
    """The message the last click left (once)."""
    said = st.session_state.pop(f"{key}_said", None)
    if said is not None:
        kind, text = said
        (st.success if kind == "success" else st.error)(text)
