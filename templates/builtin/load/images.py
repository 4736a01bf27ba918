# load/images (after load/csv): image files as numeric features of train_df and test_df. For each frame
# it finds the image folder (an image group of CONFIG["extra_files"], e.g. "train/*.png") and the column
# whose values name its files (file name or stem; folders named like the frame's role preferred, since
# ids may restart per split), decodes each row's image to a small square and adds: a grey thumbnail,
# per-channel means, deviations and histograms, HOG-like gradient-orientation histograms, and the
# original width, height and file size (columns "img_*", appended to KINDS["numeric"]). Pixels are
# decoded with PIL; without PIL, 8-bit PNG files are decoded with zlib and other formats give only their
# file size. Rows without an image get NaN; the tabular columns beside the images stay as they are.
# Each row's file is also kept in the IMAGE_PATH_COLUMN column (not a feature: FeatureSet.image_paths),
# and decode_image(path, side) serves image models (model/cnn) from IMAGE_CACHE, which holds the
# decodes done here.
IMAGE_PARAMS = dict(side={{side}}, thumb={{thumb}}, cells={{cells}}, orientations={{orientations}}, bins={{bins}})

try:
    from PIL import Image as _PILImage
    if os.environ.get("MLESTAR_IMAGES_NO_PIL"):  # tests of the fallback
        raise ImportError("PIL disabled by MLESTAR_IMAGES_NO_PIL")
except ImportError:
    _PILImage = None


def _image_groups():
    data_dir = CONFIG.get("data_dir", "./input")
    groups = {}
    for g in CONFIG.get("extra_files") or []:
        if g.get("kind") != "image":
            continue
        paths = sorted(glob.glob(os.path.join(data_dir, g["pattern"])))
        index, ambiguous = {}, set()
        for p in paths:  # keyed by every trailing part of its path, with and without the extension
            parts = os.path.relpath(p, data_dir).split(os.sep)
            for k in range(1, len(parts) + 1):
                tail = "/".join(parts[-k:])
                for key in (tail, os.path.splitext(tail)[0]):
                    if index.setdefault(key, p) != p:
                        ambiguous.add(key)  # e.g. cat/1.jpg and dog/1.jpg: "1" names neither
        for key in ambiguous:
            del index[key]
        if index:
            groups[g["pattern"]] = index
    return groups


def _key_text(v):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def _locate_images(df, role, groups):
    """(pattern, column) naming the files of most rows of df (at least half of a sample), or (None, None)."""
    keys = [c for c in dict.fromkeys(cfg_list("id_columns") + KINDS["id"] + list(df.columns)) if c in df.columns]
    other = "test" if role == "train" else "train"
    for preferred in (True, False):
        best = (0.0, None, None)
        for pattern, index in groups.items():
            words = set(re.split(r"[/_.\\*-]", pattern.lower()))
            if preferred and (role not in words or other in words):
                continue
            for key in keys:
                sample = df[key].dropna().head(50)
                if not len(sample):
                    continue
                share = sum(_key_text(v) in index for v in sample) / len(sample)
                if share > best[0]:
                    best = (share, pattern, key)
        if best[0] >= 0.5:
            return best[1], best[2]
    return None, None


