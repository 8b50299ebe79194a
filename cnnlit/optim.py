"""The optimiser: stochastic gradient descent with momentum and weight decay.

Used in the chapter "Training on digits". It reads every layer's parameters
and gradients by name (``layer.params``, ``layer.grads``) at each step and
keeps its velocities by (layer, name), so a parameter replaced by assignment
(``layer.w = array``) is trained from then on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_real
from .network import Layer, Network

__all__ = ["SGD"]


class SGD:
    r"""Stochastic gradient descent with (heavy-ball) momentum.

    v <- mu v - lr (grad E + lambda theta),  theta <- theta + v

    Parameters
    ----------
    lr : float
        Learning rate, finite and > 0 (may be changed between steps, e.g. by
        a schedule; it is checked again then).
    momentum : float
        mu in [0, 1); 0 is plain gradient descent.
    weight_decay : float
        lambda >= 0, finite: the gradient of lambda/2 ||w||^2 is added for the
        parameters named in ``DECAYED`` (the weights ``"w"``, not the
        biases); 0 turns it off.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlit.network import Dense, Network
    >>> net = Network([Dense(2, 1, rng=0)])
    >>> layer = net.layers[0]
    >>> layer.w = [[1.0, 2.0]]
    >>> layer.dE_dw[...] = [[0.5, -0.5]]
    >>> SGD(lr=0.1).step(net)
    >>> layer.w
    array([[0.95, 2.05]])
    """

    DECAYED = ("w",)

    def __init__(
        self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        self.lr = lr
        self.momentum = check_real(
            momentum, "momentum", low=0, high=1, high_open=True
        )
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0)
        # (layer, name) -> v, shaped like the parameter
        self._velocity: dict[tuple[Layer, str], np.ndarray[Any, Any]] = {}

    @property
    def lr(self) -> float:
        """float: the learning rate of the next step."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_real(value, "lr", low=0, low_open=True)

    def step(self, network: Network) -> None:
        """Update ``network``'s parameters in place from its layers' gradients.

        Parameters
        ----------
        network : Network
        """
        if not isinstance(network, Network):
            raise TypeError(
                f"network must be a Network, got {type(network).__name__}"
            )
        for layer in network.layers:
            grads = layer.grads
            for name, p in layer.params.items():
                g = grads[name]
                if self.weight_decay and name in self.DECAYED:
                    g = g + self.weight_decay * p
                if self.momentum:
                    v = self._velocity.get((layer, name))
                    if v is None:
                        v = self._velocity[(layer, name)] = np.zeros_like(p)
                    v *= self.momentum
                    v -= self._lr * g
                    p += v
                else:
                    p -= self._lr * g
