# %% [markdown]
# # Worked example: is the recommender worth shipping?
#
# This is `templates/roi_analysis.ipynb` instantiated for the recommender of
# `notebooks/recsys_take_rate.ipynb` and executed (`python tools/build_notebooks.py roi_example`,
# through the functions behind `bizml new` and `bizml run`). The yearly benefit is that notebook's predicted value
# of run **SVD rank 6**: about +\$3.95M a year, 90% range +\$1.22M to +\$7.07M (`benefit_range = "90%"`:
# 5% of the simulated futures fall below +\$1.22M and 5% above +\$7.07M). Those figures, and
# the costs below, are **illustrations**, not measurements. The parameters papermill injected
# are in the cell tagged `injected-parameters`, just after the template's defaults.

# %% tags=["injected-parameters"]
# Parameters
project_name = "recommender: SVD rank 6"
benefit_source = "the predicted yearly value of run 'SVD rank 6' in notebooks/recsys_take_rate.ipynb (90% range; illustrative figures)"
annual_benefit_low = 1220000.0
annual_benefit_mode = 3950000.0
annual_benefit_high = 7070000.0
benefit_range = "90%"
data_cost = 30000.0
eng_months = 18.0
monthly_rate = 20000.0
infra_setup = 120000.0
cloud_per_year = 400000.0
maintenance_share = 0.25
ramp_months = 3.0
years = 3
maturity_level = 1
