"""Entry point: `streamlit run dashboard.py`. Layout only: pages compose loaders, metrics
and charts; nothing here fetches or computes.

Streamlit reads this file twice over: `streamlit run` imports it once to start the server (it
finds `app`, whose start warms the app up: app/server.py), and runs it as a script for each
visit and rerun (`__name__ == "__main__"`), which draws the page."""

from __future__ import annotations

import streamlit as st

from app import server


def main() -> None:
    from app import precomputed, sidebar, theme, urlstate, widgets

    st.set_page_config(page_title="Open-source AI ecosystem health", page_icon="📊", layout="wide")
    theme.follow_theme()  # charts' text in the reader's light or dark theme

    overview = "app/overview_page.py"
    pages = [
        st.Page(overview, title="Overview", default=True),  # served at /
        st.Page("app/compare_page.py", title="Compare", url_path="compare"),
        st.Page("app/explore_page.py", title="Explore", url_path="explore"),
        st.Page("app/community_page.py", title="Community", url_path="community"),
        st.Page("app/claims_page.py", title="Claims", url_path="claims"),
        st.Page("app/project_page.py", title="Project", url_path="project"),
        st.Page("app/methods_page.py", title="Methods", url_path="methods"),
        st.Page("app/data_page.py", title="Data", url_path="data"),
        st.Page("app/alerts_page.py", title="Alerts", url_path="alerts"),
        # The main page at its own address too: /overview opens it (the default page's own
        # url_path is never served, / is).
        st.Page(overview, title="Overview", url_path="overview", visibility="hidden"),
    ]

    navigation = st.navigation(pages)
    sidebar.freshness()
    widgets.refresh_button()
    urlstate.start()
    address_notices = st.container()  # above the page: what the link asked for that was ignored
    precomputed.wait_for_views()
    navigation.run()
    urlstate.finish(address_notices)
    sidebar.problems()


if __name__ == "__main__":  # a visit: Streamlit runs this file as the page's script
    main()
else:  # `streamlit run` imports it to serve it
    app = st.App(__file__, lifespan=server.lifespan)
