# mlestar interpreter probe: run once per candidate by exec_discover() as
# `python -c <this file>`. Prints tab-separated lines:
#   python <tab> sys.executable
#   version <tab> 3.11.2
#   pkg <tab> import-name <tab> version     (one per importable package)
# Packages are found with importlib.util.find_spec and their versions read
# from the installed metadata, so nothing heavy (torch, tensorflow) is
# imported and the probe takes a fraction of a second.
import importlib.util
import sys

PACKAGES = {
    "numpy": ["numpy"], "pandas": ["pandas"], "scipy": ["scipy"], "sklearn": ["scikit-learn"],
    "xgboost": ["xgboost"], "lightgbm": ["lightgbm"], "catboost": ["catboost"],
    "torch": ["torch"], "torchvision": ["torchvision"], "torchaudio": ["torchaudio"],
    "transformers": ["transformers"], "tensorflow": ["tensorflow", "tensorflow-cpu"],
    "keras": ["keras"], "statsmodels": ["statsmodels"], "PIL": ["Pillow", "pillow"],
    "cv2": ["opencv-python", "opencv-python-headless", "opencv-contrib-python"],
    "skimage": ["scikit-image"], "matplotlib": ["matplotlib"], "seaborn": ["seaborn"],
    "optuna": ["optuna"], "timm": ["timm"], "nltk": ["nltk"], "spacy": ["spacy"],
    "joblib": ["joblib"], "sentence_transformers": ["sentence-transformers"],
    "datasets": ["datasets"], "tokenizers": ["tokenizers"], "polars": ["polars"],
    "pyarrow": ["pyarrow"], "imblearn": ["imbalanced-learn"],
    "category_encoders": ["category-encoders", "category_encoders"],
}


def version_of(dists):
    try:
        from importlib import metadata
    except ImportError:
        return "unknown"
    for dist in dists:
        try:
            return metadata.version(dist)
        except Exception:
            pass
    return "unknown"


print("python\t" + (sys.executable or ""))
print("version\t%d.%d.%d" % sys.version_info[:3])
for name in sorted(PACKAGES):
    try:
        found = importlib.util.find_spec(name) is not None
    except Exception:
        found = False
    if found:
        print("pkg\t%s\t%s" % (name, version_of(PACKAGES[name])))
