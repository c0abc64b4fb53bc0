"""``python -m cvhelpers.fit_folder DATA_DIR [--out DIR] [--epochs N] [--image-size N] [--seed N] [--backbone NAME]``.

Runs :func:`cvhelpers.fit_folder.fit_folder`. A bad folder or argument exits
with status 2 and one line naming the argument, no traceback.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from cvhelpers.fit_folder import BACKBONES

    parser = argparse.ArgumentParser(
        prog="python -m cvhelpers.fit_folder",
        description="Compare cross-entropy, the course's long-tail recipe and post-hoc logit adjustment on a "
                    "folder of images (one subfolder per class) and write a report.")
    parser.add_argument("data_dir", metavar="DATA_DIR", help="folder with one subfolder per class (only read)")
    parser.add_argument("--out", default=None, help="output folder (default build/fit_folder/<folder name>)")
    parser.add_argument("--epochs", type=int, default=8, help="training epochs (default 8)")
    parser.add_argument("--image-size", type=int, default=64, help="images are letterboxed to this square size")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the training (default 0)")
    parser.add_argument("--backbone", default="small_cnn", choices=BACKBONES,
                        help="small_cnn (default, from scratch) or a Keras application, from its ImageNet weights "
                             "when they download")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def main(argv=None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run, and return the exit status (0, or 2 on a user error)."""
    from cvhelpers.fit_folder import _smallest_image, check_out_dir, fit_folder

    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        if arguments.epochs < 1:
            raise ValueError(f"--epochs must be at least 1, got {arguments.epochs}")
        smallest = _smallest_image(arguments.backbone)
        if arguments.image_size < smallest:
            raise ValueError(f"--image-size must be at least {smallest} for --backbone {arguments.backbone}, "
                             f"got {arguments.image_size}")
        if arguments.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {arguments.seed}")
        check_out_dir(arguments.data_dir, arguments.out)
    except (OSError, ValueError, TypeError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    try:
        result = fit_folder(arguments.data_dir, arguments.out, epochs=arguments.epochs,
                            image_size=arguments.image_size, seed=arguments.seed,
                            progress=not arguments.no_progress, backbone=arguments.backbone)
    except (FileNotFoundError, NotADirectoryError) as error:
        parser.exit(2, f"{parser.prog}: error: DATA_DIR {arguments.data_dir!r}: {error}\n")
    except ValueError as error:  # a folder that cannot be used (too few classes, a changed split): the message says why
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    best = result["report"]["methods"][result["best"]]["test"]
    print(f"best: {result['best']} (test balanced accuracy {best['balanced_accuracy']:.3f}, worst-class recall "
          f"{best['worst_recall']:.3f}); report: {result['out'] / 'report.html'}")
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up log is noise to a user
    sys.exit(main())
