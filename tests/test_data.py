"""The data layer on small synthetic IDX files, and the offline MNIST materialisation."""

import gzip
import pickle

import numpy as np
import pytest
import torch

from explorer import data


def write_fake_dataset(root, name, n_train=20, n_test=10):
    folder = data.raw_folder(root, name)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for images_file, labels_file, n in [(data.RAW_FILES[0], data.RAW_FILES[1], n_train),
                                         (data.RAW_FILES[2], data.RAW_FILES[3], n_test)]:
        arrays[images_file] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[labels_file] = rng.integers(0, 10, n, dtype=np.uint8)
        data.write_idx_atomic(folder / images_file, arrays[images_file])
        data.write_idx_atomic(folder / labels_file, arrays[labels_file])
    return arrays


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "kmnist"])
def test_our_idx_files_load_the_same_here_and_in_torchvision(name, tmp_path):
    arrays = write_fake_dataset(tmp_path, name)
    train = data.load_split(name, True, tmp_path, download=False)
    test = data.load_split(name, False, tmp_path, download=False)
    assert train.images.shape == (20, 1, 28, 28) and train.images.dtype == torch.uint8
    assert test.labels.dtype == torch.int64 and len(test) == 10
    np.testing.assert_array_equal(train.images[:, 0].numpy(), arrays[data.RAW_FILES[0]])
    np.testing.assert_array_equal(test.labels.numpy(), arrays[data.RAW_FILES[3]])
    assert torch.equal(train.floats, train.images.float() / 255)
    for split, is_train in [(train, True), (test, False)]:
        reference = data.torchvision_dataset(name)(str(tmp_path), train=is_train, download=False)
        assert torch.equal(split.images[:, 0], reference.data) and torch.equal(split.labels, reference.targets)


@pytest.mark.parametrize("damage", ["truncate", "not_idx", "mismatch"])
def test_damaged_idx_files_are_reported(damage, tmp_path):
    write_fake_dataset(tmp_path, "mnist")
    folder = data.raw_folder(tmp_path, "mnist")
    images = folder / data.RAW_FILES[2]
    if damage == "truncate":
        images.write_bytes(images.read_bytes()[:-100])
    elif damage == "not_idx":
        images.write_text("<html>captive portal</html>")
    else:
        data.write_idx_atomic(folder / data.RAW_FILES[3], np.zeros(7, np.uint8))  # 10 images, 7 labels
    with pytest.raises(data.DataUnavailableError, match="IDX|truncated|do not fit"):
        data.load_split("mnist", False, tmp_path, download=False)


def test_offline_fashion_mnist_names_the_missing_files(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")
    monkeypatch.setattr(data.torchvision_dataset("fashion-mnist"), "download", no_network)
    with pytest.raises(data.DataUnavailableError) as err:
        data.load_split("fashion-mnist", True, tmp_path)
    message = str(err.value)
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert str(data.raw_folder(tmp_path, "fashion-mnist")) in message


def fake_hub_pickle(path):
    rng = np.random.default_rng(1)
    def part(n):
        return (rng.integers(0, 256, (n, 784)).astype(np.float32) / 256, rng.integers(0, 10, n).astype(np.int64))
    with gzip.open(path, "wb") as f:
        pickle.dump((part(6), part(4), part(5)), f)
    return path


def test_materialise_from_hub_is_exact(tmp_path):
    source = fake_hub_pickle(tmp_path / "mnist.pkl.gz")
    with gzip.open(source, "rb") as f:
        train, valid, test = pickle.load(f)
    folder = data.raw_folder(tmp_path / "root", "mnist")
    data.materialise_mnist_from_hub(folder, source, expected_sha256=data.sha256_of(source))
    split = data.load_split("mnist", True, tmp_path / "root", download=False)
    expected = np.concatenate([train[0], valid[0]]).reshape(-1, 28, 28) * 256
    np.testing.assert_array_equal(split.images[:, 0].numpy(), expected.astype(np.uint8))
    np.testing.assert_array_equal(split.labels.numpy(), np.concatenate([train[1], valid[1]]))
    assert len(data.load_split("mnist", False, tmp_path / "root", download=False)) == 5


def test_wrong_hash_refuses_and_writes_nothing(tmp_path):
    source = fake_hub_pickle(tmp_path / "mnist.pkl.gz")
    folder = tmp_path / "root" / "MNIST" / "raw"
    with pytest.raises(data.DataUnavailableError, match="refusing to unpickle"):
        data.materialise_mnist_from_hub(folder, source)  # the real hash will not match
    assert not folder.exists()


def test_real_mnist_is_the_standard_split():
    """The offline copy gives torchvision's MNIST: 60,000/10,000 with the known first labels."""
    train, test = data.load_split("mnist", True), data.load_split("mnist", False)
    reference = data.torchvision_dataset("mnist")(str(data.default_data_dir()), train=False, download=False)
    assert torch.equal(test.images[:, 0], reference.data) and torch.equal(test.labels, reference.targets)
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.labels[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    assert test.labels[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]
    assert int(train.images.max()) == 255 and torch.bincount(test.labels).tolist()[0] == 980


def test_unknown_dataset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset"):
        data.load_split("cifar", True, tmp_path)
