# model/torch_mlp: a small PyTorch MLP (two hidden layers, batch norm, dropout, AdamW, early stopping on
# an inner split of the training rows) on standardized features. Needs python3-torch (catalog: requires torch).
# Stops early, keeping its best epoch, when the fit has used its share of the script's time (fit_seconds()).
class TorchMLPModel:
    def __init__(self, spec, params):
        self.spec, self.p = spec, dict(params)

    def _net(self, n_in, n_out):
        import torch.nn as nn
        h, d = int(self.p["hidden"]), float(self.p["dropout"])
        return nn.Sequential(nn.Linear(n_in, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(d),
                             nn.Linear(h, h // 2), nn.BatchNorm1d(h // 2), nn.ReLU(), nn.Dropout(d),
                             nn.Linear(h // 2, n_out))

    def fit(self, fs, y):
        import torch
        torch.manual_seed(int(CONFIG.get("seed", 0)))
        torch.set_num_threads(int(CONFIG.get("threads") or 1))
        t0, allowed = time.time(), fit_seconds()
        self.prep = Prep("dense_scaled", text="word", svd=100, seed=int(CONFIG.get("seed", 0)))
        X = self.prep.fit_transform(fs).astype(np.float32)
        kind = self.spec["kind"]
        y = np.asarray(y, dtype=float)
        if kind == "regression":
            self.y_mean, self.y_std = float(y.mean()), float(y.std() or 1.0)
            target = torch.tensor(((y - self.y_mean) / self.y_std)[:, None], dtype=torch.float32)
            loss_fn, n_out = torch.nn.MSELoss(), 1
        elif kind == "binary":
            target = torch.tensor(y[:, None], dtype=torch.float32)
            loss_fn, n_out = torch.nn.BCEWithLogitsLoss(), 1
        else:
            target = torch.tensor(y.astype(int), dtype=torch.long)
            loss_fn, n_out = torch.nn.CrossEntropyLoss(), self.spec["n_classes"]
        tr, es = inner_split(len(y), y, 0.1, int(CONFIG.get("seed", 0)), kind != "regression")
        Xt = torch.tensor(X)
        self.net = self._net(X.shape[1], n_out)
        opt = torch.optim.AdamW(self.net.parameters(), lr=float(self.p["learning_rate"]),
                                weight_decay=float(self.p["weight_decay"]))
        best, best_state, patience = float("inf"), None, 0
        batch = int(self.p["batch_size"])
        for epoch in range(int(self.p["epochs"])):
            self.net.train()
            order = np.random.RandomState(epoch).permutation(tr)
            for start in range(0, len(order), batch):
                idx = torch.tensor(order[start:start + batch])
                if len(idx) < 2:
                    continue
                opt.zero_grad()
                loss = loss_fn(self.net(Xt[idx]), target[idx])
                loss.backward()
                opt.step()
            self.net.eval()
            with torch.no_grad():
                es_idx = torch.tensor(es)
                val = float(loss_fn(self.net(Xt[es_idx]), target[es_idx]))
            if val < best - 1e-5:
                best, patience = val, 0
                best_state = {k: v.clone() for k, v in self.net.state_dict().items()}
            else:
                patience += 1
                if patience >= 8:
                    break
            if time.time() - t0 > allowed:
                log(f"model/torch_mlp: stopping after {epoch + 1} epochs: the fit's {allowed:.0f}s share is used")
                break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        return self

    def predict(self, fs):
        import torch
        self.net.eval()
        with torch.no_grad():
            out = self.net(torch.tensor(self.prep.transform(fs).astype(np.float32)))
        if self.spec["kind"] == "regression":
            return out.numpy()[:, 0] * self.y_std + self.y_mean
        if self.spec["kind"] == "binary":
            return torch.sigmoid(out).numpy()[:, 0]
        return torch.softmax(out, dim=1).numpy()


def _make_torch_mlp(spec, params=dict(hidden={{hidden}}, dropout={{dropout}}, epochs={{epochs}},
                                      batch_size={{batch_size}}, learning_rate={{learning_rate}},
                                      weight_decay={{weight_decay}})):
    return TorchMLPModel(spec, params)


MODELS.append(("torch_mlp", _make_torch_mlp))
