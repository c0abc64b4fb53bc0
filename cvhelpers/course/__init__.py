"""Course tooling, apart from the library: notebook parameters, records, the runner and the lab.

Modules
-------
config
    Notebook parameters from the environment (:func:`env_param`), profile
    and environment checks.
results
    Each notebook's numbers and figures, recorded for the course report.
provenance
    The commit, machine and versions each record and benchmark carries.
runner
    ``make run``: executes the notebooks in order and writes the report.
notebook_checks
    Checks on an executed notebook as a student sees it (figures shown,
    no error output, rendered in a browser).
lab
    ``make lab``: the Jupyter kernel settings and the JupyterLab command.
"""
