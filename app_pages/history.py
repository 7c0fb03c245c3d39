"""How the latent space learns: the codes of 1,000 test digits and the manifold of a 2-D model
at about 20 moments of its training, recorded by train_all.py (explorer/history.py).

Everything shown is read from the model's `history.safetensors` (and its card for the epoch
count); nothing is computed by a model here, so the page needs neither PyTorch nor ONNX."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import explorer.onnx_models
from explorer.beta import BETAS, beta_release
from explorer.history import HISTORY_FILE, History, load_history

DEFAULT_MODEL = "vae-2"  # the lesson's model opens the page
PLAY_SECONDS = 1.0  # between moments while playing: long enough to see the points travel
GAP_CELLS = 10  # the square is cut into 10 x 10 cells to measure its gaps (`empty_share`)
PAIR_DEFAULTS = ("vae-2", "conv_ae-2")  # side by side: the lesson's VAE and its plain AE
PAIR_LABEL = "Side by side with a second model"
LOSS_WINDOW = 50  # steps averaged for the loss readout: a single batch's loss is noisy
SPAN_HELP = ("Half the side of the square that holds at least 99.5% of the code coordinates (never under 1, the "
             "prior's standard deviation). The manifold beside the scatter decodes this square.")
# Plotly's D3 palette, the same as app_pages/ui.py's DIGIT_COLORS (ui imports PyTorch).
DIGIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def mnist_root() -> Path:
    # The app's torch-free release root; read at every call, so a test can point it elsewhere.
    return Path(explorer.onnx_models.PRETRAINED_ROOT) / "mnist"


def read_card(name: str) -> dict:
    try:
        return json.loads((mnist_root() / name / "card.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def recorded_models() -> list[str]:
    """The models train_all.py records a history for: every shipped 2-D latent model but the
    beta set (`history=False` in explorer/releases.py, which imports PyTorch and so cannot be
    read here; tests/test_app_history.py checks that the two lists agree). A folder that holds
    a history file is listed whatever its card says."""
    skip = {beta_release(b) for b in BETAS}
    names = []
    for folder in sorted(p for p in mnist_root().glob("*") if p.is_dir()):
        card = read_card(folder.name)
        has_plane = card.get("latent_dim") == 2 and card.get("task", "latent") == "latent"
        if (folder / HISTORY_FILE).is_file() or (has_plane and folder.name not in skip):
            names.append(folder.name)
    return names


@st.cache_resource(show_spinner="Reading the training history...", max_entries=8)
def _load(path: str, mtime_ns: int) -> History:
    # Keyed on the file's mtime too, so a retrained model's new history is read, not the old.
    return load_history(Path(path))


def history_or_message(name: str) -> History | None:
    """The model's history, or None after a message that says how to record one."""
    path = mnist_root() / name / HISTORY_FILE
    command = f"python train_all.py --models {name}"
    if not path.is_file():
        st.info(f"**No training history for {name} yet.** It is recorded while the model trains: "
                f"run `{command}` (a few minutes on a CPU), then reload this page. It writes `{path}`.",
                icon=":material/history:")
        return None
    try:
        return _load(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError) as exc:
        st.error(f"**The training history of {name} cannot be read.** {exc}. Record it again with `{command}`.",
                 icon=":material/error:")
        return None


@st.cache_data(show_spinner=False, max_entries=128)
def neighbour_agreement(codes: np.ndarray, labels: np.ndarray) -> float:
    """Share of the codes whose nearest other code is the same digit (leave-one-out 1-NN):
    about 0.1 for codes that ignore the digit, near 1 for well-separated digit clusters."""
    sq = (codes ** 2).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * codes @ codes.T  # (N, N) squared distances
    np.fill_diagonal(d, np.inf)
    return float((labels[d.argmin(1)] == labels).mean())


def chance_agreement(labels: np.ndarray) -> float:
    """The same-digit share a code's nearest neighbour would have if codes ignored the digit:
    the chance that two digits drawn from these labels are the same, sum of p_d squared."""
    p = np.bincount(labels, minlength=10) / len(labels)
    return float((p ** 2).sum())


