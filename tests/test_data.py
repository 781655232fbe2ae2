"""fer_core.fer2013 reads FER2013 as CSV, as the image-folder release and as our .npz: same arrays."""

import numpy as np
import pytest
from support import tiny_fer2013, write_csv, write_folders

from fer_core.fer2013 import DatasetError, load_fer2013
from fer_core.labels import EMOTIONS


def canonical(dataset):
    order = sorted(range(len(dataset.y)), key=lambda i: (dataset.usage[i], dataset.y[i], dataset.x[i].tobytes()))
    return dataset.x[order], dataset.y[order], dataset.usage[order]


@pytest.fixture(scope="module")
def tiny():
    return tiny_fer2013()


def test_three_formats_give_the_same_arrays(tiny, tmp_path):
    np.savez(tmp_path / "fer2013.npz", **tiny)
    loaded = [load_fer2013(tmp_path / "fer2013.npz"), load_fer2013(write_csv(tiny, tmp_path / "fer2013.csv")),
              load_fer2013(write_folders(tiny, tmp_path / "images"))]
    reference = canonical(loaded[0])
    assert reference[0].shape == (126, 48, 48) and reference[0].dtype == np.uint8
    for dataset in loaded[1:]:
        for a, b in zip(reference, canonical(dataset)):
            np.testing.assert_array_equal(a, b)
    counts = loaded[0].class_counts()
    assert counts["Training"] == {name: 6 for name in EMOTIONS}


def test_jpeg_folders_and_broken_images_are_skipped_and_counted(tiny, tmp_path):
    root = write_folders(tiny, tmp_path, ext="jpg")
    (root / "train" / "happy" / "Training_broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "train" / "happy" / ".DS_Store").write_bytes(b"junk")
    data = load_fer2013(root)
    assert data.skipped == 1 and len(data.y) == 126
    for label in range(len(EMOTIONS)):  # within a class folder, files keep their order
        x = data.x[(data.usage == "Training") & (data.y == label)]
        expected = tiny["x"][(tiny["usage"] == "Training") & (tiny["y"] == label)]
        assert np.abs(x.astype(int) - expected).mean() < 5  # JPEG is lossy


def test_clear_errors(tiny, tmp_path):
    with pytest.raises(DatasetError, match="no dataset at"):
        load_fer2013(tmp_path / "nowhere.csv")
    bad_columns = tmp_path / "bad.csv"
    bad_columns.write_text("label,image\n1,2 3\n")
    with pytest.raises(DatasetError, match="expected the columns emotion, pixels, Usage"):
        load_fer2013(bad_columns)
    short_row = tmp_path / "short.csv"
    short_row.write_text("emotion,pixels,Usage\n1,2 3 4,Training\n")
    with pytest.raises(DatasetError, match="row 2: 3 pixels"):
        load_fer2013(short_row)
    (tmp_path / "imgs" / "train" / "contempt").mkdir(parents=True)
    with pytest.raises(DatasetError, match="unknown class folder"):
        load_fer2013(tmp_path / "imgs")
    with pytest.raises(DatasetError, match="neither train/ nor test/"):
        load_fer2013(tmp_path / "imgs" / "train")
    with pytest.raises(DatasetError, match="unknown split"):
        load_fer2013(write_csv(tiny, tmp_path / "ok.csv")).split("Validation")
    not_npz = tmp_path / "fer2013.npz"
    not_npz.write_bytes(b"not a dataset")
    with pytest.raises(DatasetError, match="is not a readable .npz file"):
        load_fer2013(not_npz)
    cut_short = tmp_path / "cut.npz"
    np.savez(cut_short, **tiny)
    cut_short.write_bytes(cut_short.read_bytes()[:1000])
    with pytest.raises(DatasetError, match="is not a readable .npz file"):
        load_fer2013(cut_short)
    one_array = tmp_path / "one.npz"
    np.save(one_array.with_suffix(".npy"), tiny["x"])
    one_array.write_bytes(one_array.with_suffix(".npy").read_bytes())
    with pytest.raises(DatasetError, match="holds one array"):
        load_fer2013(one_array)
