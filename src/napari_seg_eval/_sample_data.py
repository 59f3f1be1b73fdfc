"""Synthetic nuclei: an image, a model's probability map with real mistakes, and ground truth.

Generated deterministically, with no download. The probability map has soft edges and five
kinds of mistakes a reviewer should find: two missed nuclei (probability below 0.5), two pairs
of touching nuclei merged, one nucleus split in two, debris taken for nuclei (six small false
objects at threshold 0.5), and one nucleus the model is unsure about (probability just above
0.5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage import draw

SHAPE = (256, 256)


def make_sample_data(seed: int = 0) -> dict[str, np.ndarray]:
    """Return ``{"image", "probability", "ground_truth"}`` for a 256 x 256 field of nuclei.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same data.

    Returns
    -------
    dict of str to numpy.ndarray
        ``image``: float32 fluorescence-like intensity; ``probability``: float32 in [0, 1];
        ``ground_truth``: uint16 instance labels (0 = background).

    Examples
    --------
    >>> from napari_seg_eval import make_sample_data
    >>> data = make_sample_data()
    >>> data["ground_truth"].shape, data["ground_truth"].dtype.name
    ((256, 256), 'uint16')
    >>> bool(0 <= data["probability"].min() and data["probability"].max() <= 1)
    True
    """
    rng = np.random.default_rng(seed)
    truth = np.zeros(SHAPE, np.uint16)
    centres = _grid_centres(rng)
    for label, (row, col) in enumerate(centres, start=1):
        radii = rng.uniform(7, 11, 2)
        rr, cc = draw.ellipse(row, col, *radii, shape=SHAPE, rotation=rng.uniform(0, np.pi))
        free = truth[rr, cc] == 0
        truth[rr[free], cc[free]] = label
    # Two pairs of nuclei that touch: the hardest case for thresholding.
    for label, (row, col) in enumerate([(40, 200), (40, 217), (210, 60), (210, 77)], start=100):
        rr, cc = draw.ellipse(row, col, 9, 9, shape=SHAPE)
        truth[rr, cc] = label

    foreground = truth > 0
    image = 0.15 + 0.6 * ndi.gaussian_filter(foreground.astype(np.float32), 1.5)
    image += 0.1 * ndi.gaussian_filter(rng.normal(size=SHAPE).astype(np.float32), 3)
    image += rng.normal(scale=0.04, size=SHAPE).astype(np.float32)

    # Evidence for "nucleus": high inside objects, a dip on the boundary between touching ones.
    boundaries = _touching_boundaries(truth)
    evidence = np.where(foreground, 4.0, -4.0).astype(np.float32)
    evidence += 1.3 * ndi.gaussian_filter(rng.normal(size=SHAPE).astype(np.float32), 2) / 0.14
    evidence[boundaries] = -6.0
    labels = sorted(set(np.unique(truth)) - {0})
    missed, unsure, split = labels[3], labels[10], labels[17]
    evidence[truth == missed] = -1.0  # faint nucleus the model does not see
    evidence[truth == labels[25]] = -0.6
    evidence[truth == unsure] = 0.25  # barely above the threshold
    rows, cols = np.nonzero(truth == split)
    middle = int(np.median(cols))
    on_line = np.abs(cols - middle) <= 1
    evidence[rows[on_line], cols[on_line]] = -6.0
    evidence[(truth == 100) | (truth == 101)] = 4.0  # merge the first touching pair
    for row, col in [(128, 8), (250, 140)]:  # debris taken for nuclei
        rr, cc = draw.disk((row, col), 5, shape=SHAPE)
        evidence[rr, cc] = 3.0
        image[rr, cc] += 0.3
    evidence = ndi.gaussian_filter(evidence, 1.0)
    probability = 1.0 / (1.0 + np.exp(-evidence))
    return {
        "image": np.clip(image, 0, 1).astype(np.float32),
        "probability": probability.astype(np.float32),
        "ground_truth": truth,
    }


def _grid_centres(rng: np.random.Generator) -> list[tuple[float, float]]:
    """Jittered grid of nucleus centres, leaving the corners used by the touching pairs free."""
    centres = []
    for row in range(24, SHAPE[0] - 16, 32):
        for col in range(24, SHAPE[1] - 16, 32):
            if (row < 60 and col > 180) or (row > 190 and col < 95):
                continue
            centres.append((row + rng.uniform(-5, 5), col + rng.uniform(-5, 5)))
    return centres


def _touching_boundaries(labels: np.ndarray) -> np.ndarray:
    """Pixels of an object that touch a different object."""
    grown = ndi.grey_dilation(labels, size=3)
    return (labels > 0) & (grown != labels) & (grown > 0)


#: The folders :func:`write_sample_folders` writes, each with one file per image.
SAMPLE_FOLDERS = ("truth", "pred", "probabilities", "images")


def write_sample_folders(
    folder: str | Path, n_images: int = 4, *, threshold: float = 0.5
) -> dict[str, list[Path]]:
    """Write the sample data of ``n_images`` seeds as folders of TIFF files to try
    ``napari-seg-eval evaluate`` on.

    Image ``imgN.tif`` is :func:`make_sample_data` with seed N - 1 (``img1`` is the napari
    sample): ``truth/`` its ground truth (uint16 labels), ``probabilities/`` its probability
    map (float32), ``pred/`` the map's objects as labels (uint16: ``p > threshold``, labelled
    with ``connectivity=1, split_touching=True``, as the README does) and ``images/`` its
    image (float32).

    Parameters
    ----------
    folder : str or Path
        The folder to create (or an empty one): the four folders are written in it.
    n_images : int
        How many images, at least 1.
    threshold : float
        The probability above which ``pred/`` has objects.

    Returns
    -------
    dict of str to list of Path
        Each folder's name (``truth``, ``pred``, ``probabilities``, ``images``) -> its files.

    Raises
    ------
    FileExistsError
        ``folder`` is a file, or a folder that is not empty: nothing is written.
    ValueError
        ``n_images`` is less than 1.

    Examples
    --------
    >>> files = write_sample_folders("sample", n_images=2)  # doctest: +SKIP
    >>> [path.name for path in files["truth"]]  # doctest: +SKIP
    ['img1.tif', 'img2.tif']
    """
    import tifffile

    from .core.threshold import label_instances, threshold_probabilities

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        what = "a file" if not folder.is_dir() else "a folder that is not empty"
        raise FileExistsError(
            f"{folder} is {what}: give a new folder (or an empty one) for the sample folders."
        )
    if int(n_images) != n_images or n_images < 1:
        raise ValueError(f"n_images must be a whole number of at least 1, got {n_images!r}.")
    written: dict[str, list[Path]] = {name: [] for name in SAMPLE_FOLDERS}
    for name in SAMPLE_FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for number in range(1, int(n_images) + 1):
        data = make_sample_data(seed=number - 1)
        mask = threshold_probabilities(data["probability"], threshold)
        pred = label_instances(mask, connectivity=1, split_touching=True).astype(np.uint16)
        arrays = {
            "truth": data["ground_truth"],
            "pred": pred,
            "probabilities": data["probability"],
            "images": data["image"],
        }
        for name, array in arrays.items():
            path = folder / name / f"img{number}.tif"
            tifffile.imwrite(path, array)
            written[name].append(path)
    return written


def sample_data() -> list[tuple]:
    """npe2 sample-data contribution: the three layers, ready to review."""
    data = make_sample_data()
    return [
        (data["image"], {"name": "nuclei"}, "image"),
        (
            data["probability"],
            {
                "name": "nuclei probability",
                "contrast_limits": (0.0, 1.0),
                "opacity": 0.6,
                "blending": "additive",
                "colormap": "gray",
            },
            "image",
        ),
        (data["ground_truth"], {"name": "nuclei ground truth"}, "labels"),
    ]