def recent_loss(h: History, step: int) -> float | None:
    """The mean training loss of the LOSS_WINDOW steps up to `step` (None before the first)."""
    return float(h.losses[max(0, step - LOSS_WINDOW):step].mean()) if step > 0 else None


def epoch_text(step: int, spe: float | None, epochs: int | None) -> str:
    return f"epoch {step / spe:.2f} of {epochs}" if spe else "epochs unknown (no card)"


@st.cache_resource(show_spinner=False, max_entries=8)
def scatter_layout(r: float, revision: str) -> dict:
    """Axes from -r to r, the legend, the size. Never mutated (see `scatter_figure`)."""
    fig = go.Figure()
    fig.update_layout(height=390, margin={"l": 10, "r": 10, "t": 10, "b": 10}, font={"size": 14},
                      legend={"title": {"text": "digit"}, "itemclick": False, "itemdoubleclick": False},
                      xaxis={"range": [-r, r], "title": "z1", "zeroline": False},
                      yaxis={"range": [-r, r], "title": "z2", "scaleanchor": "x", "zeroline": False},
                      uirevision=revision)  # a zoom by hand survives the next moment
    return fig.to_dict()["layout"]


def axis_range(h: History, i: int, follow: bool) -> float:
    """Fixed axes that hold every moment's codes, so the points visibly travel from moment to
    moment; or, when following, this moment's codes only (they may be tiny early on)."""
    return float(h.ranges[i] if follow else h.ranges.max()) * 1.08


def scatter_figure(h: History, name: str, i: int, follow: bool) -> go.Figure:
    codes, r = h.codes[i], float(h.ranges[i])
    traces = [go.Scatter(x=codes[h.labels == d, 0], y=codes[h.labels == d, 1], mode="markers", name=str(d),
                         marker={"size": 5, "color": DIGIT_COLORS[d], "opacity": 0.75}, hoverinfo="skip")
              for d in range(10)]
    fig = go.Figure(traces, layout=scatter_layout(axis_range(h, i, follow), f"{name}-{follow}"))
    # The square the manifold beside it covers, so the two pictures can be read together.
    fig.add_shape(type="rect", x0=-r, y0=-r, x1=r, y1=r, line={"color": "#444", "dash": "dash", "width": 1.5})
    return fig


def loss_figure(h: History, step: int) -> go.Figure:
    steps = np.arange(1, len(h.losses) + 1)
    # A thousand points draw the curve as well as 10,000 do, and travel faster on every move.
    every = max(1, len(steps) // 1000)
    fig = go.Figure([go.Scatter(x=steps[::every], y=h.losses[::every], mode="lines", name="loss per step",
                                line={"color": "#9aa5b1", "width": 1}, hoverinfo="skip")])
    for s in h.steps:
        fig.add_vline(x=max(int(s), 1), line={"color": "#d0d5db", "width": 1})
    loss = recent_loss(h, step)
    if loss is not None:
        fig.add_trace(go.Scatter(x=[step], y=[loss], mode="markers", name="this moment",
                                 marker={"size": 13, "color": "#d62728", "line": {"color": "white", "width": 1}}))
    fig.add_vline(x=max(step, 1), line={"color": "#d62728", "width": 2})
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10}, showlegend=False, font={"size": 13},
                      title={"text": "Training loss (grey lines: the recorded moments)"},
                      xaxis={"type": "log", "title": "training step (log scale: early change is fastest)"},
                      yaxis={"title": "loss"})
    return fig


def empty_share(codes: np.ndarray, r: float, cells: int = GAP_CELLS) -> float:
    """Share of the cells of a cells x cells grid over [-r, r]^2 that hold none of the codes:
    the plane's gaps, where decodes are not something a training digit was put. A round
    cloud leaves only the corners empty (1 - pi/4, 21%, for a disc that fills the square)."""
    idx = np.clip(((codes + r) / (2 * r) * cells).astype(int), 0, cells - 1)
    return 1 - len({(a, b) for a, b in idx}) / cells ** 2


