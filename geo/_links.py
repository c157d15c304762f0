"""A small CSR-style list type shared by the network model and its compiled kernel (no numba here)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class Links(NamedTuple):
    """Per owner ``k``, items ``item[ptr[k]:ptr[k + 1]]`` with a cost in minutes each.

    Attributes
    ----------
    ptr : numpy.ndarray of int64, shape (n_owners + 1,)
    item : numpy.ndarray of int32
        Node or target indices.
    cost : numpy.ndarray of float64
        Minutes from the owner to each item.
    """

    ptr: npt.NDArray[np.int64]
    item: npt.NDArray[np.int32]
    cost: npt.NDArray[np.float64]
