"""Quick start: an Autoencoder where PCA was.

Fits PCA and an Autoencoder with the same number of components on the
hand-written digits, compares their reconstruction error on held-out
images, then uses both as feature extractors before a classifier.
Runs in well under a minute on a laptop CPU.
"""

from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_ae import Autoencoder

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

print(f"{'n_components':>12} {'PCA MSE':>10} {'AE MSE':>10} {'PCA acc':>8} {'AE acc':>8}")
for n_components in (2, 8):
    errors, accuracies = [], []
    # early_stopping holds out a tenth of the training rows and stops once
    # their reconstruction stops improving (no need to guess max_iter)
    autoencoder = Autoencoder(n_components, early_stopping=True, random_state=0)
    for model in [PCA(n_components), autoencoder]:
        # The pipeline fits the model on X_train (labels are ignored by it),
        # then a classifier on its codes.
        clf = make_pipeline(model, LogisticRegression(max_iter=1000))
        accuracies.append(clf.fit(X_train, y_train).score(X_test, y_test))
        codes = clf[0].transform(X_test)
        errors.append(mean_squared_error(X_test, clf[0].inverse_transform(codes)))
    row = [n_components, *errors, *accuracies]
    print("{:>12} {:>10.4f} {:>10.4f} {:>8.3f} {:>8.3f}".format(*row))
