"""A training script to tune: a linear classifier (scikit-learn's SGDClassifier) on the
handwritten digits bundled with scikit-learn, trained one epoch at a time.

    python examples/train_digits.py --alpha 1e-4 --eta0 0.05 --penalty l2 --epochs 27

After each epoch it prints the validation loss twice, in the two forms tunelab reads:

    epoch 3: val_loss=0.2134 val_acc=0.9411                        (for a regex)
    tunelab: {"step": 3, "val_loss": 0.2134, "val_acc": 0.9411}    (structured)

It needs nothing from tunelab. Like real training scripts it refuses some settings (a
learning rate above 10) and stops with an error when training diverges: tunelab then records
the trial as failed, with the last lines of what it printed to stderr.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--alpha", type=float, default=1e-4, help="regularisation strength")
    p.add_argument("--eta0", type=float, default=0.01, help="learning rate")
    p.add_argument("--penalty", choices=["l2", "l1", "elasticnet"], default="l2")
    p.add_argument("--l1-ratio", type=float, default=0.15, help="elastic-net mixing (penalty elasticnet)")
    p.add_argument("--epochs", type=int, default=27)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.eta0 > 10:
        p.error(f"--eta0 {a.eta0} is above 10: training diverges at such learning rates")

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    classes = np.unique(y)
    model = SGDClassifier(
        loss="log_loss", alpha=a.alpha, penalty=a.penalty, l1_ratio=a.l1_ratio,
        learning_rate="constant", eta0=a.eta0, random_state=a.seed,
    )
    rng = np.random.default_rng(a.seed)
    for epoch in range(1, a.epochs + 1):
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        proba = model.predict_proba(x_val)
        if not np.all(np.isfinite(model.coef_)) or np.abs(model.coef_).max() > 1e6:
            raise FloatingPointError(f"training diverged at epoch {epoch}: the weights blew up (eta0={a.eta0} is too high)")
        val_loss = log_loss(y_val, np.clip(proba, 1e-12, 1), labels=classes)
        val_acc = float((proba.argmax(axis=1) == y_val).mean())
        if not math.isfinite(val_loss):
            raise FloatingPointError(f"training diverged at epoch {epoch}: val_loss is {val_loss}")
        print(f"epoch {epoch}: val_loss={val_loss:.6f} val_acc={val_acc:.4f}")
        print("tunelab: " + json.dumps({"step": epoch, "val_loss": round(val_loss, 6), "val_acc": round(val_acc, 4)}), flush=True)
    trial_dir = os.environ.get("TUNELAB_TRIAL_DIR")
    if trial_dir:
        # Where a real script would save its model; here, the final weights' shape.
        with open(os.path.join(trial_dir, "model.json"), "w") as f:
            json.dump({"coef_shape": list(model.coef_.shape), "val_loss": val_loss}, f)


if __name__ == "__main__":
    sys.exit(main())
