"""cvhelpers: the tested helper package behind the cvlab course notebooks.

Import the modules you need, e.g. ``from cvhelpers import datasets``. Importing
the package has no side effects: no seeding, no downloads, no prints.
"""

__version__ = "0.1.0"