def manifold_image(h: History, i: int) -> np.ndarray:
    """(560, 560) uint8: each stored pixel doubled, so the tiles stay crisp on a projector."""
    a = (np.clip(h.manifold(i), 0, 1) * 255).round().astype(np.uint8)
    return np.kron(a, np.ones((2, 2), dtype=np.uint8))


def moment_label(h: History, i: int, spe: float | None) -> str:
    step = int(h.steps[i])
    return f"step {step:,}" + (f" · epoch {step / spe:.2f}" if spe else "")


def on_play() -> None:
    state = st.session_state
    if not state.playing:
        state.ticked_at = 0.0  # the first run shows the next moment at once
        if state.moment >= state.history_moments - 1:
            state.moment = -1  # play from the start once the end was reached
    state.playing = not state.playing
    state.play_changed = True


def on_model_change() -> None:
    state = st.session_state
    state.play_changed = state.playing  # a rerun of the page stops the player's timer
    state.playing = False
    state.moment = 0


def readouts(h: History, i: int, spe: float | None, epochs: int | None) -> None:
    step = int(h.steps[i])
    agree = neighbour_agreement(h.codes[i], h.labels)
    loss = recent_loss(h, step)
    final = recent_loss(h, int(h.steps[-1]))
    prev = i - 1 if i > 0 else None
    cols = st.columns(3)
    cols[0].metric(f"Loss (mean of the last {min(step, LOSS_WINDOW)} steps)" if step else "Loss", "-" if loss is None else f"{loss:.1f}",
                   delta=None if loss is None or prev is None or recent_loss(h, int(h.steps[prev])) is None
                   else f"{loss - recent_loss(h, int(h.steps[prev])):+.1f}", delta_color="inverse")
    cols[1].metric("Codes span", f"±{h.ranges[i]:.2f}", help=SPAN_HELP,
                   delta=None if prev is None else f"{h.ranges[i] - h.ranges[prev]:+.2f}", delta_color="off")
    cols[2].metric("Nearest code, same digit", f"{agree:.0%}",
                   delta=None if prev is None else
                   f"{(agree - neighbour_agreement(h.codes[prev], h.labels)) * 100:+.0f} points")
    n = len(h.labels)
    where = "before the first training step" if step == 0 else f"after {step:,} steps ({epoch_text(step, spe, epochs)})"
    loss_text = ("there is no loss yet" if loss is None else
                 f"the loss is {loss:.1f}" + ("" if i == len(h.steps) - 1 else f", {final:.1f} when training ends"))
    st.markdown(f"**Moment {i + 1} of {len(h.steps)}**, {where}: {loss_text}. At least 99.5% of the {n:,} code "
                f"coordinates lie within ±{h.ranges[i]:.2f}, and for {agree:.0%} of the digits the nearest other code is the same "
                f"digit ({chance_agreement(h.labels):.0%} if the codes ignored the digit).")


def controls(names: list[str]) -> tuple[str, History | None, int]:
    """One row: the model, the moment slider, Play. Returns the model, its history (None after
    a message) and the moment shown."""
    col_model, col_slider, col_button = st.columns([1.3, 3.4, 1], vertical_alignment="bottom")
    with col_model:
        name = st.selectbox("Model", names, key="history_model", on_change=on_model_change,
                            help=read_card(st.session_state.history_model).get("description"))
    h = history_or_message(name)
    if h is None:
        st.session_state.playing = False
        return name, None, 0
    last = len(h.steps) - 1
    st.session_state.history_moments = len(h.steps)
    state = st.session_state
    state.moment = min(state.moment, last)
    if is_tick():
        state.moment = min(state.moment + 1, last)
        state.ticked_at = time.monotonic()
    state.moment = max(state.moment, 0)
    i, spe = state.moment, steps_per_epoch(h, read_card(name))
    with col_slider:
        if state.playing:
            # A bar, not the slider, while playing: a slider whose value the server moves
            # answers each move with a rerun carrying its previous value, which fights the timer.
            st.progress(i / max(last, 1), text=f"Playing: {moment_label(h, i, spe)}")
        else:
            state.moment_slider = i  # the slider's key is set before it is drawn: allowed
            st.select_slider("Moment of training (log-spaced: early change is fastest)", options=list(range(len(h.steps))),
                             key="moment_slider", format_func=lambda k: moment_label(h, k, spe),
                             on_change=lambda: state.update(moment=state.moment_slider))
    with col_button:
        st.button("Pause" if st.session_state.playing else "Play", key="play", on_click=on_play,
                  icon=":material/pause:" if st.session_state.playing else ":material/play_arrow:", width="stretch")
    return name, h, i


