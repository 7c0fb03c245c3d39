"""Photos of handwritten digits: does `to_mnist` turn them back into readable MNIST digits?

The corpus (benchmarks/photo_corpus.py) renders MNIST *test* digits as seeded phone photos
under one hard condition each. Every photo goes through `to_mnist` as JPEG bytes, exactly
as an upload would, and two classifiers trained on MNIST's training set read the result:
a 5-NN on raw pixels (the judge that cares most about strokes, width and placement) and the
small CNN of explorer/classifier.py, as shipped in pretrained/mnist/classifier/. Beside them,
the same classifiers on the original 28x28 test digits that were rendered: the accuracy a
perfect preprocessing would reach.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.photo_corpus import CONDITIONS, corpus
from explorer.classifier import (ClassifierTrainConfig, DigitClassifier, load_classifier, save_classifier,
                                 train_classifier)
from explorer.data import Split
from explorer.preprocess import ImageError, stroke_width, to_mnist
from explorer.shipped import CLASSIFIER, classifier_dir, read_card

TARGET = 0.95  # accuracy every condition should reach after to_mnist
TARGET_PLAIN = 0.97
TARGET_SECONDS_12MP = 0.2


def classifier(train: Split, cache: Path, quick: bool) -> tuple[DigitClassifier, float | None]:
    """The shipped CNN (`python train_all.py --models classifier`, its card's training seconds);
    the quick run's, on its few images, trained once with a fixed seed and cached (seconds is
    None when loaded)."""
    if not quick and (classifier_dir() / "model.safetensors").is_file():
        return load_classifier(classifier_dir()), read_card(CLASSIFIER)["seconds"]
    if (cache / "model.safetensors").is_file():
        return load_classifier(cache), None
    config = ClassifierTrainConfig(epochs=1) if quick else ClassifierTrainConfig()
    result = train_classifier(train, config)
    save_classifier(result.model, cache)
    return result.model, result.seconds


def contact_sheet(rows: list[tuple[bytes, np.ndarray | None]], path: Path, per_row: int = 6) -> None:
    """Photos beside what to_mnist made of them (red where it refused), as a PNG."""
    import io

    tile = 96
    cols = per_row * 2
    sheet = Image.new("RGB", (cols * tile, -(-len(rows) // per_row) * tile), "gray")
    for k, (jpeg, out) in enumerate(rows):
        photo = Image.open(io.BytesIO(jpeg)).convert("RGB")
        photo.thumbnail((tile, tile))
        if out is None:
            result = Image.new("RGB", (tile, tile), (160, 0, 0))
        else:
            result = Image.fromarray((out * 255).astype(np.uint8)).resize((tile, tile), Image.Resampling.NEAREST)
        x, y = (k % per_row) * 2 * tile, (k // per_row) * tile
        sheet.paste(photo, (x, y))
        sheet.paste(result.convert("RGB"), (x + tile, y))
    sheet.save(path, optimize=True)


def timing(wall: np.ndarray, cpu: np.ndarray) -> dict:
    return {"median": float(np.median(wall)), "p95": float(np.percentile(wall, 95)), "max": float(wall.max()),
            "cpu_median": float(np.median(cpu)), "cpu_p95": float(np.percentile(cpu, 95))}


def run(train: Split, test: Split, per_condition: int, cache: Path, sheet_path: Path | None = None,
        seed: int = 0, progress: bool = True) -> dict:
    from sklearn.neighbors import KNeighborsClassifier

    torch.manual_seed(seed)
    cnn, train_seconds = classifier(train, cache, quick=len(train) < 60_000)
    knn = KNeighborsClassifier(n_neighbors=5, n_jobs=-1).fit(train.floats.flatten(1).numpy(), train.labels.numpy())
    images, labels = test.images[:, 0].numpy(), test.labels.numpy()

    index, label, condition, outputs, seconds, cpu_seconds, sizes, samples = [], [], [], [], [], [], [], []
    refused = 0
    shown = {}
    for n, (i, photo) in enumerate(corpus(images, labels, per_condition, seed)):
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            out = to_mnist(photo.jpeg)
        except ImageError:
            out, refused = None, refused + 1
        seconds.append(time.perf_counter() - start)
        # CPU time too: on a shared machine the wall clock also counts other people's work.
        cpu_seconds.append(time.process_time() - cpu_start)
        index.append(i)
        label.append(photo.label)
        condition.append(photo.condition)
        sizes.append(photo.size[0] * photo.size[1])
        outputs.append(np.zeros((28, 28), np.float32) if out is None else out)
        if shown.get(photo.condition, 0) < 2:  # two of each condition on the contact sheet
            shown[photo.condition] = shown.get(photo.condition, 0) + 1
            samples.append((photo.jpeg, out))
        if progress and (n + 1) % 100 == 0:
            print(f"photos: {n + 1} processed", flush=True)

    index, label, condition = np.asarray(index), np.asarray(label), np.asarray(condition)
    seconds, cpu_seconds, sizes = np.asarray(seconds), np.asarray(cpu_seconds), np.asarray(sizes)
    prepped = torch.from_numpy(np.stack(outputs)).unsqueeze(1)  # (N, 1, 28, 28)
    originals = test.floats[torch.from_numpy(index)]
    pred = {
        "knn": knn.predict(prepped.flatten(1).numpy()),
        "cnn": cnn.predict(prepped).numpy(),
        "knn_original": knn.predict(originals.flatten(1).numpy()),
        "cnn_original": cnn.predict(originals).numpy(),
    }

    def accuracies(rows: np.ndarray) -> dict:
        return {k: float((p[rows] == label[rows]).mean()) for k, p in pred.items()}

    per_condition_rows = {c: {"images": int((condition == c).sum()), **accuracies(condition == c),
                              "median_seconds": float(np.median(seconds[condition == c]))}
                          for c in CONDITIONS if (condition == c).any()}
    big = sizes >= 12_000_000
    widths = [stroke_width(o > 0.5) for o in outputs if o.any()]
    if sheet_path is not None:
        contact_sheet(samples, sheet_path)
    return {
        "images": int(len(label)), "per_condition": per_condition, "seed": seed, "refused": int(refused),
        "overall": accuracies(np.ones(len(label), bool)),
        "conditions": per_condition_rows,
        "test_set": {"knn": float((knn.predict(test.floats.flatten(1).numpy()) == labels).mean()),
                     "cnn": float((cnn.predict(test.floats).numpy() == labels).mean())},
        "cnn_parameters": sum(p.numel() for p in cnn.parameters()),
        "cnn_train_seconds": train_seconds,
        "seconds_per_image": timing(seconds, cpu_seconds),
        "seconds_per_12mp_image": {**timing(seconds[big], cpu_seconds[big]), "images": int(big.sum())} if big.any() else None,
        "stroke_width": {"p25": float(np.percentile(widths, 25)), "median": float(np.median(widths)),
                         "p75": float(np.percentile(widths, 75))},
        "targets": {"every_condition": TARGET, "plain": TARGET_PLAIN, "seconds_12mp": TARGET_SECONDS_12MP},
    }


def refused_sentence(refused: int) -> str:
    if refused == 0:
        return "No photo was refused."
    return f"{refused} photo{'s were' if refused > 1 else ' was'} refused as having no digit."


def markdown(r: dict) -> list[str]:
    s = ["## Photos of handwritten digits\n",
         f"{r['images']} seeded photo-like renderings of MNIST test digits ({r['per_condition']} per condition, "
         "benchmarks/photo_corpus.py), each sent through `to_mnist` as JPEG bytes. Accuracy of a 5-NN on MNIST "
         f"pixels and of the small CNN (explorer/classifier.py, {r['cnn_parameters']:,} parameters; MNIST test "
         f"accuracy {r['test_set']['cnn']:.4f}, 5-NN {r['test_set']['knn']:.4f}) on the result, beside the same "
         f"classifiers on the original test digits. Targets: {r['targets']['every_condition']} in every condition, "
         f"{r['targets']['plain']} on plain paper. ![photos and what to_mnist made of them](photos_samples.png)\n",
         "| condition | images | k-NN after to_mnist | k-NN original | CNN after to_mnist | CNN original | median s |",
         "|---|---|---|---|---|---|---|"]
    rows = list(r["conditions"].items()) + [("**overall**", {"images": r["images"], **r["overall"],
                                                             "median_seconds": r["seconds_per_image"]["median"]})]
    for name, c in rows:
        s.append(f"| {name} | {c['images']} | **{c['knn']:.3f}** | {c['knn_original']:.3f} | **{c['cnn']:.3f}** | "
                 f"{c['cnn_original']:.3f} | {c['median_seconds']:.3f} |")
    t = r["seconds_per_12mp_image"]
    a = r["seconds_per_image"]
    s.append(f"\nTime per photo, JPEG bytes to 28x28, wall clock (CPU time of the process): median "
             f"{a['median'] * 1000:.0f} ms ({a['cpu_median'] * 1000:.0f} ms), p95 {a['p95'] * 1000:.0f} ms "
             f"({a['cpu_p95'] * 1000:.0f} ms)" + (
                 f"; per 12-megapixel (3000x4000) photo: median **{t['median'] * 1000:.0f} ms** "
                 f"({t['cpu_median'] * 1000:.0f} ms), p95 {t['p95'] * 1000:.0f} ms ({t['cpu_p95'] * 1000:.0f} ms), "
                 f"max {t['max'] * 1000:.0f} ms over {t['images']} photos (target {r['targets']['seconds_12mp']} s)"
                 if t else "") + ". "
             f"Stroke width of the results (`stroke_width`, pixels at 28x28): median {r['stroke_width']['median']:.2f}, "
             f"middle half {r['stroke_width']['p25']:.2f}-{r['stroke_width']['p75']:.2f} (MNIST test: 2.2-3.4, "
             f"median 2.6). {refused_sentence(r['refused'])}\n")
    return s
