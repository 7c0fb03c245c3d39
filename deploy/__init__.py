"""Serving the app to a classroom: several processes behind nginx (see serve.py)."""
