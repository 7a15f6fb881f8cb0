"""Entry point: `streamlit run dashboard.py`. Layout only: pages compose loaders, metrics
and charts; nothing here fetches or computes."""

from __future__ import annotations

import streamlit as st

from app import sidebar, widgets

st.set_page_config(page_title="Open-source AI ecosystem health", page_icon="📊", layout="wide")

PAGES = [
    st.Page("app/overview_page.py", title="Overview", url_path="overview", default=True),
    st.Page("app/compare_page.py", title="Compare", url_path="compare"),
    st.Page("app/explore_page.py", title="Explore", url_path="explore"),
    st.Page("app/community_page.py", title="Community", url_path="community"),
    st.Page("app/claims_page.py", title="Claims", url_path="claims"),
    st.Page("app/project_page.py", title="Project", url_path="project"),
    st.Page("app/methods_page.py", title="Methods", url_path="methods"),
    st.Page("app/data_page.py", title="Data", url_path="data"),
]

navigation = st.navigation(PAGES)
sidebar.freshness()
widgets.refresh_button()
navigation.run()
sidebar.problems()
