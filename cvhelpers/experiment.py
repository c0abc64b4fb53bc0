"""The shared protocol that notebooks 03-06 compare methods by.

* Data: Fashion-MNIST-LT (imbalance ratio 100, exponential profile), a
  stratified validation split taken from the long-tailed training data, and
  the balanced test set (1,000 per class).
* The same model (:func:`cvhelpers.training.models.small_cnn`), epochs, optimizer,
  batch size and seed for every method; only the method changes.
* Model choice and early stopping use balanced accuracy on the validation
  split; the test set is only evaluated.
* The *oracle* is the same model trained on a balanced sample of the same
  total size, drawn from the images that Fashion-MNIST-LT left out.

:meth:`LongTailProtocol.from_folder` builds the same protocol on a user's
folder of images (one subfolder per class): a stratified train/validation/test
split kept in a manifest (:mod:`cvhelpers.data.folder_split`), no oracle.

Example
-------
>>> protocol = LongTailProtocol.fashion_mnist_lt()                 # doctest: +SKIP
>>> result = protocol.train("ce", protocol.train_dataset(), loss=protocol.ce_loss())  # doctest: +SKIP
>>> result.report.summary["balanced_accuracy"]                     # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace

import keras
import numpy as np

from cvhelpers import metrics, training
from cvhelpers.data import FashionMNIST, load_fashion_mnist, load_fashion_mnist_lt, pipeline
from cvhelpers.training import losses, models
from cvhelpers.validation import (
    check_bool,
    check_labels,
    check_number,
    check_positive_int,
    check_same_length,
    check_seed,
)

__all__ = ["Settings", "SCHEDULES", "MethodResult", "LongTailProtocol", "PROFILE_SETTINGS", "BASELINES"]

#: Learning-rate schedules of :class:`Settings`: ``"constant"`` keeps Adam at
#: ``learning_rate``; ``"cosine"`` warms up linearly from zero to
#: ``learning_rate`` over ``warmup_epochs``, then decays to zero along a cosine
#: by the last step (Keras's ``CosineDecay`` with ``warmup_target``).
SCHEDULES = ("constant", "cosine")

#: The reference methods every comparison starts from (:meth:`LongTailProtocol.baseline`).
BASELINES = ("ce", "oracle", "ros_aug_copies")


@dataclass(frozen=True)
class Settings:
    """Everything that is held fixed across methods; the defaults are the course profile.

    Raises
    ------
    TypeError, ValueError
        Naming the setting: ``epochs``, ``batch_size``, ``width`` and
        ``feature_dim`` must be ints >= 1, ``learning_rate`` a finite number
        > 0, ``schedule`` one of :data:`SCHEDULES`, ``warmup_epochs`` a
        number in [0, epochs), ``val_fraction`` a number in (0, 1), ``seed``
        an int >= 0.
    """

    epochs: int = 8
    batch_size: int = 128
    learning_rate: float = 1e-3
    schedule: str = "constant"
    warmup_epochs: float = 0.0
    width: int = 32
    feature_dim: int = 128
    val_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self):
        for name in ("epochs", "batch_size", "width", "feature_dim"):
            check_positive_int(getattr(self, name), name)
        check_number(self.learning_rate, "learning_rate", low=0, low_open=True)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if check_number(self.warmup_epochs, "warmup_epochs", low=0) >= self.epochs:
            raise ValueError(f"warmup_epochs must be below epochs ({self.epochs}), got {self.warmup_epochs}")
        if check_number(self.val_fraction, "val_fraction", low=0, low_open=True) >= 1:
            raise ValueError(f"val_fraction must be < 1, got {self.val_fraction}")
        check_seed(self.seed)


#: The course profile fits notebooks 03 and 04 in 5 minutes each on 2 cores;
#: the full profile trains longer and repeats over seeds.
PROFILE_SETTINGS = {
    "course": Settings(),
    "full": Settings(epochs=15),
}


@dataclass
class MethodResult:
    """One method's trained model, test report and cost.

    Raises
    ------
    TypeError
        When ``name`` is not a str, ``report`` not an ``EvaluationReport`` or
        ``fit`` neither a ``FitResult`` nor None.
    ValueError
        When ``seconds`` is not a finite number >= 0.
    """

    name: str
    report: metrics.EvaluationReport
    fit: training.FitResult | None
    seconds: float
    logits: np.ndarray = field(repr=False, default=None)

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {type(self.name).__name__}")
        if not isinstance(self.report, metrics.EvaluationReport):
            raise TypeError(f"report must be a metrics.EvaluationReport, got {type(self.report).__name__}")
        if self.fit is not None and not isinstance(self.fit, training.FitResult):
            raise TypeError(f"fit must be a training.FitResult or None, got {type(self.fit).__name__}")
        check_number(self.seconds, "seconds", low=0)

    @property
    def summary(self) -> dict:
        return self.report.summary


@dataclass
class LongTailProtocol:
    """Train/validation/test arrays plus the fixed settings.

    Attributes
    ----------
    x_train, y_train : ndarray (n, 28, 28) uint8, (n,) int64
        The long-tailed training data minus the validation split.
    x_val, y_val : ndarray
        Stratified validation split of the long-tailed data.
    x_test, y_test : ndarray
        The balanced test set.
    counts : dict of int to int
        Training images per class after the split.
    class_names : list of str
    settings : Settings
    x_pool, y_pool : ndarray
        Fashion-MNIST training images not in the long-tailed set (for the
        oracle); empty for a folder.
    description : str
    dataset : dict or None
        For :meth:`from_folder`: ``name``, ``manifest_sha256``
        (:func:`cvhelpers.course.provenance.dataset_identity`), ``split_sha256``
        (the split manifest's hash) and ``source`` ``"folder"``. None otherwise.
    problems : pandas.DataFrame or None
        For :meth:`from_folder`: the files skipped and why.
    manifest : pandas.DataFrame or None
        For :meth:`from_folder`: every file seen (``ImageFolder.manifest``:
        path, class, status, reason, stored size and mode, and ``split``).
    refused : dict of str to int
        For :meth:`from_folder`: classes left out and their readable images.
    split : cvhelpers.data.folder_split.FolderSplit or None
        For :meth:`from_folder`: the split (``split.to_json()`` is its manifest).

    Raises
    ------
    TypeError
        When ``settings`` is not a :class:`Settings` or ``counts`` not a dict.
    ValueError
        When images and labels of a split differ in length, or a split's
        labels are not class indices in [0, len(class_names)).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    counts: dict
    class_names: list
    settings: Settings
    x_pool: np.ndarray = field(repr=False)
    y_pool: np.ndarray = field(repr=False)
    description: str = ""
    dataset: dict | None = None
    problems: object = field(repr=False, default=None)
    manifest: object = field(repr=False, default=None)
    refused: dict = field(default_factory=dict)
    split: object = field(repr=False, default=None)

    def __post_init__(self):
        if not isinstance(self.settings, Settings):
            raise TypeError(f"settings must be a Settings, got {type(self.settings).__name__}")
        if not isinstance(self.counts, dict):
            raise TypeError(f"counts must be a dict of class to images, got {type(self.counts).__name__}")
        for split in ("train", "val", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            check_same_length(x, f"x_{split}", y, f"y_{split}")
            check_labels(y, f"y_{split}", num_classes=len(self.class_names))
        check_same_length(self.x_pool, "x_pool", self.y_pool, "y_pool")

    @classmethod
    def fashion_mnist_lt(
        cls,
        settings: Settings | None = None,
        imbalance_ratio: float = 100,
        class_order: str = "label",
        data: FashionMNIST | None = None,
    ) -> LongTailProtocol:
        """Build the protocol on Fashion-MNIST-LT (the committed split)."""
        from sklearn.model_selection import train_test_split

        settings = settings or Settings()
        if not isinstance(settings, Settings):
            raise TypeError(f"settings must be a Settings, got {type(settings).__name__}")
        data = data or load_fashion_mnist()
        lt, (x_test, y_test) = load_fashion_mnist_lt(
            imbalance_ratio=imbalance_ratio, class_order=class_order, data=data
        )
        x_train, x_val, y_train, y_val = train_test_split(
            lt.x, lt.y.astype(np.int64), test_size=settings.val_fraction, stratify=lt.y, random_state=settings.seed
        )
        num_classes = len(data.class_names)
        counts = {c: int(n) for c, n in enumerate(np.bincount(y_train, minlength=num_classes))}
        unused = np.setdiff1d(np.arange(len(data.y_train)), lt.indices)
        return cls(
            x_train, y_train, x_val, y_val, x_test, y_test.astype(np.int64), counts, list(data.class_names),
            settings, data.x_train[unused], data.y_train[unused].astype(np.int64),
            description=f"fashion-mnist-lt r={imbalance_ratio:g} order={class_order}",
        )

    @classmethod
    def from_folder(
        cls,
        path,
        image_size=64,
        settings: Settings | None = None,
        seed: int = 0,
        *,
        mode: str = "RGB",
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        manifest=None,
        progress: bool = True,
    ) -> LongTailProtocol:
        """Build the protocol on a user's folder, one subfolder per class.

        Images are loaded with :func:`cvhelpers.data.load_image_folder`
        (unreadable files skipped and listed, EXIF orientation applied),
        letterboxed to ``image_size`` (aspect ratio kept) and split by
        :func:`cvhelpers.data.folder_split.split_folder`, stratified and
        seeded; classes with fewer than 3 readable images are left out with
        a warning. There is no oracle: :meth:`oracle_data` and
        ``baseline("oracle")`` raise. With fewer training images than
        ``settings.batch_size``, the batch size is lowered to the largest
        power of two that fits (at least the number of classes), with a
        warning.

        Parameters
        ----------
        path : path-like
        image_size : int or (height, width), default=64
        settings : Settings, optional
            Default ``Settings(seed=seed)``.
        seed : int, default=0
            Of the split.
        mode : {"RGB", "L"}, default="RGB"
            Images become (n, h, w, 3) or (n, h, w, 1) uint8.
        val_fraction, test_fraction : float, default=0.15
            Share of each class in the validation and the test split.
        manifest : path-like or str, optional
            An earlier split's manifest to reuse (``protocol.split.to_json()``).
        progress : bool, default=True

        Returns
        -------
        LongTailProtocol
            With ``dataset``, ``problems``, ``manifest``, ``refused`` and ``split`` set.

        Raises
        ------
        FileNotFoundError, NotADirectoryError, TypeError, ValueError
            Naming the folder or the argument (fewer than 2 usable classes
            included).
        """
        from cvhelpers.course.provenance import dataset_identity
        from cvhelpers.data import folder_split

        settings = Settings(seed=check_seed(seed)) if settings is None else settings
        if not isinstance(settings, Settings):
            raise TypeError(f"settings must be a Settings, got {type(settings).__name__}")
        data = folder_split.folder_arrays(path, image_size, mode=mode, seed=seed, val_fraction=val_fraction,
                                          test_fraction=test_fraction, manifest=manifest, progress=progress)
        split = data["split"]
        counts = {c: int(n) for c, n in enumerate(np.bincount(data["y_train"], minlength=len(split.class_names)))}
        if len(data["y_train"]) < settings.batch_size:  # a batch cannot be larger than the training set
            batch_size = max(2 ** int(np.log2(len(data["y_train"]))), len(split.class_names))
            warnings.warn(f"batch_size lowered from {settings.batch_size} to {batch_size}: the folder has only "
                          f"{len(data['y_train'])} training images", stacklevel=2)
            settings = replace(settings, batch_size=batch_size)
        dataset = {**dataset_identity(path), "split_sha256": split.sha256, "source": "folder"}
        empty = data["x_train"][:0]
        return cls(
            data["x_train"], data["y_train"], data["x_val"], data["y_val"], data["x_test"], data["y_test"], counts,
            list(split.class_names), settings, empty, data["y_train"][:0],
            description=f"folder {dataset['name']} ({len(split.class_names)} classes)", dataset=dataset,
            problems=data["problems"], manifest=data["manifest"], refused=dict(split.refused), split=split,
        )

    # -- data ---------------------------------------------------------------
    @property
    def input_shape(self) -> tuple:
        """(h, w, c) of the images: (28, 28, 1) for Fashion-MNIST-LT."""
        shape = tuple(int(n) for n in np.shape(self.x_train)[1:])
        return shape + (1,) if len(shape) == 2 else shape

    @property
    def has_oracle(self) -> bool:
        """False on a user's folder (:meth:`from_folder`): no left-out images to draw a balanced sample from."""
        return not (self.dataset is not None and self.dataset.get("source") == "folder")

    @property
    def augment_fill_mode(self) -> str:
        """What augmentation warps fill uncovered pixels with: ``"constant"`` (black) on Fashion-MNIST-LT, whose
        background is black; ``"nearest"`` (the edge, i.e. the letterbox's background or the photo's own border)
        on a user's folder."""
        return "constant" if self.has_oracle else "nearest"

    @property
    def test_is_balanced(self) -> bool:
        """Whether every class has as many test images (Fashion-MNIST-LT: yes; a folder's split: its proportions)."""
        return len(set(np.bincount(self.y_test, minlength=self.num_classes).tolist())) == 1

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def priors(self) -> np.ndarray:
        """Training class frequencies, shape (C,), float32.

        :func:`cvhelpers.training.losses.class_priors` of :attr:`counts`.
        """
        return losses.class_priors(self.counts, self.num_classes)

    @property
    def head_tail(self):
        """The 3 largest and the 3 smallest classes (with fewer than 6 classes, ``num_classes // 2`` of each)."""
        return metrics.head_tail_classes(self.counts, self._head_tail_size)

    @property
    def _head_tail_size(self) -> int:
        return max(1, min(3, self.num_classes // 2))

    @property
    def steps_per_epoch(self) -> int:
        """Batches in one pass over the long-tailed training set."""
        return int(np.ceil(len(self.y_train) / self.settings.batch_size))

    @property
    def full_batches(self) -> int:
        """Full batches in one pass over the training set, at least one: the epoch of a stream without a last,
        partial batch (oversampling with augmented copies, the recipe's schedule)."""
        return max(1, len(self.y_train) // self.settings.batch_size)

    def train_dataset(self, augment=None, one_hot: bool = False, seed: int | None = None):
        """The long-tailed training data as shuffled batches."""
        return pipeline.make_dataset(
            self.x_train, self.y_train, self.settings.batch_size, seed=self._seed(seed), augment=augment,
            num_classes=self.num_classes if one_hot else None,
        )

    def validation_dataset(self, one_hot: bool = False):
        return pipeline.make_dataset(
            self.x_val, self.y_val, 512, shuffle=False, num_classes=self.num_classes if one_hot else None
        )

    def oracle_data(self, seed: int | None = None):
        """A balanced sample of the same total size as the training data.

        Drawn from the Fashion-MNIST images the long-tailed set left out,
        plus the long-tailed training images, never the validation images.

        Raises
        ------
        ValueError
            On a user's folder (:attr:`has_oracle` is False).
        """
        if not self.has_oracle:
            raise ValueError("no oracle on a user's folder: there are no left-out images of every class to draw "
                             "a balanced sample of the same size from")
        rng = np.random.default_rng(self._seed(seed))
        per_class = len(self.y_train) // self.num_classes
        x_all = np.concatenate([self.x_train, self.x_pool])
        y_all = np.concatenate([self.y_train, self.y_pool])
        chosen = np.concatenate(
            [rng.choice(np.flatnonzero(y_all == c), per_class, replace=False) for c in range(self.num_classes)]
        )
        return x_all[chosen], y_all[chosen]

    def _seed(self, seed):
        return self.settings.seed if seed is None else seed

    # -- training -----------------------------------------------------------
    def build_model(self, seed: int | None = None):
        """A fresh :func:`small_cnn` for :attr:`input_shape` with the protocol's width, seeded."""
        settings, shape = self.settings, self.input_shape
        return lambda: models.small_cnn(
            shape, self.num_classes, settings.width, settings.feature_dim, seed=self._seed(seed)
        )

    def optimizer(self, epochs: int | None = None, steps_per_epoch: int | None = None):
        """A function that returns a fresh Adam with the protocol's learning-rate schedule.

        Parameters
        ----------
        epochs, steps_per_epoch : int, optional
            Length of the training the schedule spans; default the protocol's
            epochs and :attr:`steps_per_epoch`.

        Returns
        -------
        callable
            For the ``optimizer`` argument of :func:`cvhelpers.training.trainer.fit`.
        """
        settings = self.settings
        epochs = settings.epochs if epochs is None else check_positive_int(epochs, "epochs")
        steps = self.steps_per_epoch if steps_per_epoch is None else check_positive_int(
            steps_per_epoch, "steps_per_epoch")
        rate = settings.learning_rate
        if settings.schedule == "constant":
            return lambda: keras.optimizers.Adam(rate)
        warmup = min(int(round(settings.warmup_epochs * steps)), epochs * steps - 1)
        schedule = dict(initial_learning_rate=0.0, decay_steps=epochs * steps - warmup, warmup_target=rate,
                        warmup_steps=warmup)
        return lambda: keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(**schedule))

    def ce_loss(self, one_hot: bool = False):
        if one_hot:
            return keras.losses.CategoricalCrossentropy(from_logits=True)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def train(
        self,
        name: str,
        train_data,
        *,
        loss,
        one_hot: bool = False,
        class_weight=None,
        steps_per_epoch: int | None = None,
        seed: int | None = None,
        cache: bool = True,
        strategy=None,
        epochs: int | None = None,
        build_model=None,
        progress: bool = True,
    ) -> MethodResult:
        """Train one method under the protocol and evaluate it on the test set.

        Parameters
        ----------
        name : str
            Method name, for the progress bar and the result; a label only:
            the model cache is keyed by what is trained.
        train_data : tf.data.Dataset
        loss : keras loss
        one_hot : bool
            Whether ``train_data`` has one-hot labels (validation then too).
        class_weight, steps_per_epoch, strategy
            Passed to :func:`cvhelpers.training.trainer.fit`.
        seed : int, optional
            Default the protocol's seed.
        cache : bool, default=True
            Reuse a model trained earlier on the same data with the same
            loss, weights, steps and model (:func:`cvhelpers.training.trainer.fit`).
        epochs : int, optional
            Override the protocol's epochs (e.g. a cheaper sweep).
        build_model : callable, optional
            Returns a fresh model; default :meth:`build_model` (the protocol's
            CNN). For a method that wraps that CNN in its own training step,
            e.g. :class:`cvhelpers.methods.supcon.SupConHybrid`.
        progress : bool, default=True
            A bar per epoch, named ``name``; False: none.
        """
        check_bool(progress, "progress")
        seed = self._seed(seed)
        epochs = epochs or self.settings.epochs
        steps_per_epoch = steps_per_epoch or self.steps_per_epoch
        started = time.perf_counter()
        result = training.fit(
            build_model or self.build_model(seed),
            train_data,
            self.validation_dataset(one_hot),
            epochs=epochs,
            loss=loss,
            num_classes=self.num_classes,
            optimizer=self.optimizer(epochs, steps_per_epoch),
            steps_per_epoch=steps_per_epoch,
            class_weight=class_weight,
            seed=seed,
            strategy=strategy,
            cache=cache,
            progress=name if progress else False,
        )
        return self.evaluate_fit(name, result, seconds=time.perf_counter() - started)

    def evaluate_fit(self, name: str, fit_result: training.FitResult, seconds: float | None = None) -> MethodResult:
        """Evaluate a model trained outside :meth:`train` (e.g. a second stage) on the test set.

        ``seconds`` defaults to the fit's own training time.
        """
        logits = metrics.predict_logits(fit_result.model, self.x_test)
        seconds = fit_result.seconds if seconds is None else seconds
        return MethodResult(name, self.evaluate_logits(logits), fit_result, seconds, logits)

    def evaluate_logits(self, logits) -> metrics.EvaluationReport:
        """The full report on the test set for test-set logits (n_test, C)."""
        return metrics.classification_report(self.y_test, logits, self.class_names, self.counts,
                                             k=self._head_tail_size)

    def baseline(self, name: str, *, augment=None, cache: bool = True) -> MethodResult:
        """Train one of the reference methods, the same way in every notebook (so they share the cache).

        Parameters
        ----------
        name : {"ce", "oracle", "ros_aug_copies"}
            ``"ce"``: cross-entropy on the long-tailed data (the baseline).
            ``"oracle"``: the same model on :meth:`oracle_data`, a balanced
            sample of the same size (the ceiling).
            ``"ros_aug_copies"``: class-balanced epochs whose repeated tail
            images are augmented copies
            (:func:`cvhelpers.augment.oversample_with_augmented_copies`),
            the strongest resampling method of notebook 03.
        augment : keras layer, optional
            The augmentation of ``"ros_aug_copies"``; default
            :func:`cvhelpers.augment.light_policy` with the protocol's seed.
        cache : bool, default=True
            As in :meth:`train`.

        Returns
        -------
        MethodResult
        """
        from cvhelpers import augment as augmentation

        settings = self.settings
        if name == "ce":
            return self.train("ce", self.train_dataset(), loss=self.ce_loss(), cache=cache)
        if name == "oracle":
            x_oracle, y_oracle = self.oracle_data()
            data = pipeline.make_dataset(x_oracle, y_oracle, settings.batch_size, seed=settings.seed)
            return self.train("oracle", data, loss=self.ce_loss(), cache=cache)
        if name == "ros_aug_copies":
            policy = (augmentation.light_policy(seed=settings.seed, fill_mode=self.augment_fill_mode)
                      if augment is None else augment)
            copies = augmentation.oversample_with_augmented_copies(
                self.x_train, self.y_train, policy, epochs=settings.epochs, seed=settings.seed,
                batch_size=settings.batch_size,
            )
            return self.train("ros_aug_copies", copies, loss=self.ce_loss(), steps_per_epoch=self.full_batches,
                              cache=cache)
        raise ValueError(f"name must be one of {BASELINES}, got {name!r}")

    def with_settings(self, **changes) -> LongTailProtocol:
        """A copy of the protocol with some settings changed (e.g. ``seed=1``)."""
        return replace(self, settings=replace(self.settings, **changes))