def is_tick() -> bool:
    """Whether this run of the playing fragment shows the next moment: the first run after
    Play does, then one run per PLAY_SECONDS (a rerun that comes sooner, e.g. a click on the
    page, keeps the moment)."""
    state = st.session_state
    return state.playing and time.monotonic() - state.get("ticked_at", 0.0) >= 0.6 * PLAY_SECONDS


def steps_per_epoch(h: History, card: dict) -> float | None:
    epochs = card.get("train_config", {}).get("epochs")
    return h.total_steps / epochs if epochs else None


def pair_toggle(names: list[str], name: str) -> None:
    st.toggle(PAIR_LABEL, key="history_pair", disabled=len(names) < 2,
              help="Both models at the same moment of their training: compare how their planes fill.")


def pair_picker(names: list[str], name: str) -> str | None:
    """With the side-by-side view on: its toggle and the second model, in one row above the
    two planes (None when it is off). Off, the toggle sits under the scatter instead, so the
    one-model view keeps its scatter and manifold within a 1280x720 screen."""
    others = [n for n in names if n != name]
    if not st.session_state.get("history_pair") or not others:
        return None
    if st.session_state.get("history_other") not in others:
        st.session_state.history_other = next((n for n in PAIR_DEFAULTS if n in others), others[0])
    col_toggle, col_other = st.columns([1.3, 1], vertical_alignment="bottom")
    with col_toggle:
        pair_toggle(names, name)
    return col_other.selectbox("Beside it", others, key="history_other")


def digit_legend() -> None:
    chips = "".join(f"<span style='margin-right:.8rem;white-space:nowrap'><span style='display:inline-block;"
                    f"width:.75rem;height:.75rem;border-radius:50%;background:{c};margin-right:.25rem'></span>{d}</span>"
                    for d, c in enumerate(DIGIT_COLORS))
    st.markdown(f"<div style='font-size:1rem'><b>digit</b>&nbsp;&nbsp;{chips}</div>", unsafe_allow_html=True)


def pair_view(pair: tuple[str, str], first: History, i: int) -> None:
    """Two models at the same moment (the i-th of each one's log-spaced moments), each with its
    scatter, manifold and gaps: the VAE's plane ends up one round cloud, the AE's does not."""
    digit_legend()
    final = {}
    for col, model in zip(st.columns(2), pair):
        with col:
            h = first if model == pair[0] else history_or_message(model)
            if h is None:
                continue
            j = min(i, len(h.steps) - 1)  # both recorded ~20 log-spaced moments: the same index, the same stage
            r, card = float(h.ranges[j]), read_card(model)
            gaps, agree = empty_share(h.codes[j], r), neighbour_agreement(h.codes[j], h.labels)
            st.markdown(f"**{model}** · {moment_label(h, j, steps_per_epoch(h, card))}")
            # Axes follow this moment's span: the shape of the cloud, not its size, is the point here.
            fig = scatter_figure(h, model, j, True)
            fig.update_layout(showlegend=False, height=330)
            st.plotly_chart(fig, key=f"history_pair_{'ab'[model != pair[0]]}", config={"displayModeBar": False})
            st.image(manifold_image(h, j), width="stretch", caption=f"20x20 decodes over the dashed square, "
                     f"z1, z2 in [-{r:.2f}, {r:.2f}]")
            st.markdown(f"**{gaps:.0%}** of the dashed square's {GAP_CELLS ** 2} cells hold no test code; for "
                        f"{agree:.0%} of the digits the nearest code is the same digit.")
            final[model] = empty_share(h.codes[-1], float(h.ranges[-1]))
    if len(final) == 2:
        (a, ga), (b, gb) = final.items()
        more = a if ga > gb else b
        st.info(f"When training ends, {a} leaves {ga:.0%} of its square without a test code and {b} {gb:.0%}: "
                f"{more}'s plane has more empty space between its codes, where decodes are not anything a training "
                f"digit was put at. A VAE's KL term pulls every code toward N(0, I), so its codes fill one round "
                f"cloud (a disc filling the square leaves only the corners, 21%, empty); a plain AE's codes are free "
                f"to spread into arms with gaps between them.", icon=":material/compare_arrows:")


