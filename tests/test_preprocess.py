"""to_mnist on the kinds of pictures people upload."""

import io
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from explorer.preprocess import (DETAIL_SIDE, MNIST_STROKE_MAX, MNIST_STROKE_MIN, ImageError, open_image, stroke_width,
                                 to_grayscale_28, to_mnist, to_mnist_with_notes)


def drawn_seven(size=(300, 400), ink=0, paper=255, mode="L", width=18):
    image = Image.new(mode, size, paper)
    d = ImageDraw.Draw(image)
    w, h = size
    d.line([(0.25 * w, 0.2 * h), (0.75 * w, 0.2 * h), (0.45 * w, 0.8 * h)], fill=ink, width=width)
    return image


def check_mnist_like(a):
    assert a.shape == (28, 28) and a.dtype == np.float32
    assert 0 <= a.min() and a.max() <= 1 and a.max() > 0.9
    rows, cols = np.nonzero(a > 0.05)
    # Fits the 20x20 box (a pixel of anti-aliasing either side) and is roughly centred.
    assert rows.max() - rows.min() <= 21 and cols.max() - cols.min() <= 21
    cy = (a.sum(1) * np.arange(28)).sum() / a.sum()
    cx = (a.sum(0) * np.arange(28)).sum() / a.sum()
    assert abs(cy - 14) < 1.5 and abs(cx - 14) < 1.5
    assert a[0].max() == 0 and a[:, 0].max() == 0  # background is black


def png_bytes(image, fmt="PNG"):
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def test_dark_ink_on_light_paper_is_inverted():
    a = to_mnist(drawn_seven())
    check_mnist_like(a)


def test_white_on_black_is_kept():
    a = to_mnist(drawn_seven(ink=255, paper=0))
    check_mnist_like(a)
    np.testing.assert_allclose(a, to_mnist(drawn_seven()), atol=0.05)


def test_uneven_paper_photo():
    image = drawn_seven(ink=60)
    shade = np.linspace(140, 250, 300, dtype=np.float32)[None, :]  # a shadow across the page
    page = np.asarray(image, dtype=np.float32) * shade / 255
    noisy = page + np.random.default_rng(0).normal(0, 6, page.shape)
    a = to_mnist(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)))
    check_mnist_like(a)
    # The shadow must not count as ink: the left and right edges of the field stay dark.
    assert a[:, :3].max() < 0.2 and a[:, -3:].max() < 0.2


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "CMYK", "I;16", "LA", "1"])
def test_every_pixel_format(mode):
    base = drawn_seven()
    image = base.convert(mode) if mode != "I;16" else Image.fromarray(np.asarray(base).astype(np.uint16) * 257)
    check_mnist_like(to_mnist(png_bytes(image, "TIFF" if mode == "CMYK" else "PNG")))


def test_ink_on_transparent_background():
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(50, 40), (150, 40), (90, 170)], fill=(0, 0, 0, 255), width=14)
    check_mnist_like(to_mnist(image))
    white_ink = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(white_ink).line([(50, 40), (150, 40), (90, 170)], fill=(255, 255, 255, 255), width=14)
    check_mnist_like(to_mnist(white_ink))


