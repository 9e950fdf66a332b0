"""Reading a few rows of a sparse matrix fast: what every search does once per query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray


def weighted_rows(matrix: Any, rows: NDArray[Any], weights: NDArray[Any]) -> NDArray[Any]:
    """`weights @ matrix[rows]` of a CSR matrix, read straight from its arrays: scipy's row
    indexing validates and copies, ten times slower for the few rows a query has."""
    import numpy as np

    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(matrix.shape[1], dtype=np.float32)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
    found: NDArray[Any] = np.bincount(
        matrix.indices[offsets],
        weights=matrix.data[offsets] * np.repeat(weights, lengths),
        minlength=matrix.shape[1],
    ).astype(np.float32)
    return found
