"""The strided backward pass: the kernel over dilated deltas (in backward)."""

from .backward import StridedBackward, strided_backward

__all__ = ["StridedBackward", "strided_backward"]
