"""
===========================================================
Autoencoder features for a classifier, tuned by grid search
===========================================================

An autoencoder is a transformer, so it can feed a classifier inside a
:class:`~sklearn.pipeline.Pipeline`, and :class:`~sklearn.model_selection.GridSearchCV`
can choose between it and :class:`~sklearn.decomposition.PCA`, and pick the
code size, by cross-validated accuracy.
"""

# %%
# Data
# ----
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# One pipeline, two kinds of feature extractor
# --------------------------------------------
# The ``reduce`` step is a parameter of the search like any other: the grid
# tries PCA and an autoencoder, each with 4 and 8 components.
import warnings

from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_ae import Autoencoder

warnings.filterwarnings("ignore", category=ConvergenceWarning)

pipe = Pipeline(
    [
        ("scale", MinMaxScaler()),
        ("reduce", PCA()),
        ("clf", LogisticRegression(max_iter=2000)),
    ]
)
grid = {
    "reduce": [
        PCA(),
        Autoencoder(batch_size=100, max_iter=30, random_state=0),
    ],
    "reduce__n_components": [4, 8],
}
search = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)
print("best:", search.best_params_)
print(f"test accuracy of the best pipeline: {search.score(X_test, y_test):.3f}")

# %%
# Results
# -------
# With 4 components the autoencoder's features separate the classes
# clearly better than PCA's; with 8 the linear features come close. The
# autoencoder's lead depends on its training budget: fewer epochs or larger
# batches than here can leave it behind PCA, so tune ``max_iter`` and
# ``batch_size`` too when the search has the time.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

results = pd.DataFrame(search.cv_results_)
results["reducer"] = [type(p).__name__ for p in results["param_reduce"]]
table = results.pivot(
    index="param_reduce__n_components", columns="reducer", values="mean_test_score"
)
print(table)

fig, ax = plt.subplots()
width = 0.35
positions = np.arange(len(table.index))
for i, reducer in enumerate(table.columns):
    ax.bar(positions + i * width, table[reducer], width, label=reducer)
ax.set_xticks(positions + width / 2, labels=[str(n) for n in table.index])
ax.set_xlabel("n_components")
ax.set_ylabel("cross-validated accuracy")
ax.set_ylim(0.5, 1.0)
ax.legend()
plt.show()
