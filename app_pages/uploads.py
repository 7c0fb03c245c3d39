"""The one path every uploaded or drawn image takes on the Denoise and Super-resolution pages:
checks, `to_mnist`, a label that tells same-named files apart, and its note."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import streamlit as st

from app_pages import ui

# explorer.preprocess is imported where an image is converted: it loads scipy.ndimage, about
# 0.8 s on the 2-core machine, which would otherwise delay the first content of the pages
# that import this module even when nobody uploads anything.


@dataclass(frozen=True)
class Upload:
    label: str  # shown above the result: the file name, with "(2)", "(3)"... when names repeat
    stem: str  # the file name without its extension: downloads are `<stem>-denoised.png`
    image: np.ndarray  # (28, 28) floats in [0, 1], as the model receives it
    note: str | None = None  # what preprocessing wants the person to know, or None
    index: int = 0  # position in the upload list: unique, so widget keys never collide


def convert(data: bytes) -> tuple[np.ndarray, str | None]:
    """`to_mnist`'s image and what preprocessing wants the person to know (e.g. that the photo
    held two digit-sized marks and the largest was used); `show_note` puts it under the image."""
    from explorer.preprocess import to_mnist_with_notes

    result = to_mnist_with_notes(data)
    return result.image, " ".join(result.notes) or None


def read(files) -> list[Upload]:
    """Convert each upload; a bad file gets a clear message on the page and is skipped.
    A phone calls every photo `image.jpg`: files with the same name all show, numbered."""
    if not files:
        return []
    from explorer.preprocess import ImageError

    uploads, seen = [], {}
    for index, f in enumerate(files or []):
        data = f.getvalue()
        if len(data) > ui.MAX_UPLOAD_BYTES:
            st.error(f"**{f.name}**: the file is {len(data) / 1e6:.0f} MB; the limit is {ui.MAX_UPLOAD_MB} MB.")
            continue
        try:
            image, note = convert(data)
        except ImageError as exc:
            st.error(f"**{f.name}**: {exc}", icon=":material/broken_image:")
            continue
        seen[f.name] = seen.get(f.name, 0) + 1
        label = f.name if seen[f.name] == 1 else f"{f.name} ({seen[f.name]})"
        uploads.append(Upload(label, PurePath(f.name).stem or "image", image, note, index))
    return uploads


def show_note(upload: Upload) -> None:
    if upload.note:
        st.caption(f":material/info: {upload.note}")


class Named:
    """Lets a drawing go through the same path as an uploaded file."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data
