"""Autoencoder Latent Explorer: every autoencoder of the lesson, trained on MNIST.

    from explorer import list_pretrained, load_pretrained
"""

from explorer.pretrained import list_pretrained, load_pretrained

__all__ = ["list_pretrained", "load_pretrained"]
