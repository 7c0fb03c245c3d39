"""More than two dimensions: what each number of a 32-D code does, which are on, and a map of the codes."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app_pages import linked_scatter, ui
from explorer.embedding import EMBEDDING_FILE, load_embedding
from explorer.shipped import model_dir

PERCENTILES = (5, 95)  # each unit is moved over the middle 90% of its test values
STEPS = 9  # columns of the traversal grid: equal steps of value from the 5th to the 95th percentile
TOP = 10  # rows shown at once; the rest are in an expander
TILE = 3  # screen pixels per MNIST pixel in the grid: 9 digits of 84 px fit the page at 1280 px


@st.cache_data(show_spinner=False)
def unit_ranges(name: str) -> np.ndarray:
    """(d, 2): each unit's 5th and 95th percentile over the 10,000 test codes."""
    return np.percentile(ui.test_codes(name), PERCENTILES, axis=0).T.astype(np.float32)


@st.cache_data(show_spinner="Decoding the traversal grid...", max_entries=16)  # ~1 MB each
def traversal(name: str, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For test digit `index`: its code (d,), its reconstruction (28, 28), the grid (d, STEPS, 28, 28)
    where row u moves unit u over its range, the others held at the digit's code, and each row's
    change: the mean absolute pixel difference from the reconstruction, over the row's steps."""
    m = ui.model(name)
    code = m.encode(ui.test_split().float_images([index]))[0]  # (d,)
    d = len(code)
    ranges = unit_ranges(name)
    values = np.linspace(ranges[:, 0], ranges[:, 1], STEPS, axis=1)  # (d, STEPS)
    codes = np.repeat(code[None, None], d * STEPS, 0).reshape(d, STEPS, d)
    codes[np.arange(d), :, np.arange(d)] = values  # row u, every step: unit u takes that step's value
    grid = m.batched("decode", codes.reshape(-1, d), batch=512).reshape(d, STEPS, 28, 28)
    base = m.decode(code[None])[0, 0]
    change = np.abs(grid - base).mean(axis=(1, 2, 3))
    return code, base, grid, change


def strip(images: np.ndarray) -> np.ndarray:
    """(k, 28, 28) -> one (28, 28k + 2(k-1)) row with thin grey gaps between the digits."""
    gap = np.full((28, 2), 0.35, dtype=np.float32)
    parts = [p for image in images for p in (image, gap)][:-1]
    return np.concatenate(parts, axis=1)


def pickers(models: list[str]) -> tuple[str, int]:
    c1, c2 = st.columns([2, 1])
    default = models.index("conv_ae-32") if "conv_ae-32" in models else 0
    name = c1.selectbox("Model", models, index=default, format_func=ui.picker_format(), key="dims_model")
    index = c2.number_input("Test digit #", 0, len(ui.test_split()) - 1, key="dims_index")
    st.segmented_control("Or the first test image of", list(range(10)), key="dims_jump", on_change=jump)
    return name, int(index)


def jump() -> None:
    digit = st.session_state.dims_jump
    if digit is not None:
        st.session_state.dims_index = int(np.nonzero(ui.test_split().labels == digit)[0][0])
    st.session_state.dims_jump = None  # a one-off jump: the number box says which digit is shown


def unit_row(unit: int, images: np.ndarray, lo: float, hi: float, change: float) -> None:
    # One picture per row, its label under it: on a phone the row stays a row and the label one line.
    st.image(ui.big(strip(images), TILE), caption=f"unit {unit}: {lo:.2f} → {hi:.2f}, change {change:.3f}",
             output_format="PNG")  # crisp pixels (ui.show_row says why)


def grid_section(name: str, index: int) -> None:
    code, base, grid, change = traversal(name, index)
    split = ui.test_split()
    original = split.float_images([index])[0, 0]
    # One picture, so the two digits are the same size on every screen.
    st.image(ui.big(strip(np.stack([original, base])), 4),
             caption=f"test image #{index} (a {split.labels[index]}) and {name}'s reconstruction", output_format="PNG")
    order = np.argsort(-change, kind="stable")
    ranges = unit_ranges(name)
    d = len(code)
    st.caption(f"Each row moves one of the {d} code units from its 5th to its 95th percentile over the 10,000 test "
               f"codes, in {STEPS} equal steps (left to right), the other {d - 1} held at this digit's code. Rows are "
               f"sorted by how much they change the image: **change** is the mean absolute difference from the "
               f"reconstruction per pixel (0 to 1), averaged over the row.")
    for u in order[:TOP]:
        unit_row(int(u), grid[u], *ranges[u], change[u])
    with st.expander(f"The other {d - TOP} units"):
        for u in order[TOP:]:
            unit_row(int(u), grid[u], *ranges[u], change[u])


@st.cache_data(show_spinner=False)
def activity(name: str) -> tuple[float, np.ndarray]:
    """Over the 10,000 test codes: the mean number of units above zero, and which units are never above zero."""
    codes = ui.test_codes(name)
    return float((codes > 0).sum(1).mean()), np.nonzero((codes > 0).sum(0) == 0)[0]


def sparse_section(name: str, index: int) -> None:
    code = traversal(name, index)[0]
    active = code > 0
    mean_active, dead = activity(name)
    colors = np.where(active, ui.DIGIT_COLORS[0], "#bbbbbb")
    units = np.arange(len(code))
    fig = go.Figure(go.Bar(x=units, y=code, marker_color=colors, hovertemplate="unit %{x}: %{y:.2f}<extra></extra>"))
    # A zero has no bar: a grey dot on the axis shows the unit is there and off.
    fig.add_trace(go.Scatter(x=units[~active], y=np.zeros((~active).sum()), mode="markers",
                             marker={"color": "#999999", "size": 9}, hovertemplate="unit %{x}: 0<extra></extra>"))
    fig.update_layout(height=260, showlegend=False, margin={"l": 10, "r": 10, "t": 10, "b": 10}, font={"size": 15}, bargap=0.15,
                      xaxis={"title": "code unit", "dtick": 4}, yaxis={"title": "value"})
    st.plotly_chart(fig, key="dims_units", config={"displayModeBar": False})
    plain = ""
    if ui.card("ae-32"):
        plain_mean, plain_dead = activity("ae-32")
        plain = (f" The plain AE of the same shape without the L1 penalty (ae-32) has {plain_mean:.1f} active on "
                 f"average and {len(plain_dead)} never active.")
    st.markdown(f"**{int(active.sum())} of {len(code)} units are active** (above zero, in blue; grey dots: zero) for test image "
                f"#{index}. Over the 10,000 test digits {mean_active:.1f} units are active on average, and "
                f"{len(dead)} units ({', '.join(map(str, dead)) or 'none'}) are zero for every one of them.{plain}")


@st.cache_data(show_spinner="Projecting the test digits...")
def pca_of_pixels() -> np.ndarray:
    return ui.pca(2).encode(ui.test_split().float_images(slice(linked_scatter.SHOWN)))


@st.cache_data(show_spinner="Projecting the codes...")
def pca_of_codes(name: str) -> tuple[np.ndarray, float]:
    """The first SHOWN codes on the two leading principal axes of all 10,000 test codes, and the
    share of the codes' variance those two axes keep."""
    codes = ui.test_codes(name)
    centred = codes - codes.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    return centred[:linked_scatter.SHOWN] @ vt[:2].T, float((s[:2] ** 2).sum() / (s ** 2).sum())


@st.fragment
def map_section(name: str) -> None:
    shown = linked_scatter.SHOWN
    views, notes = {}, []
    try:
        e = load_embedding(model_dir(name) / EMBEDDING_FILE)
        if not np.array_equal(e.labels, ui.test_split().labels[:shown]):
            raise ValueError(f"it maps {e.meta['points']:,} digits, not the first {shown:,} test digits")
        views[f"t-SNE of {name}'s codes"] = (e.xy, ("t-SNE 1", "t-SNE 2"))
        iterations = f", {e.meta['iterations']:,} iterations" if "iterations" in e.meta else ""
        notes.append(f"t-SNE by {e.meta['library']} {e.meta['version']} (perplexity {e.meta['perplexity']:g}{iterations}, "
                     f"seed {e.meta['seed']}) of these {shown:,} codes, computed by `python -m explorer.embedding` and "
                     f"shipped beside the weights.")
    except (FileNotFoundError, ValueError) as exc:
        st.info(f"No usable t-SNE map for {name}: {exc}. Make it with `python -m explorer.embedding --models {name}`.")
    views["PCA-2 of the pixels"] = (pca_of_pixels(), ("PC1", "PC2"))
    projected, kept = pca_of_codes(name)
    views[f"PCA-2 of {name}'s codes"] = (projected, ("PC1", "PC2"))
    notes.append(f"PCA of the pixels is the shipped fit on the training digits; PCA of the codes is fit on the "
                 f"10,000 test codes, and its two axes keep {kept:.0%} of their variance.")
    linked_scatter.show("dims", views, note=" ".join(notes))


def main() -> None:
    st.title("More than two dimensions")
    ui.intro("A 32-number code cannot be drawn as a plane. <b>Move one number at a time</b> to see what it does, "
             "and <b>click or lasso points</b> in a 2-D map of all 32 numbers to find the same digits in PCA's views.")
    ui.data_or_stop()
    models = [n for n in ui.names_for("latent", latent_dim=32)]
    if not models:
        st.error("No 32-D model is shipped. Train them with: python train_all.py --models conv_ae-32 ae-32 sparse_ae-32")
        return
    name, index = pickers(models)
    if ui.model(name) is None:
        return
    if name == "sparse_ae-32":  # before the grid: it says why some rows below do not change at all
        st.subheader("Which units are active")
        sparse_section(name, index)
    st.subheader("What each code unit does")
    grid_section(name, index)
    st.subheader("A map of the 32-D codes")
    map_section(name)


main()
