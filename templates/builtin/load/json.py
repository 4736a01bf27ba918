# load/json (before load/csv): a training or test table given as JSON records (a JSON array, an object
# holding one, or JSON Lines) becomes a flat CSV under ./work_tables, nested fields named parent.child
# as pandas.json_normalize(sep=".") and the profile name them (lists and deeper objects as JSON text).
# CONFIG["train_file"] / CONFIG["test_file"] then name those CSVs (absolute paths), so load/csv and the
# submission writer read them like any table, in search and submit mode alike.
def _json_records(path, params=dict(max_level={{max_level}})):
    with open(path, encoding="utf-8") as fh:
        if path.lower().endswith((".jsonl", ".ndjson")):
            records = [json.loads(line) for line in fh if line.strip()]
        else:
            data = json.load(fh)
            if isinstance(data, dict):
                lists = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
                data = lists[0] if lists else [data]
            records = data
    frame = pd.json_normalize(records, sep=".", max_level=int(params["max_level"]))
    for col in frame.columns:
        if frame[col].map(lambda v: isinstance(v, (list, dict))).any():
            frame[col] = frame[col].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return frame


def _json_to_csv(name):
    frame = _json_records(os.path.join(CONFIG.get("data_dir", "./input"), name))
    out_dir = os.path.abspath("./work_tables")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".csv")
    frame.to_csv(out, index=False)
    log(f"load/json: {name}: {len(frame)} records, {frame.shape[1]} fields -> {out}")
    return out


for _key in ("train_file", "test_file"):
    _name = CONFIG.get(_key)
    if _name and str(_name).lower().endswith((".json", ".jsonl", ".ndjson")):
        CONFIG[_key] = _json_to_csv(_name)
