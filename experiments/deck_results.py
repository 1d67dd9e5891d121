"""The decks' headline results (chapter 12): deck 001's Keras MLP and CNN, in nnedu and in PyTorch.

Deck 001 trains two Keras models on MNIST's 60,000 training images, watching its 10,000 test images
as "validation data", and prints 98.40 % (the MLP, 20 epochs) and 99.25 % (the CNN, 12 epochs).
This module trains the same two architectures twice, once with nnedu and once with PyTorch, from the
same initial weights (built in nnedu, copied with :func:`nnedu.to_torch`), on the same mini-batches in
the same order, with the same optimiser, and writes what they reach to ``book/data/deck_results.json``
together with the configuration and the provenance of the run.

The data. Offline, the only MNIST files here are its 10,000 test images (``../shared/data/mnist-test``,
read with ``load_mnist(split="test", download=False)``). They are split, stratified and seeded, into
7,000 training, 1,000 validation and 2,000 test images. The validation images are watched after every
epoch; the test images are evaluated once, after the last epoch. ``--full`` uses the real thing:
55,000 training and 5,000 validation images carved out of ``load_mnist("train")``, and the 10,000
images of ``load_mnist("test")`` as the test set (it downloads MNIST once).

The recipe (Keras' defaults, which the deck relies on without printing them):

- weights drawn from Glorot's uniform distribution, biases zero (Keras' ``glorot_uniform``/``zeros``);
- RMSprop with ``lr=0.001, alpha=0.9, eps=1e-7`` (Keras' ``rho`` is PyTorch's ``alpha``);
- mini-batches of 128 (the Keras examples' ``batch_size``), a new order every epoch;
- the deck's epochs: 20 for the MLP, 12 for the CNN (with three seeds the whole run takes about
  25 minutes on a shared two-core machine: an epoch of the CNN on 7,000 images costs about 25 s in numpy);
- dropout as in the deck; float32 and one thread in both libraries (a fair, repeatable timing).

Run: ``python -m experiments.deck_results [--full] [--seeds 3] [--out PATH]`` (``make deck-results``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import nnedu
from nnedu import nn
from nnedu.data import MNISTError, load_mnist, train_test_split

REPO = Path(__file__).resolve().parents[1]
MNIST_TEST_DIR = REPO.parent / "shared" / "data" / "mnist-test"
DEFAULT_OUT = REPO / "book" / "data" / "deck_results.json"

DECK_ACCURACY = {"mlp": 0.9840, "cnn": 0.9925}   # deck 001, trained on 60,000 images
SPLIT_SEED = 0
SMALL_SPLIT = {"train": 7000, "validation": 1000, "test": 2000}   # inside MNIST's 10,000 test images
FULL_VALIDATION = 5000                                             # --full: carved out of the 60,000
DEFAULT_SEEDS = 3
BATCH_SIZE = 128
DECK_EPOCHS = {"mlp": 20, "cnn": 12}
EPOCHS = dict(DECK_EPOCHS)         # the deck's epochs (the CNN's 12 cost about 20 s each in numpy here)
LR, ALPHA, EPS = 1e-3, 0.9, 1e-7   # Keras' RMSprop(): learning_rate, rho, epsilon
FRAMEWORKS = ("nnedu", "torch")
SCALING_FRACTIONS = (0.25, 0.5, 1.0)                # "performance scales with data": the MLP in nnedu
EVAL_BATCH = 500


@dataclass(frozen=True)
class Split:
    """Training, validation and test images (one flattened 28x28 image per row) and their labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}

    def class_counts(self) -> dict[str, list[int]]:
        """How many images of each digit 0-9 every part holds."""
        return {name: np.bincount(y, minlength=10).tolist()
                for name, y in (("train", self.y_train), ("validation", self.y_val), ("test", self.y_test))}


def config(full: bool = False, seeds: int = DEFAULT_SEEDS) -> dict[str, Any]:
    """Everything that decides the results, as it is written into the JSON file."""
    if full:
        data = {"source": "MNIST: load_mnist('train') for training and validation, load_mnist('test') for the test",
                "split_sizes": {"train": 60000 - FULL_VALIDATION, "validation": FULL_VALIDATION, "test": 10000}}
    else:
        data = {"source": "the 10,000 images of MNIST's test split (load_mnist(split='test')), split three ways",
                "split_sizes": dict(SMALL_SPLIT)}
    return {
        "full": full,
        "data": data,
        "split_seed": SPLIT_SEED,
        "stratified": True,
        "seeds": list(range(seeds)),
        "frameworks": list(FRAMEWORKS),
        "models": {name: {"epochs": EPOCHS[name], "deck_epochs": DECK_EPOCHS[name], "layers": describe(build(name))}
                   for name in ("mlp", "cnn")},
        "batch_size": BATCH_SIZE,
        "optimizer": {"name": "RMSprop", "lr": LR, "alpha": ALPHA, "eps": EPS,
                      "momentum": 0.0, "weight_decay": 0.0, "centered": False},
        "init": "Keras' defaults: glorot_uniform weights, zero biases",
        "loss": "cross-entropy on the logits (Keras: softmax output + categorical cross-entropy)",
        "dtype": "float32",
        "threads": 1,
        "monitoring": "validation accuracy after every epoch; test accuracy once, after the last epoch",
        "scaling": {"model": "mlp", "framework": "nnedu", "fractions": list(SCALING_FRACTIONS)},
        "deck_accuracy": dict(DECK_ACCURACY),
    }


