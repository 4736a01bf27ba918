# model/cnn: a small convolutional network trained from scratch on the rows' images (PyTorch on CPU; no
# pretrained weights, nothing downloads). Needs load/images (the image paths and decode_image) and
# python3-torch (catalog: requires torch and image_files). Images are decoded once to side x side RGB,
# normalised per channel; four conv-BN-ReLU layers of width, 2x and 4x width channels with max pooling,
# global average pooling, dropout and a linear head. AdamW with a cosine learning rate over the epochs
# the time allows: the first epoch is timed, and the number of epochs is what fits in fit_seconds()
# (capped at `epochs`); the best epoch on an inner split of the training rows is kept. Augmentation:
# random shifts of up to 1/8 of the side, plus horizontal flips when `flip` is set. Validates at most
# `max_folds` folds (FOLD_CAP), so each network gets a real share of the script's time.
FOLD_CAP = int({{max_folds}}) or FOLD_CAP


class CNNModel:
    def __init__(self, spec, params):
        self.spec, self.p = spec, dict(params)

    def _pixels(self, fs):
        side = int(self.p["side"])
        paths = fs.image_paths or [None] * len(fs)
        out = np.zeros((len(paths), 3, side, side), np.uint8)
        found = 0
        for r, path in enumerate(paths):
            img = decode_image(path, side)[0] if path else None
            if img is not None:
                out[r] = img.transpose(2, 0, 1)
                found += 1
        return out, found

    def _net(self, n_out):
        import torch.nn as nn
        w = int(self.p["width"])

        def block(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
        return nn.Sequential(*block(3, w), *block(w, w), nn.MaxPool2d(2), *block(w, 2 * w), nn.MaxPool2d(2),
                             *block(2 * w, 4 * w), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Dropout(float(self.p["dropout"])), nn.Linear(4 * w, n_out))

    def _targets(self, y):
        import torch
        kind = self.spec["kind"]
        if kind == "regression":
            self.y_mean, self.y_std = float(np.mean(y)), float(np.std(y) or 1.0)
            return torch.tensor((y - self.y_mean) / self.y_std, dtype=torch.float32)[:, None], torch.nn.MSELoss(), 1
        if kind == "binary":
            return torch.tensor(y, dtype=torch.float32)[:, None], torch.nn.BCEWithLogitsLoss(), 1
        return torch.tensor(y.astype(int), dtype=torch.long), torch.nn.CrossEntropyLoss(), self.spec["n_classes"]

    def _input(self, pixels):
        import torch
        x = torch.from_numpy(pixels).float().div_(255.0)
        return (x - self.mean) / self.std

    def _augment(self, x, rng):
        import torch
        side = x.shape[-1]
        shift = max(1, side // 8)
        dy, dx = rng.randint(-shift, shift + 1, size=2)
        x = torch.roll(x, shifts=(int(dy), int(dx)), dims=(2, 3))
        if self.p["flip"] and rng.rand() < 0.5:
            x = torch.flip(x, dims=(3,))
        return x

    def _epoch(self, X, target, idx, opt, sched, loss_fn, rng):
        self.net.train()
        batch = int(self.p["batch_size"])
        order = rng.permutation(idx)
        for start in range(0, len(order), batch):
            b = order[start:start + batch]
            if len(b) < 2:
                continue
            opt.zero_grad()
            loss_fn(self.net(self._augment(self._input(X[b]), rng)), target[b]).backward()
            opt.step()
        sched.step()

    def _loss(self, X, target, idx, loss_fn):
        import torch
        self.net.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, len(idx), 512):
                b = idx[start:start + 512]
                total += float(loss_fn(self.net(self._input(X[b])), target[b])) * len(b)
        return total / max(1, len(idx))

    def fit(self, fs, y, fs_valid=None, y_valid=None):
        import torch
        seed = int(CONFIG.get("seed", 0))
        torch.manual_seed(seed)
        torch.set_num_threads(int(CONFIG.get("threads") or 1))
        t0, allowed = time.time(), fit_seconds()
        y = np.asarray(y, dtype=float)
        X, found = self._pixels(fs)
        self.prior = float(np.mean(y)) if self.spec["kind"] != "multiclass" else None
        if not found:
            raise RuntimeError("model/cnn: no image decoded for the training rows (load/images found none)")
        pix = X.astype(np.float32) / 255.0
        self.mean = torch.tensor(pix.mean(axis=(0, 2, 3)), dtype=torch.float32)[None, :, None, None]
        self.std = torch.tensor(pix.std(axis=(0, 2, 3)) + 1e-3, dtype=torch.float32)[None, :, None, None]
        del pix
        target, loss_fn, n_out = self._targets(y)
        tr, es = inner_split(len(y), y, 0.1, seed, self.spec["kind"] != "regression")
        self.net = self._net(n_out)
        opt = torch.optim.AdamW(self.net.parameters(), lr=float(self.p["learning_rate"]),
                                weight_decay=float(self.p["weight_decay"]))
        max_epochs = int(self.p["epochs"])
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max_epochs)
        rng = np.random.RandomState(seed)
        best, best_state, planned, epoch = float("inf"), None, max_epochs, 0
        while epoch < planned:
            t_epoch = time.time()
            self._epoch(X, target, tr, opt, sched, loss_fn, rng)
            val = self._loss(X, target, es, loss_fn)
            epoch += 1
            if val < best:
                best, best_state = val, {k: v.clone() for k, v in self.net.state_dict().items()}
            if epoch == 1:  # size the run to the time allowed, then anneal over exactly that many epochs
                spent = time.time() - t_epoch
                planned = int(max(1, min(max_epochs, (allowed - (time.time() - t0)) // max(spent, 1e-3) + 1)))
                sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, planned - 1))
        self.net.load_state_dict(best_state)
        log(f"model/cnn: {len(tr)} images at {self.p['side']}px, {epoch} epochs in {time.time() - t0:.1f}s "
            f"(allowed {allowed:.0f}s), best inner loss {best:.4f}")
        return self

    def predict(self, fs):
        import torch
        X, found = self._pixels(fs)
        if not found:
            log("model/cnn: no image for these rows; predicting the training prior")
            n = len(fs)
            return np.full(n, self.prior) if self.prior is not None else np.full((n, self.spec["n_classes"]),
                                                                                 1.0 / self.spec["n_classes"])
        self.net.eval()
        outs = []
        with torch.no_grad():
            for start in range(0, len(X), 512):
                outs.append(self.net(self._input(X[start:start + 512])))
        out = torch.cat(outs)
        if self.spec["kind"] == "regression":
            return out.numpy()[:, 0] * self.y_std + self.y_mean
        if self.spec["kind"] == "binary":
            return torch.sigmoid(out).numpy()[:, 0]
        return torch.softmax(out, dim=1).numpy()


def _make_cnn(spec, params=dict(side={{side}}, width={{width}}, epochs={{epochs}}, batch_size={{batch_size}},
                                learning_rate={{learning_rate}}, weight_decay={{weight_decay}},
                                dropout={{dropout}}, flip={{flip}})):
    return CNNModel(spec, params)


MODELS.append(("cnn", _make_cnn))
