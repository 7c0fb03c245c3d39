import pytest
import torch

from explorer.data import Split


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def tiny_split():
    """64 blobby fake digits: enough for shapes, losses and a few optimisation steps."""
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(64, 1, 28, 28, generator=g) > 0.8).to(torch.uint8) * 255
    labels = torch.randint(0, 10, (64,), generator=g)
    return Split(images, labels)
