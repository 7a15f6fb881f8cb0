"""Alerts: what the rules found after each refresh (in force now, and the history of every
alert fired or over), the rules in force, and what could not be checked. The Overview shows
the alerts in force in a small section of its own (`overview_section`)."""

from __future__ import annotations

import streamlit as st

from app import columns, loaders, widgets
from metrics.alerts import event_history, standing, unknown

ALERTS_PAGE = "app/alerts_page.py"
RULE_COLUMNS = {
    "id": columns.text("Rule id", 170),
    "title": columns.text("Watches", 250),
    "enabled": columns.check("On", 45),
    "threshold": columns.text("Threshold", 95),
    "source": columns.text("Where the threshold comes from", 390),
}


def render() -> None:
    st.title("Alerts")
    settings = loaders.settings()
    rules, rules_problem = loaders.alert_rules()
    history, problem = loaders.alert_history()
    st.write(
        "After every refresh (the command line, the schedule or *Refresh now*) the rules below "
        "are checked on the data the refresh stored. An alert fires once, on the refresh where "
        "its condition becomes true, and not again until the condition has been false and "
        "becomes true again. A rule with no data to go on says so and never fires. Each alert "
        "links to the Project page, which shows its figures."
    )
    if rules_problem:
        st.error(
            "The alert rules file has an error; until it is fixed no rule is checked (the "
            f"refreshes still store their data): {widgets.markdown_text(rules_problem)}"
        )
    if problem:
        st.error(f"The alert history cannot be read: {widgets.markdown_text(problem)}")
    if history.watching_since is None:
        st.info(
            "No refresh has checked the rules yet: the first refresh records where each "
            "project stands, and later ones alert on what changes."
        )
    else:
        st.caption(f"Checked since {history.watching_since.replace('T', ' ').rstrip('Z')} UTC.")

    now = standing(history.conditions, history.events)
    fired, already = now[now["fired"]], now[~now["fired"]]
    st.subheader(f"In force: {len(fired)}")
    if fired.empty:
        st.write("No alert is in force: no condition has become true since it was first checked.")
    else:
        _standing_table(fired, "alerts_in_force", "Fired")
    if len(already):
        with st.expander(f"Already true when first checked: {len(already)}", expanded=False):
            st.caption(
                "These conditions held on the first refresh that could check them, so no change "
                "was seen and no alert fired; one fires if they become false and then true again."
            )
            _standing_table(already, "alerts_already", "Checked since")

    events = event_history(history.events)
    st.subheader(f"History: {len(events)} alerts fired or over")
    if events.empty:
        st.write("None yet.")
    else:
        widgets.table(
            events,
            column_config={
                "at": columns.timestamp("When (UTC)", 115),
                "kind": columns.text("", 50),
                "project": columns.text("Project", 105),
                "rule": columns.text("Rule", 140),
                "subject": columns.text("Of", 120),
                "message": columns.text("What the data says", 265),
                "before": columns.text("At the check before", 195),
                "link": columns.link("View", "Project page", 90),
            },
            column_order=["at", "kind", "project", "rule", "message", "before", "link"],
            key="alerts_history",
            wrap=4,
        )

    st.subheader("Rules")
    widgets.table(
        rules_frame(rules),
        column_config=RULE_COLUMNS,
        column_order=list(RULE_COLUMNS),
        key="alerts_rules",
        wrap=3,
    )
    st.caption(
        f"Change them in {widgets.markdown_text(settings.data.alerts_file)} (for example "
        "`[no_release]` then `days = 365`, or `enabled = false` to turn one off); "
        "docs/alerts.md has every rule. "
        + (
            "New alerts are also sent to the webhook set in `OSSAI_ALERT_WEBHOOK`."
            if settings.alert_webhook
            else "Set `OSSAI_ALERT_WEBHOOK` to have new alerts POSTed as JSON to a URL."
        )
    )
    missing = unknown(history.conditions)
    if len(missing):
        with st.expander(f"Not checked for lack of data: {len(missing)}", expanded=False):
            widgets.table(
                missing,
                column_config={
                    "project": columns.text("Project", 130),
                    "rule": columns.text("Rule", 220),
                    "subject": columns.text("Of", 200),
                    "why": columns.text("Why", 400),
                },
                key="alerts_unknown",
                wrap=3,
            )


def rules_frame(rules):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "id": rule.id,
                "title": rule.title,
                "enabled": rule.enabled,
                "threshold": _threshold(rule),
                "source": rule.source,
            }
            for rule in rules
        ]
    )


def _threshold(rule) -> str:
    if rule.key is None:
        return ""
    if rule.key == "drop":
        return f"drop ≥ {rule.value:.0%}"
    words = {"at_most": "≤ {:g}", "below": "< {:g}", "days": "> {:g} days"}
    return words[rule.key].format(rule.value)


def _standing_table(frame, key: str, since: str) -> None:
    widgets.table(
        frame,
        column_config={
            "since": columns.timestamp(since, 120),
            "project": columns.text("Project", 120),
            "rule": columns.text("Rule", 190),
            "message": columns.text("What the data says", 440),
            "link": columns.link("View", "Project page", 90),
        },
        column_order=["since", "project", "rule", "message", "link"],
        key=key,
        wrap=3,
    )


def overview_section() -> None:
    """The Overview's small Alerts section: the alerts in force, only when there are any."""
    history, problem = loaders.alert_history()
    if problem:
        st.warning(f"The alert history cannot be read: {widgets.markdown_text(problem)}")
    now = standing(history.conditions, history.events)
    fired = now[now["fired"]]
    if fired.empty:
        return
    lines = [
        f"- **{widgets.markdown_text(row.project)}** · since {row.since:%Y-%m-%d} · "
        f"{widgets.markdown_text(row.message)} · [Project page]({row.link})"
        for row in fired.head(5).itertuples()
    ]
    more = f" ({len(fired) - 5} more there)" if len(fired) > 5 else ""
    with st.container(border=True):
        st.markdown(f"**Alerts in force: {len(fired)}**\n\n" + "\n".join(lines))
        st.page_link(ALERTS_PAGE, label=f"Every alert and its history: the Alerts page{more}")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