@pytest.mark.parametrize("size", [(28, 28), (13, 57), (1200, 90), (3000, 2000)])
def test_odd_sizes(size):
    check_mnist_like(to_mnist(drawn_seven(size, width=max(2, min(size) // 8))))


def test_mnist_digit_stays_the_same_shape():
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 12:16] = 1.0  # a "1", already in MNIST style
    out = to_mnist(Image.fromarray((digit * 255).astype(np.uint8)))
    assert np.abs(out - digit).mean() < 0.05


def test_blank_image_is_refused():
    with pytest.raises(ImageError, match="blank"):
        to_mnist(Image.new("L", (100, 100), 255))


@pytest.mark.parametrize("payload, message", [
    (b"hello, I am a text file", "not an image"),
    (b"", "empty"),
])
def test_non_images_are_refused(payload, message):
    with pytest.raises(ImageError, match=message):
        to_mnist(payload)


def test_truncated_png_is_refused():
    data = png_bytes(drawn_seven())
    with pytest.raises(ImageError):
        to_mnist(data[: len(data) // 2])


def png_claiming_size(width, height):
    """A tiny PNG whose header claims width x height: what a decompression bomb looks like."""
    data = bytearray(png_bytes(Image.new("L", (8, 8))))
    # IHDR's data starts at byte 16: width and height, then the chunk's CRC at byte 29.
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


@pytest.mark.parametrize("side", [40000, 7000])
def test_huge_image_is_refused_before_decoding(side):
    with pytest.raises(ImageError, match="megapixels"):
        to_mnist(png_claiming_size(side, side))


def test_animated_gif_uses_first_frame():
    frames = [drawn_seven(), Image.new("L", (300, 400), 255)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    check_mnist_like(to_mnist(buf.getvalue()))


def test_grayscale_28_keeps_any_picture():
    out = to_grayscale_28(Image.new("RGB", (64, 32), (200, 10, 10)))
    assert out.shape == (28, 28) and 0 <= out.min() <= out.max() <= 1


# Hard cases from the photo benchmark's renderer (benchmarks/photo_corpus.py), on real MNIST
# test digits: to_mnist must give back the digit that was photographed.

@pytest.fixture(scope="module")
def mnist_test():
    from explorer.data import load_split

    split = load_split("mnist", False)
    return split.images[:, 0].numpy(), split.labels.numpy()


def similarity(a, b):
    """Correlation of two 28x28 images: 1 for the same digit drawn alike, ~0.3 for different digits."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def photo_of(mnist_test, index, condition, seed, **pins):
    from benchmarks.photo_corpus import render

    images, labels = mnist_test
    return render(images[index], labels[index], condition, seed, **pins), images[index] / 255.0


@pytest.mark.parametrize("condition, pins", [
    ("ruled", {"ink": "blue"}),
    ("squared", {"ink": "red"}),
    ("margin", {"ink": "black"}),
    ("shadow", {"shadow": "hard"}),
    ("phone", {"ink": "pencil"}),
])
def test_photo_on_notebook_paper_gives_back_the_digit(mnist_test, condition, pins):
    for index, seed in ((0, 1), (3, 2), (11, 3)):  # a 7, a 0 and a 6
        photo, original = photo_of(mnist_test, index, condition, seed, **pins)
        out = to_mnist(photo.jpeg)
        check_mnist_like(out)
        # Ruled lines, a margin or a shadow's edge taken for ink would add streaks that
        # the original does not have, and shrink the digit inside the 20x20 box.
        assert similarity(out, original) > 0.6, (condition, index)


@pytest.mark.parametrize("condition", ["thin_pen", "thick_pen", "plain", "small"])
def test_stroke_width_is_mnists(mnist_test, condition):
    images, _ = mnist_test
    for index, seed in ((1, 5), (4, 6)):
        photo, original = photo_of(mnist_test, index, condition, seed)
        width = stroke_width(to_mnist(photo.jpeg) > 0.5)
        # MNIST's own test digits: 5th-95th percentile 2.0-4.2 by the same measure.
        assert MNIST_STROKE_MIN - 0.3 <= width <= MNIST_STROKE_MAX + 0.6, (condition, width)


def test_stroke_width_measures_mnist():
    for width in (1, 3, 5):
        bar = np.zeros((28, 28), bool)
        bar[4:24, 10:10 + width] = True
        # The pixels across the stroke plus one: a pixel on the edge is at distance 1.
        assert stroke_width(bar) == pytest.approx(width + 1, abs=0.5)
    assert stroke_width(np.zeros((5, 5), bool)) == 0


def two_digits_page(mnist_test, big_index, small_index):
    images, _ = mnist_test
    page = Image.new("L", (900, 600), 235)
    big = Image.fromarray(255 - images[big_index]).resize((420, 420), Image.Resampling.BICUBIC)
    small = Image.fromarray(255 - images[small_index]).resize((220, 220), Image.Resampling.BICUBIC)
    page.paste(big, (40, 90))
    page.paste(small, (600, 200))
    return page


def test_two_digits_use_the_largest_and_say_so(mnist_test):
    images, _ = mnist_test
    result = to_mnist_with_notes(two_digits_page(mnist_test, 0, 1))  # a big 7, a smaller 2
    assert len(result.notes) == 1 and "2 separate marks" in result.notes[0] and "largest" in result.notes[0]
    alone = images[0] / 255.0
    assert similarity(result.image, alone) > similarity(result.image, images[1] / 255.0) + 0.2
    np.testing.assert_array_equal(to_mnist(two_digits_page(mnist_test, 0, 1)), result.image)


def test_one_digit_has_no_note():
    assert to_mnist_with_notes(drawn_seven()).notes == ()


def test_page_with_only_ruled_lines_has_no_digit(mnist_test):
    from benchmarks.photo_corpus import render

    blank = np.zeros((28, 28), np.uint8)
    blank[14, 14] = 1  # a digit too faint to draw: the page is just ruled paper
    photo = render(blank, 0, "ruled", 4)
    with pytest.raises(ImageError, match="No digit found"):
        to_mnist(photo.jpeg)


def test_phone_photo_is_decoded_small():
    # A 12-megapixel JPEG is decoded at a fraction of its size (libjpeg's draft mode).
    buf = io.BytesIO()
    drawn_seven((3000, 4000), width=120).convert("RGB").save(buf, "JPEG", quality=90)
    image = open_image(buf.getvalue(), draft_side=DETAIL_SIDE)
    assert max(image.size) == DETAIL_SIDE
    check_mnist_like(to_mnist(buf.getvalue()))
