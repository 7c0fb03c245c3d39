"""Autoencoder Latent Explorer: every autoencoder of the lesson, trained on MNIST.

    from explorer import list_pretrained, load_pretrained

The two names are loaded on first use (PEP 562 module `__getattr__`): they need PyTorch,
and the app's server imports `explorer.onnx_models`, which must not pull it in.
"""

__all__ = ["list_pretrained", "load_pretrained"]


def __getattr__(name: str):
    if name in __all__:
        from explorer import pretrained

        return getattr(pretrained, name)
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
