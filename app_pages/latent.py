"""Latent explorer: drag across a 2-D latent plane and watch the decoded digit change.

A switch colours the plane by the digit the shipped classifier reads in each decode
(explorer/plane_reading.py), on the pad and behind the scatter of the test digits."""

import numpy as np
import streamlit as st

from app_pages import latent_pictures as pictures
from app_pages import ui
from app_pages.components.latent_scatter import latent_scatter
from app_pages.components.onnx_pad import onnx_pad
from explorer.plane_reading import summarise
from explorer.shipped import CLASSIFIER, read_card

DEFAULT_MODEL = "vae-2"  # the lesson's model opens the page


# Eight fixed standard normal draws (seed 0): the noise slider scales them, so the neighbours
# move smoothly with sigma and the point instead of jumping about.
NOISE = tuple((float(a), float(b)) for a, b in np.random.default_rng(0).standard_normal((8, 2)))


def scatter_section() -> None:
    """The 10,000-point scatter, outside the fragment: sent when the page or the model
    changes, not on latent moves (about 70 KB each time it is sent). It and the pad, in the
    fragment, meet in the page: the "you" ring follows the pad's point, a click moves the pad."""
    name = st.session_state.scatter_model
    if ui.model(name) is None:
        return
    reading_digit = st.session_state.scatter_reading
    # The pad finds the chart by this key (one per model: a model switch draws a new chart).
    latent_scatter(pictures.scatter_base(name, *ui.latent_range(name), reading_digit), key=f"scatter_{name}")
    if reading_digit is not None:
        st.caption("Behind the points: the digit the classifier reads at each point of the plane, paler where it "
                   "is less sure. A point whose colour differs from the region under it is a test digit whose code "
                   "lies where the decodes read as another digit."
                   + (f" The regions are those of the label {reading_digit}, the one the pad decodes with; the "
                      f"points are every digit's code, each encoded with its own label."
                      if ui.model(name).conditional else ""))


@st.fragment
def explorer() -> None:
    """What Python draws around the pad; the cvae's label reruns only this, a model or colouring
    change the whole page (the scatter too). Latent moves and picks (the pad, the z sliders, the
    noise on the code, a click on a test digit) run in the page and rerun nothing."""
    # The pad first and the controls beside it: at 1280x720 the pad and its digit fit in the
    # first screen; on a phone the columns stack and the controls follow the pad.
    col_pad, col_controls = st.columns([2.1, 1])
    with col_controls:
        models = ui.latent_2d_models()
        if not models:
            st.error("No 2-D model is shipped. Train them with: `python train_all.py`", icon=":material/error:")
            return
        name = st.selectbox("Model", models, index=models.index(DEFAULT_MODEL) if DEFAULT_MODEL in models else 0,
                            key="latent_model", format_func=ui.picker_format())
        model = ui.model(name)  # once: every cached call costs a hash of its arguments, on every run
        if model is None:
            return
        if st.session_state.get("scatter_model", name) != name:
            st.rerun(scope="app")  # the scatter below, outside this fragment, shows another model
        digit = None
        if model.conditional:
            digit = st.selectbox("Digit to draw (the label)", list(range(10)), index=7, key="cvae_digit")
        low, high = ui.latent_range(name)
        # No help icon: beside one, Streamlit cuts the label to one line, and at 1280x720 it lost "reads".
        st.toggle("Colour by what a classifier reads", key="reading_map")
    reading_digit = (digit or 0) if st.session_state.reading_map and ui.classifier() is not None else None
    st.session_state.latent_reading = reading_digit
    if st.session_state.scatter_reading != reading_digit:
        st.rerun(scope="app")  # the scatter below, outside this fragment, shows the plane's reading too
    with col_pad:
        onnx_pad(name, low=low, high=high, noise=NOISE, chart=f"scatter_{name}",
                 test_digits=pictures.test_digit_files(), digits_per_file=pictures.DIGITS_PER_FILE,
                 conditional=digit is not None, variational=model.variational, digit=digit or 0,
                 fallback_sheet=pictures.sheet_url(name, low, high, digit or 0), fallback_steps=pictures.PAD_STEPS,
                 background=pictures.background_url(name, low, high, digit or 0, reading_digit is not None),
                 key="latent_pad")
        st.caption("Drag on the square, move the z sliders or pick a test digit in the scatter: the model decodes "
                   "the point in this page, without asking the server. The noise slider decodes eight codes near "
                   "the point. Draw a digit on the black canvas to see where the encoder puts it (for a VAE, with a one-sigma ellipse). The "
                   "square shows the manifold, a 20x20 grid of decodes.")
        if reading_digit is not None:
            reading_section(name, low, high, reading_digit, digit is not None)
    if digit is not None:
        st.info(f"The conditional VAE is told which digit to draw, so its two numbers hold only the style "
                f"(slant, width, stroke). That is why its scatter below is one mixed blob, not ten clusters, "
                f"and why every point of the pad draws a {digit}.", icon=":material/info:")


