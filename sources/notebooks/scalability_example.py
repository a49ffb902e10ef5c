# %% [markdown]
# # Worked example: what will it cost to serve this model?
#
# This is `templates/scalability_planning.ipynb` executed with its defaults
# (`python tools/build_notebooks.py scalability_example`, through the function behind
# `bizml run`). The model, the traffic and the machine prices are **illustrations**.
