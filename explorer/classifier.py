"""A small convolutional digit classifier: reads a 28x28 MNIST-style image, says which digit.

It judges whether a picture still *reads* as its digit (the photo benchmark scores
`to_mnist`'s output with it) and can later label what the app's models produce. Two 3x3
conv blocks and a small linear head, 105,914 parameters (0.42 MB as float32): the recipe of
the classic "MNIST CNN" examples (pytorch/examples `mnist/main.py`), slimmed so it trains
fast, with batch norm and a one-cycle schedule to converge in few epochs. A train step on a
batch of 128 costs 0.1-0.3 s of CPU, so three epochs (1,407 steps) take a few minutes on
a 2-core CPU; two epochs stayed under 99% test accuracy (98.9%), three reach it.

`python train_all.py --models classifier` ships it as `pretrained/<dataset>/classifier/`
(float16 weights, its card with the test accuracy) and `explorer/export.py` writes its
`classifier.onnx` (probabilities out), which the app's latent explorer runs to colour the
plane by the digit each decode reads as. Weights are saved as `model.safetensors` with
`config.json` beside them and rebuilt with `DigitClassifier(**config)`; nothing is unpickled.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

from explorer.atomic import replace_atomically
from explorer.data import Split


@dataclass(frozen=True)
class ClassifierConfig:
    channels: tuple[int, int] = (16, 32)  # conv block widths
    hidden: int = 64  # width of the linear layer before the 10 logits


@dataclass(frozen=True)
class ClassifierTrainConfig:
    epochs: int = 3  # few passes: the one-cycle schedule converges fast
    batch_size: int = 128
    lr: float = 3e-3  # one-cycle peak learning rate (AdamW)
    seed: int = 0
    shift: int = 2  # random translation in pixels: MNIST test digits are not perfectly centred


class DigitClassifier(nn.Module):
    def __init__(self, channels: tuple[int, int] = (16, 32), hidden: int = 64):
        super().__init__()
        self.config = ClassifierConfig(tuple(channels), hidden)
        c1, c2 = channels

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                                 nn.ReLU(inplace=True), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(1, c1), block(c1, c2))  # (B, c2, 7, 7)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c2 * 7 * 7, hidden), nn.ReLU(inplace=True),
                                  nn.Dropout(0.25), nn.Linear(hidden, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) floats in [0, 1] -> (B, 10) logits."""
        return self.head(self.features(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """(B, 1, 28, 28) or (B, 28, 28) in [0, 1] -> (B,) predicted digits, in eval mode."""
        was_training = self.training
        self.eval()
        x = torch.as_tensor(x, dtype=torch.float32)
        x = x.view(-1, 1, 28, 28)
        device = next(self.parameters()).device
        out = torch.cat([self(x[i:i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)])
        self.train(was_training)
        return out


@dataclass(frozen=True)
class ClassifierResult:
    model: DigitClassifier
    seconds: float
    final_loss: float


def random_shift(x: torch.Tensor, pixels: int, generator: torch.Generator) -> torch.Tensor:
    """Shift the whole batch by one random (dy, dx) within +-pixels; cheap augmentation."""
    if pixels <= 0:
        return x
    dy, dx = torch.randint(-pixels, pixels + 1, (2,), generator=generator).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def train_classifier(train: Split, config: ClassifierTrainConfig = ClassifierTrainConfig(),
                     model_config: ClassifierConfig = ClassifierConfig(),
                     device: torch.device | str = "cpu") -> ClassifierResult:
    """Fit a fresh DigitClassifier on `train` (uint8 images) with a fixed seed."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = DigitClassifier(**asdict(model_config)).to(device)
    images, labels = train.floats, train.labels
    steps_per_epoch = max(1, (len(labels) + config.batch_size - 1) // config.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr,
                                                   total_steps=steps_per_epoch * config.epochs)
    start = time.perf_counter()
    model.train()
    loss = torch.zeros(())
    for _ in range(config.epochs):
        order = torch.randperm(len(labels), generator=generator)
        for i in range(0, len(order), config.batch_size):
            idx = order[i:i + config.batch_size]
            x = random_shift(images[idx], config.shift, generator).to(device)
            loss = F.cross_entropy(model(x), labels[idx].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    return ClassifierResult(model.cpu(), time.perf_counter() - start, float(loss.detach()))


def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    return float((model.predict(images) == torch.as_tensor(labels)).float().mean())


def save_classifier(model: DigitClassifier, folder: Path, card: dict | None = None,
                    dtype: torch.dtype | None = None) -> None:
    """Write `model.safetensors` and `config.json` (and `card.json` when given) as a new folder
    swapped in whole; `dtype` (torch.float16 for the shipped one) stores floating tensors smaller."""
    with replace_atomically(Path(folder), folder=True) as tmp:
        state = {k: v.detach().cpu().to(dtype if dtype and v.is_floating_point() else v.dtype).contiguous()
                 for k, v in model.state_dict().items()}
        save_file(state, str(tmp / "model.safetensors"))
        (tmp / "model.safetensors").chmod(0o644)  # safetensors writes 0600; the app may run as another user
        (tmp / "config.json").write_text(json.dumps(asdict(model.config), indent=2) + "\n")
        if card is not None:
            (tmp / "card.json").write_text(json.dumps(card, indent=2) + "\n")


def load_classifier(folder: Path, device: torch.device | str = "cpu") -> DigitClassifier:
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    model = DigitClassifier(**config)
    # Shipped weights are float16: load_state_dict copies them into the float32 parameters.
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    return model.to(device).eval()