def legend_html() -> str:
    def ink(colour: str) -> str:  # black on the light swatches (orange, pink, olive, cyan), white on the dark
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"

    swatches = "".join(f"<span style='background:{c};color:{ink(c)};padding:0 0.45em;margin-right:2px;"
                       f"border-radius:3px;font-weight:600'>{d}</span>" for d, c in enumerate(ui.DIGIT_COLORS))
    return f"<div style='margin:0.2rem 0 0.4rem'>{swatches}</div>"


def reading_section(name: str, low: float, high: float, digit: int, conditional: bool) -> None:
    """The coloured plane's legend and what it shows, measured on the same reading as the picture."""
    reading = pictures.plane_reading(name, low, high, digit)
    s = summarise(reading, ui.test_codes(name), ui.test_split().labels, low, high)
    st.markdown(legend_html(), unsafe_allow_html=True)
    accuracy = read_card(CLASSIFIER)["metrics"]["accuracy"]  # written by train_all.py --models classifier
    steps = pictures.READING_STEPS
    st.caption(f"Colour: the digit a small CNN ({accuracy:.1%} right on MNIST's 10,000 test digits) reads in "
               f"the decode at each of {steps}x{steps} points, as bright as the CNN is sure "
               "(dark: unsure); the manifold's strokes in white. The colours are the scatter's below.")
    if conditional:
        others = [d for d in s.digits_read if d != digit]
        st.markdown(f"Every point is decoded with the label {digit}: the classifier reads **{digit}** in "
                    f"**{s.share[digit]:.0%}** of the plane"
                    + (f", and {', '.join(map(str, others))} elsewhere." if others else ", and nothing else."),
                    help=f"Measured on the picture's {pictures.READING_STEPS ** 2:,} cells.")
        return
    missing = [d for d in range(10) if d not in s.digits_read]
    st.markdown(f"The classifier reads **{len(s.digits_read)} of the 10 digits** somewhere in this plane"
                + (f" (never {', '.join(map(str, missing))})" if missing else "")
                + f"; the largest region, **{s.share[s.largest]:.0%}** of the plane, reads as {s.largest}. "
                f"Of the {s.test_inside:,} test digits whose codes lie in the square, **{s.test_agree:.0%}** "
                "sit where the decodes read as their own label.",
                help=f"Measured on the picture's {pictures.READING_STEPS ** 2:,} cells and the 10,000 test "
                     "digits' codes. Decodes are blurrier than MNIST's digits: where two digits blend, the reading is the "
                     "classifier's best guess, and another classifier may guess otherwise.")


def main() -> None:
    st.title("Latent explorer")
    ui.intro("A 2-D autoencoder squeezes each 784-pixel digit into two numbers, z1 and z2, and every point of "
             "that plane decodes to an image. <b>Drag across the square</b> and watch the digit morph.")
    ui.data_or_stop()
    if "reading_map" not in st.session_state:
        st.session_state.reading_map = False  # set here, not by the toggle: kept across page switches
    # The model the scatter (outside the fragment) is drawn for: a model switch, which reruns
    # only the fragment, sees it differ and reruns the whole page.
    st.session_state.scatter_model = st.session_state.get("latent_model", DEFAULT_MODEL)
    # Likewise the label whose reading the scatter is drawn over (None: switch off), as the
    # fragment last decided it; when the fragment decides otherwise, it reruns the page.
    st.session_state.scatter_reading = st.session_state.get("latent_reading")
    explorer()
    scatter_section()


main()