def _png_pixels(path):
    """8-bit non-interlaced PNG -> (h, w, c) uint8 array with zlib alone; None otherwise."""
    import zlib
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, idat, w = 8, [], 0
    while pos + 8 <= len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if tag == b"IHDR":
            w, h, depth, ctype, interlace = (int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big"),
                                             body[8], body[9], body[12])
        elif tag == b"IDAT":
            idat.append(body)
        pos += 12 + n
    if not w or depth != 8 or interlace != 0 or ctype not in (0, 2, 3, 4, 6):
        return None
    c = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    stride = w * c
    rows = raw[:h * (stride + 1)].reshape(h, stride + 1)
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for r in range(h):
        f, line = rows[r, 0], rows[r, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:  # Sub, Average, Paeth depend on the left neighbour: byte by byte
            cur = np.zeros(stride, np.int32)
            for i in range(stride):
                a = cur[i - c] if i >= c else 0
                b = prev[i]
                if f == 1:
                    p = a
                elif f == 3:
                    p = (a + b) // 2
                else:
                    cc = prev[i - c] if i >= c else 0
                    pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                    p = a if pa <= pb and pa <= pc else b if pb <= pc else cc
                cur[i] = (line[i] + p) & 255
        out[r] = cur
        prev = cur
    return out.reshape(h, w, c).astype(np.uint8)


def _square(pixels, side):
    """Nearest-neighbour resize of an (h, w, c) array to (side, side, 3) uint8."""
    h, w = pixels.shape[:2]
    rows = (np.arange(side) * h // side).clip(0, h - 1)
    cols = (np.arange(side) * w // side).clip(0, w - 1)
    img = pixels[rows][:, cols]
    if img.shape[2] in (2, 4):
        img = img[:, :, :img.shape[2] - 1]  # drop alpha
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img[:, :, :3]


IMAGE_CACHE = {}  # (path, side) -> ((side, side, 3) uint8 or None, width, height)


def decode_image(path, side):
    """((side, side, 3) uint8 or None, width, height), decoded once per (path, side)."""
    key = (path, side)
    if key not in IMAGE_CACHE:
        IMAGE_CACHE[key] = _decode(path, side)
    return IMAGE_CACHE[key]


def _decode(path, side):
    if _PILImage is not None:
        try:
            with _PILImage.open(path) as im:
                w, h = im.size
                im.draft("RGB", (side * 2, side * 2))
                return np.asarray(im.convert("RGB").resize((side, side), _PILImage.BILINEAR), np.uint8), w, h
        except Exception:
            return None, np.nan, np.nan
    try:
        pixels = _png_pixels(path)
    except Exception:
        pixels = None
    if pixels is None:
        return None, np.nan, np.nan
    return _square(pixels, side), pixels.shape[1], pixels.shape[0]


def _image_features(img, p):
    side, thumb, cells, orient, bins = p["side"], p["thumb"], p["cells"], p["orientations"], p["bins"]
    img = img.astype(np.float32) / 255.0
    grey = img.mean(axis=2)
    feats = [grey.reshape(thumb, side // thumb, thumb, side // thumb).mean(axis=(1, 3)).ravel()]
    feats.append(img.mean(axis=(0, 1)))
    feats.append(img.std(axis=(0, 1)))
    for ch in range(3):
        feats.append(np.histogram(img[:, :, ch], bins=bins, range=(0, 1))[0] / float(side * side))
    gy, gx = np.gradient(grey)
    mag, ang = np.hypot(gx, gy), np.mod(np.arctan2(gy, gx), np.pi)
    which = np.minimum((ang / np.pi * orient).astype(int), orient - 1)
    cell = side // cells
    hog = np.zeros((cells, cells, orient))
    for i in range(cells):
        for j in range(cells):
            sl = (slice(i * cell, (i + 1) * cell), slice(j * cell, (j + 1) * cell))
            hog[i, j] = np.bincount(which[sl].ravel(), weights=mag[sl].ravel(), minlength=orient)
    hog /= np.sqrt((hog ** 2).sum(axis=2, keepdims=True)) + 1e-6
    feats.append(hog.ravel())
    return np.concatenate(feats).astype(np.float32)


def _image_columns(p):
    names = [f"img_thumb_{i}" for i in range(p["thumb"] ** 2)]
    names += [f"img_mean_{c}" for c in "rgb"] + [f"img_std_{c}" for c in "rgb"]
    names += [f"img_hist_{c}{b}" for c in "rgb" for b in range(p["bins"])]
    names += [f"img_hog_{i}" for i in range(p["cells"] ** 2 * p["orientations"])]
    return names


def add_image_features(df, role, groups):
    pattern, key = _locate_images(df, role, groups)
    if pattern is None:
        log(f"load/images: no image folder matches the {role} rows; no image features for them")
        return df, []
    index, p = groups[pattern], IMAGE_PARAMS
    names = _image_columns(p)
    pixel = np.full((len(df), len(names)), np.nan, np.float32)
    size = np.full((len(df), 3), np.nan, np.float32)
    paths = [index.get(_key_text(v)) for v in df[key].tolist()]
    t0, decoded = time.time(), 0
    for r, path in enumerate(paths):
        if path is None:
            continue
        size[r, 2] = os.path.getsize(path)
        img, w, h = decode_image(os.path.abspath(path), p["side"])
        size[r, 0], size[r, 1] = w, h
        if img is not None:
            pixel[r] = _image_features(img, p)
            decoded += 1
    out = pd.DataFrame(np.hstack([size, pixel]) if decoded else size, index=df.index,
                       columns=["img_width", "img_height", "img_bytes"] + (names if decoded else []))
    how = "PIL" if _PILImage is not None else "zlib PNG decoder" if decoded else "file sizes only (no PIL)"
    log(f"load/images: {role}: {pattern} by column {key}: {decoded}/{len(df)} images decoded ({how}), "
        f"{out.shape[1]} features, {time.time() - t0:.1f}s")
    out[IMAGE_PATH_COLUMN] = [os.path.abspath(q) if q else None for q in paths]
    return pd.concat([df, out], axis=1), [c for c in out.columns if c != IMAGE_PATH_COLUMN]


_groups = _image_groups()
train_df, _img_cols = add_image_features(train_df, "train", _groups)
if test_df is not None:
    test_df, _test_cols = add_image_features(test_df, "test", _groups)
    for _c in _img_cols:
        if _c not in test_df.columns:
            test_df[_c] = np.nan
KINDS["numeric"] = KINDS["numeric"] + [c for c in _img_cols if c not in KINDS["numeric"]]
