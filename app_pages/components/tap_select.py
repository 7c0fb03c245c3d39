"""Makes a tap on a phone pick the latent page's scatter point under the finger (tap_select.js
says why Plotly needs the help). Mounted once on the page; app.css hides its empty element."""

from pathlib import Path

import streamlit as st

tap_select = st.components.v2.component("tap_select", html="<span></span>",
                                         js=Path(__file__).with_suffix(".js").read_text())