def load_split(full: bool = False, root: Path = MNIST_TEST_DIR) -> Split:
    """The stratified, seeded split of :func:`config` (``root`` holds MNIST's test files)."""
    split = train_test_split
    if full:
        X, y = load_mnist(split="train")
        X_train, X_val, y_train, y_val = split(X, y, test_size=FULL_VALIDATION, seed=SPLIT_SEED, stratify=True)
        X_test, y_test = load_mnist(split="test")
        return Split(X_train, y_train, X_val, y_val, X_test, y_test)
    X, y = load_mnist(root=root, split="test", download=False)
    X_rest, X_test, y_rest, y_test = split(X, y, test_size=SMALL_SPLIT["test"], seed=SPLIT_SEED, stratify=True)
    X_train, X_val, y_train, y_val = split(X_rest, y_rest, test_size=SMALL_SPLIT["validation"],
                                           seed=SPLIT_SEED, stratify=True)
    return Split(X_train, y_train, X_val, y_val, X_test, y_test)


def build(name: str) -> nn.Sequential:
    """Deck 001's ``mlp`` or ``cnn`` in nnedu, float32, with Keras' initialisation (logits out)."""
    if name == "mlp":
        model = nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(512, 10),                      # the softmax is inside the loss
        )
    elif name == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(),          # 28x28 -> 26x26
            nn.Conv2d(32, 64, 3), nn.ReLU(),         # 26x26 -> 24x24
            nn.MaxPool2d(2), nn.Dropout(0.25),       # 24x24 -> 12x12
            nn.Flatten(),                            # 64 * 12 * 12 = 9216 features
            nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(128, 10),
        )
    else:
        raise ValueError(f"build expected 'mlp' or 'cnn', got {name!r}")
    keras_init(model)
    model.float()
    return model


def keras_init(model: nn.Module) -> nn.Module:
    """Keras' default initialisation: Glorot-uniform weights, zero biases (nnedu follows PyTorch's otherwise)."""
    for layer in model.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(layer.weight)    # U(-a, a), a = sqrt(6 / (fan_in + fan_out))
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def describe(model: nn.Sequential) -> list[str]:
    """The layers, one ``repr`` each (part of the configuration)."""
    return [repr(layer) for layer in model.children()]


def inputs(name: str, X: np.ndarray) -> np.ndarray:
    """Rows of 784 pixels for the MLP, (N, 1, 28, 28) images for the CNN."""
    return X.reshape(-1, 1, 28, 28) if name == "cnn" else X


def batch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    """One random order of the ``n`` training images per epoch, shared by both libraries."""
    rng = np.random.default_rng((seed, 1))   # its own stream, apart from the initialisation's
    return [rng.permutation(n) for _ in range(epochs)]


def mini_batches(order: np.ndarray) -> list[np.ndarray]:
    """The indices of each mini-batch of one epoch (the last one smaller)."""
    return [order[start:start + BATCH_SIZE] for start in range(0, len(order), BATCH_SIZE)]


def train_nnedu(model: nn.Sequential, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
                orders: list[np.ndarray]) -> dict[str, list[float]]:
    """Train with nnedu's loop (chapter 9); the training loss and validation accuracy of each epoch."""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nnedu.optim.RMSprop(model.parameters(), lr=LR, alpha=ALPHA, eps=EPS)
    history: dict[str, list[float]] = {"train_loss": [], "val_accuracy": []}
    for order in orders:
        batches = ((X[idx], y[idx]) for idx in mini_batches(order))
        loss, _ = nnedu.train_epoch(model, loss_fn, optimizer, batches)
        _, val_accuracy = nnedu.evaluate(model, loss_fn, X_val, y_val, batch_size=EVAL_BATCH)
        history["train_loss"].append(loss)
        history["val_accuracy"].append(float(val_accuracy or 0.0))
    return history


def accuracy_nnedu(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> float:
    _, accuracy = nnedu.evaluate(model, nn.CrossEntropyLoss(), X, y, batch_size=EVAL_BATCH)
    return float(accuracy or 0.0)


def train_torch(model: Any, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
                orders: list[np.ndarray]) -> dict[str, list[float]]:
    """The same loop in PyTorch: zero the gradients, forward, loss, ``loss.backward()``, step."""
    import torch

    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=LR, alpha=ALPHA, eps=EPS)
    history: dict[str, list[float]] = {"train_loss": [], "val_accuracy": []}
    for order in orders:
        model.train()
        total = 0.0
        for idx in mini_batches(order):
            index = torch.from_numpy(idx)
            optimizer.zero_grad()
            loss = loss_fn(model(X_t[index]), y_t[index])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history["train_loss"].append(total / len(order))
        history["val_accuracy"].append(accuracy_torch(model, X_val, y_val))
    return history


