"""Pictures of the book (see :mod:`cnnlit.plot`)."""

__all__ = []
