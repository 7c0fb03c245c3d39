"""explorer/plane_reading.py on small hand-made readings: grid orientation, pictures, figures."""

import numpy as np

from explorer.plane_reading import (PlaneReading, cells_of, chart_picture, grid_codes, hex_to_rgb, pad_picture,
                                    read_plane, summarise)

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def test_a_code_falls_in_the_cell_whose_centre_is_nearest():
    low, high, steps = -3.0, 3.0, 7
    centres = grid_codes(low, high, steps)
    assert np.allclose(centres[0], [-3 + 3 / 7, 3 - 3 / 7]) and np.allclose(centres[-1], [3 - 3 / 7, -3 + 3 / 7])
    codes = np.random.default_rng(0).uniform(low, high, (500, 2))
    row, col, inside = cells_of(codes, low, high, steps)
    nearest = np.argmin(((codes[:, None] - centres[None]) ** 2).sum(-1), 1)  # brute force
    assert inside.all() and np.array_equal(row * steps + col, nearest)
    _, _, inside = cells_of(np.array([[0.0, 3.5], [-3.01, 0.0], [3.0, -3.0]]), low, high, steps)
    assert inside.tolist() == [False, False, True]


def test_reading_and_summary():
    p = np.full((3, 3, 10), 0.01)
    p[..., 1] = 0.91  # reads 1 everywhere but the top-left cell
    p[0, 0] = 0.01
    p[0, 0, 7] = 0.91
    reading = read_plane(p.reshape(9, 10))
    assert reading.digit.tolist() == [[7, 1, 1], [1, 1, 1], [1, 1, 1]]
    np.testing.assert_allclose(reading.confidence, 0.91)
    codes = np.array([[-0.9, 0.9], [0.0, 0.0], [0.5, -0.5], [5.0, 5.0]])  # the last is outside [-1, 1]
    s = summarise(reading, codes, np.array([7, 1, 3, 1]), -1.0, 1.0)
    assert s.digits_read == [1, 7] and s.largest == 1 and s.share[7] == 1 / 9
    assert s.test_inside == 3 and s.test_agree == 2 / 3


def test_pictures_keep_strokes_white_and_colour_by_confidence():
    digit = np.array([[0, 3], [3, 9]])
    sure, unsure = PlaneReading(digit, np.ones((2, 2))), PlaneReading(digit, np.full((2, 2), 0.2))
    manifold = np.zeros((56, 56), np.uint8)
    manifold[:, 0] = 255  # a white stroke
    picture = pad_picture(sure, COLOURS, manifold)
    assert picture.shape == (56, 56, 3) and (picture[:, 0] == 255).all()
    np.testing.assert_allclose(picture[40, 20] / 255, 0.85 * hex_to_rgb(COLOURS)[3], atol=1 / 255)  # bottom-left: 3
    assert pad_picture(unsure, COLOURS, manifold)[40, 20].sum() < picture[40, 20].sum()  # darker when unsure
    chart = chart_picture(sure, COLOURS, cell=4)
    assert chart.shape == (8, 8, 3) and (chart < 255).any(-1).all()  # tinted everywhere, paler than the colour
    assert (chart_picture(unsure, COLOURS, cell=4).astype(int).sum(-1) > chart.astype(int).sum(-1)).all()
