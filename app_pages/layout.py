"""What every page gets from app.py: the shared CSS (app.css) and, on phones, a page menu
that closes after a pick (close_nav.js). Both are local files: the app fetches nothing from
outside the machine."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent

_nav_closer = st.components.v2.component("nav_closer", html="<span></span>", js=(HERE / "close_nav.js").read_text())


def apply() -> None:
    st.html(f"<style>{(HERE / 'app.css').read_text()}</style>")
    _nav_closer(key="nav_closer")