def player(names: list[str]) -> None:
    """The controls and everything they change: a fragment, so a slider move or a tick of the
    player reruns only this."""
    if st.session_state.pop("play_changed", False):
        st.rerun()  # the whole page again: the fragment's timer starts or stops with it
    name, h, i = controls(names)
    if h is None:
        return
    other = pair_picker(names, name)
    if other is not None:
        pair_view((name, other), h, i)
        return
    card = read_card(name)
    epochs, spe = card.get("train_config", {}).get("epochs"), steps_per_epoch(h, card)
    step = int(h.steps[i])
    col_scatter, col_manifold = st.columns([1.2, 1])
    with col_scatter:
        follow = st.session_state.get("history_follow", False)
        st.plotly_chart(scatter_figure(h, name, i, follow), key="history_scatter", config={"displayModeBar": False})
        r = axis_range(h, i, follow)
        st.caption(f"The codes of {len(h.labels):,} test digits at step {step:,}, coloured by digit; axes "
                   f"±{r:.2f}, " + ("this moment's span." if follow else "the widest span of any moment."))
        st.toggle("Zoom to this moment", key="history_follow")
        pair_toggle(names, name)
    with col_manifold:
        # Streamlit's default JPEG, unlike the crisp digits of ui.show_row: 20x20 blurred decodes are
        # 94 KB as JPEG and 124 KB as PNG, sent again at every step of Play.
        what = " (digit 0 throughout: the conditional VAE decodes a code with a digit)" if h.conditional else ""
        st.image(manifold_image(h, i), width="stretch",
                 caption=f"20x20 decodes at step {step:,}{what}, over the dashed square z1, z2 in "
                         f"[-{h.ranges[i]:.2f}, {h.ranges[i]:.2f}]")
    readouts(h, i, spe, epochs)
    st.plotly_chart(loss_figure(h, step), key="history_loss", config={"displayModeBar": False})
    if card.get("description"):
        st.caption(f"{name}: {card['description']}")
    if st.session_state.playing and i == len(h.steps) - 1:
        st.session_state.playing = False
        st.rerun()  # the end: the whole page again, without the timer


def main() -> None:
    st.title("How the latent space learns")
    st.markdown("<div style='font-size:1.1rem'>Where a 2-D model put a fixed set of test digits, and what it drew across "
                "its plane, at moments recorded while it trained. <b>Press Play</b> or move the slider.</div>",
                unsafe_allow_html=True)
    names = recorded_models()
    if not names:
        st.error(f"No 2-D model in {mnist_root()}. Train one with `python train_all.py --models {DEFAULT_MODEL}`.")
        return
    for key, value in {"playing": False, "moment": 0}.items():
        if key not in st.session_state:
            st.session_state[key] = value
    if st.session_state.get("history_model") not in names:
        st.session_state.history_model = DEFAULT_MODEL if DEFAULT_MODEL in names else names[0]
    # The fragment ticks only while playing; Play and Pause rerun the page to start or stop it.
    st.fragment(player, run_every=PLAY_SECONDS if st.session_state.playing else None)(names)


main()