def accuracy_torch(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        predicted = np.concatenate([model(torch.from_numpy(X[i:i + EVAL_BATCH])).argmax(dim=1).numpy()
                                    for i in range(0, len(X), EVAL_BATCH)])
    return float(np.mean(predicted == y))


def run(name: str, framework: str, split: Split, seed: int, fraction: float = 1.0) -> dict[str, Any]:
    """Train one model with one library from the seed's initial weights; its results and wall time."""
    import torch

    X, y = split.X_train, split.y_train
    if fraction < 1.0:   # a stratified subset of the training images
        X, _, y, _ = train_test_split(X, y, test_size=len(y) - round(fraction * len(y)),
                                                 seed=SPLIT_SEED, stratify=True)
    nnedu.manual_seed(seed)          # the initial weights, and nnedu's dropout masks
    torch.manual_seed(seed)          # PyTorch's dropout masks
    model = build(name)
    orders = batch_orders(len(y), EPOCHS[name], seed)
    X, X_val, X_test = inputs(name, X), inputs(name, split.X_val), inputs(name, split.X_test)
    start = time.perf_counter()
    if framework == "nnedu":
        history = train_nnedu(model, X, y, X_val, split.y_val, orders)
        test_accuracy = accuracy_nnedu(model, X_test, split.y_test)
    elif framework == "torch":
        twin = nnedu.to_torch(model)   # the same initial weights
        history = train_torch(twin, X, y, X_val, split.y_val, orders)
        test_accuracy = accuracy_torch(twin, X_test, split.y_test)
    else:
        raise ValueError(f"run expected framework 'nnedu' or 'torch', got {framework!r}")
    seconds = time.perf_counter() - start
    return {"model": name, "framework": framework, "seed": seed, "fraction": fraction, "train_images": len(y),
            "epochs": EPOCHS[name], "test_accuracy": test_accuracy, "val_accuracy": history["val_accuracy"],
            "train_loss": history["train_loss"], "seconds": round(seconds, 2)}


def provenance(started: float, command: str) -> dict[str, Any]:
    """When, where and with what the results were produced."""
    import torch

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return result.stdout.rstrip() if result.returncode == 0 else "unknown"

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")]
        cpu = f"{models[0]} ({len(models)} logical CPUs)" if models else cpu
    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "git_commit": git("rev-parse", "HEAD"),
        "git_changed_files": changed,
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "nnedu": nnedu.__version__,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.deck_results",
                                     description="Train deck 001's MLP and CNN in nnedu and PyTorch; write the JSON.")
    parser.add_argument("--full", action="store_true",
                        help="train and validate on MNIST's 60,000 training images (55,000 + 5,000; downloads them), "
                             "test on its 10,000 test images (hours: the CNN in numpy)")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="number of seeds (default %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON file to write (default %(default)s)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds expected a positive number, got {args.seeds}")

    import torch

    torch.set_num_threads(1)
    nnedu.set_num_threads(1)
    started = time.perf_counter()
    try:
        split = load_split(args.full)
    except MNISTError as error:   # no data: say where it was looked for, without a traceback
        print(f"deck_results: {error}", file=sys.stderr)
        return 2
    settings = config(args.full, args.seeds)
    seeds: list[int] = settings["seeds"]
    runs: list[dict[str, Any]] = []
    for name in ("mlp", "cnn"):
        for seed in seeds:
            for framework in FRAMEWORKS:
                runs.append(run(name, framework, split, seed))
                r = runs[-1]
                print(f"{name} {framework:5s} seed {seed}: test accuracy {r['test_accuracy']:.4f} "
                      f"(validation {r['val_accuracy'][-1]:.4f}), {r['seconds']:.0f} s", flush=True)
    scaling: list[dict[str, Any]] = []
    for fraction in SCALING_FRACTIONS:
        for seed in seeds:
            if fraction == 1.0:   # the main runs above
                same = next(r for r in runs if (r["model"], r["framework"], r["seed"]) == ("mlp", "nnedu", seed))
                scaling.append(same)
                continue
            scaling.append(run("mlp", "nnedu", split, seed, fraction))
            r = scaling[-1]
            print(f"mlp nnedu seed {seed} on {r['train_images']} images: test accuracy {r['test_accuracy']:.4f}",
                  flush=True)
    command = "python -m experiments.deck_results " + " ".join(sys.argv[1:] if argv is None else argv)
    results: dict[str, Any] = {
        "config": settings, "split": {"sizes": split.sizes(), "class_counts": split.class_counts()},
        "runs": runs, "scaling": scaling, "provenance": provenance(started, command.strip()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out} in {results['provenance']['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
