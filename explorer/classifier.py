"""A small convolutional digit classifier: reads a 28x28 MNIST-style image, says which digit.

It judges whether a picture still *reads* as its digit (the photo benchmark scores
`to_mnist`'s output with it) and labels what the app's models decode. Two stride-2 conv
blocks (5x5, then 3x3) and a small linear head, 106,170 parameters (213 KB as float16): the
classic "MNIST CNN" (pytorch/examples `mnist/main.py`) slimmed to train fast, with batch norm
and a one-cycle schedule to converge in few epochs.

Speed on the 2-core CPU, measured with throwaway scripts on a machine shared with other jobs:
the first version (3x3 convolutions at full resolution, then max-pooling) cost 86 ms a step
of 128 on one thread, and three epochs took 11 minutes on two threads while other jobs ran;
stride-2 convolutions, channels-last and one thread bring a step to ~20 ms, so four epochs
take under a minute. Four, because three stayed just under 99% test accuracy (98.95%).

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
from explorer.quantize import stored_state
from explorer.train import keep_freed_memory


@dataclass(frozen=True)
class ClassifierConfig:
    channels: tuple[int, int] = (16, 32)  # conv block widths: 28 -> 14 -> 7 pixels
    hidden: int = 64  # width of the linear layer before the 10 logits


@dataclass(frozen=True)
class ClassifierTrainConfig:
    epochs: int = 4  # few passes: the one-cycle schedule converges fast (3 gave 98.95% on the test set)
    batch_size: int = 128
    lr: float = 3e-3  # one-cycle peak learning rate (AdamW)
    seed: int = 0
    shift: int = 2  # random translation in pixels: MNIST test digits are not perfectly centred


class DigitClassifier(nn.Module):
    def __init__(self, channels: tuple[int, int] = (16, 32), hidden: int = 64):
        super().__init__()
        self.config = ClassifierConfig(tuple(channels), hidden)
        c1, c2 = channels

        def block(cin: int, cout: int, kernel: int) -> nn.Sequential:
            # Stride 2, not a full-resolution convolution and a max-pool: a quarter of the work.
            return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride=2, padding=kernel // 2, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.features = nn.Sequential(block(1, c1, 5), block(c1, c2, 3))  # (B, c2, 7, 7)
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
    model = DigitClassifier(**asdict(model_config)).to(device, memory_format=torch.channels_last)
    keep_freed_memory()  # as explorer/train.py's loop: no page faults for each step's buffers
    # One thread: the steps of so small a net are too short to share between two cores (86 ms
    # a step on one thread, 150-350 ms on two while other jobs ran).
    threads = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    images, labels = train.floats, train.labels
    steps_per_epoch = max(1, (len(labels) + config.batch_size - 1) // config.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr,
                                                   total_steps=steps_per_epoch * config.epochs)
    start = time.perf_counter()
    model.train()
    loss = torch.zeros(())
    try:
        for _ in range(config.epochs):
            order = torch.randperm(len(labels), generator=generator)
            for i in range(0, len(order), config.batch_size):
                idx = order[i:i + config.batch_size]
                x = random_shift(images[idx], config.shift, generator).to(device)
                x = x.contiguous(memory_format=torch.channels_last)
                loss = F.cross_entropy(model(x), labels[idx].to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    return ClassifierResult(model.cpu(), time.perf_counter() - start, float(loss.detach()))


def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    return float((model.predict(images) == torch.as_tensor(labels)).float().mean())


def save_classifier(model: DigitClassifier, folder: Path, card: dict | None = None,
                    dtype: torch.dtype | None = None) -> None:
    """Write `model.safetensors` and `config.json` (and `card.json` when given) as a new folder
    swapped in whole; `dtype` (torch.float16 for the shipped one) stores the parameters smaller.
    Buffers (BatchNorm's running statistics) stay float32, as in every release (`stored_state`)."""
    with replace_atomically(Path(folder), folder=True) as tmp:
        save_file(stored_state(model, dtype), str(tmp / "model.safetensors"))
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
