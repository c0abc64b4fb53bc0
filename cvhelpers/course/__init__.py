"""Course tooling, apart from the library: notebook parameters, records, the runner and the lab.

Modules
-------
config
    Notebook parameters from the environment (:func:`env_param`), profile
    and environment checks.
results
    Each notebook's numbers and figures, recorded for the course report.
provenance
    The commit, machine, versions, profile, seed and dataset each record and
    benchmark carries.
runner
    ``make run``: executes the notebooks in order and writes the report.
report
    ``build/report.html``: every method side by side, then each notebook's
    findings and key figures, then run times and versions.
results_page
    ``make results``: ``docs/results.md`` and the README's results block
    from the committed records.
hosted
    Colab and Kaggle: the notebooks' badges and set-up cell.
notebook_checks
    Checks on an executed notebook as a student sees it (figures shown,
    no error output, rendered in a browser).
lab
    ``make lab``: the Jupyter kernel settings and the JupyterLab command.
"""
