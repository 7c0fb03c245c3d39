"""Autoencoder Latent Explorer: `streamlit run app.py` (or `make run`).

Each page lives in app_pages/ and opens with what it shows and what to try.
"""

import streamlit as st

from app_pages import layout

PAGES = [
    st.Page("app_pages/latent.py", title="Latent explorer", icon=":material/explore:", default=True),
    st.Page("app_pages/compare.py", title="AE against PCA", icon=":material/compare:"),
    st.Page("app_pages/denoise.py", title="Denoise", icon=":material/auto_fix_high:"),
    st.Page("app_pages/super_resolution.py", title="Super-resolution", icon=":material/zoom_in:"),
    st.Page("app_pages/interpolate.py", title="Interpolate and sample", icon=":material/timeline:"),
    st.Page("app_pages/beta.py", title="The beta trade-off", icon=":material/tune:"),
    st.Page("app_pages/history.py", title="How the latent space learns", icon=":material/history:"),
    st.Page("app_pages/dimensions.py", title="More than two dimensions", icon=":material/scatter_plot:"),
    st.Page("app_pages/models.py", title="Models", icon=":material/description:"),
]


def main() -> None:
    # The favicon is an emoji: a Material icon name there makes the browser fetch an SVG from
    # fonts.gstatic.com (the icons in the menu come from the font Streamlit serves itself).
    st.set_page_config(page_title="Autoencoder Latent Explorer", page_icon="🧭", layout="wide")
    layout.apply()
    st.navigation(PAGES).run()


main()
