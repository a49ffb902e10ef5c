# %% [markdown]
# # Worked example: is the classifier still working?
#
# This is `templates/silent_failure_monitoring.ipynb` executed with its defaults
# (`python tools/build_notebooks.py monitoring_example`, through the function behind
# `bizml run`): generated data in which two inputs of the model shift half-way through the
# analysis period (covariate shift). The data and the values are **illustrations**.
