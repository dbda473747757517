"""Convolutional vs dense autoencoders at equal code size, and PCA.

Two tasks, each with a held-out split:

* noisy digits: ``load_digits`` / 16, held-out digits with Gaussian noise
  of standard deviation 0.3 (clipped to [0, 1]); ``DenoisingAutoencoder``
  (``noise_level=0.3``) with each architecture, 16-unit codes, the same
  epochs; the MSE of the cleaned images against the clean ones;
* colour patches: 8x8 patches of scikit-learn's two sample images
  (``extract_patches_2d``, flattened channel-first with
  ``flatten_images``), ``Autoencoder`` with each architecture, 16-unit
  codes (of 192 values); the held-out reconstruction MSE;
* the sizes of MNIST and CIFAR, denoised with 32-unit codes: digits
  up-sampled to 28x28 (noise 0.3) and 32x32 colour patches (noise 0.1),
  also with the automatic plan of earlier releases, ``(32, 32, 32)``.

Columns: number of weights, fit time (seconds, one fit), test MSE, and the
ratio of the MSE to PCA's with as many components. A third table measures
the decoder's up-sampling on the digits: nearest-neighbour up-sampling and
a convolution (the package's choice) against a stride-2 transposed
convolution of the same channels: fit time, test MSE and the checkerboard
energy of the reconstructions (mean absolute response to the 2x2 filter
``[[1, -1], [-1, 1]]``) relative to that of the clean images (1 means no
excess checkerboard).

Run ``python benchmarks/bench_conv.py`` (``--quick`` for a smoke test).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings

import numpy as np
import torch
from _common import machine, print_table
from sklearn.datasets import load_digits, load_sample_images
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.image import extract_patches_2d
from sklearn.model_selection import train_test_split
from torch import nn

from sklearn_ae import Autoencoder, DenoisingAutoencoder, flatten_images
from sklearn_ae._modules import ConvAutoencoderModule


def sample_patches(side, per_image):
    """``per_image`` random side x side patches of each sample image, flat."""
    patches = np.vstack(
        [
            extract_patches_2d(im / 255.0, (side, side), max_patches=per_image, random_state=i)
            for i, im in enumerate(load_sample_images().images)
        ]
    )
    return flatten_images(patches, return_shape=True)


def denoising_task(name, X, shape, noise, n_components, epochs, test_size=0.3):
    """Denoise held-out rows of X with Gaussian noise of std ``noise``."""
    X_train, X_test = train_test_split(X, test_size=test_size, random_state=0)
    rng = np.random.RandomState(1)
    noisy = np.clip(X_test + rng.normal(scale=noise, size=X_test.shape), 0, 1)
    return dict(
        name=name,
        X_train=X_train,
        X_input=noisy,
        X_target=X_test,
        image_shape=shape,
        n_components=n_components,
        make=lambda arch, **kw: DenoisingAutoencoder(
            n_components=n_components, architecture=arch, image_shape=shape,
            noise_level=noise, max_iter=epochs, random_state=kw.pop("seed"), **kw,
        ),
    )


def digits_task(quick):
    X = load_digits().data / 16.0
    return denoising_task("noisy digits 8x8", X, (1, 8, 8), 0.3, 16, 5 if quick else 200)


def patches_task(quick):
    P, shape = sample_patches(8, 300 if quick else 4000)
    P_train, P_test = train_test_split(P, test_size=0.25, random_state=0)
    epochs = 2 if quick else 50
    return dict(
        name="colour patches 3x8x8",
        X_train=P_train,
        X_input=P_test,
        X_target=P_test,
        image_shape=shape,
        make=lambda arch, **kw: Autoencoder(
            n_components=16, architecture=arch, image_shape=shape, batch_size=32,
            max_iter=epochs, random_state=kw.pop("seed"), **kw,
        ),
    )


def digits28_task(quick):
    """Digits up-sampled to 28x28 (bilinear), denoised: the size of MNIST."""
    from scipy.ndimage import zoom

    X = load_digits().data / 16.0
    X = np.clip(zoom(X.reshape(-1, 8, 8), (1, 3.5, 3.5), order=1), 0, 1).reshape(len(X), -1)
    return denoising_task("noisy digits 28x28", X, (1, 28, 28), 0.3, 32, 2 if quick else 30)


def patches32_task(quick):
    """32x32 colour patches of the sample images, denoised (CIFAR's size)."""
    P, shape = sample_patches(32, 100 if quick else 1500)
    return denoising_task(
        "noisy colour patches 3x32x32", P, shape, 0.1, 32, 2 if quick else 30, test_size=0.25
    )


#: The automatic plan of earlier releases: stages down to maps of 4 pixels,
#: 32 channels each (the plan now stops at maps of about 7 pixels and
#: doubles the channels at each stage).
ROUND2_PLAN = (32, 32, 32)


def n_weights(est):
    return sum(p.numel() for p in est.net_.module_.parameters())


def mse(a, b):
    return float(np.mean((a - b) ** 2))


def checkerboard(images, shape):
    """Mean absolute response to the 2x2 filter [[1, -1], [-1, 1]]."""
    imgs = images.reshape(-1, *shape)
    response = imgs[..., :-1, :-1] - imgs[..., 1:, :-1] - imgs[..., :-1, 1:] + imgs[..., 1:, 1:]
    return float(np.abs(response).mean())


class _TransposedConvModule(ConvAutoencoderModule):
    """The same module with stride-2 transposed convolutions to up-sample."""

    def _build_conv(self, image_shape, channels, activation, n_components):
        super()._build_conv(image_shape, channels, activation, n_components)
        conv_t = nn.ConvTranspose2d
        self.decoder_convs = nn.ModuleList(
            conv_t(layer.in_channels, layer.out_channels, 3, stride=2, padding=1, output_padding=1)
            for layer in self.decoder_convs
        )

    def decode_logits(self, z):
        h = self.hidden_activation(self.decoder_input(z))
        h = h.reshape(z.shape[0], self._channels[-1], *self.stage_sizes[-1])
        for layer, size in zip(self.decoder_convs, self.stage_sizes[-2::-1]):
            h = layer(h)[(..., *(slice(0, s) for s in size))]
            h = self.hidden_activation(h)
        return self.output_conv(h).flatten(1)


class _TransposedDenoiser(DenoisingAutoencoder):
    def _make_module(self, n_features):
        return _TransposedConvModule(
            self.image_shape_,
            self.hidden_layer_sizes_,
            self.n_components,
            activation=self.activation,
            output_activation=self._output_activation_name(),
        )


def fit_timed(est, X):
    start = time.perf_counter()
    est.fit(X)
    return est, time.perf_counter() - start


def architectures_table(task, seeds, earlier_plan=False):
    n_pca = task.get("n_components", 16)
    pca = PCA(n_components=n_pca).fit(task["X_train"])
    pca_mse = mse(pca.inverse_transform(pca.transform(task["X_input"])), task["X_target"])
    rows = [[task["name"], "PCA", task["X_train"].shape[1] * n_pca, "-", pca_mse, 1.0]]
    if task["X_input"] is not task["X_target"]:
        rows.append([task["name"], "input as is", 0, "-", mse(task["X_input"], task["X_target"]), mse(task["X_input"], task["X_target"]) / pca_mse])
    models = [("mlp", "mlp", {}), ("conv", "conv", {})]
    if earlier_plan:
        models.append((f"conv {ROUND2_PLAN}", "conv", {"hidden_layer_sizes": ROUND2_PLAN}))
    for name, arch, extra in models:
        errors, times = [], []
        for seed in seeds:
            est, seconds = fit_timed(task["make"](arch, seed=seed, **extra), task["X_train"])
            errors.append(mse(est.inverse_transform(est.transform(task["X_input"])), task["X_target"]))
            times.append(seconds)
        err = float(np.median(errors))
        rows.append([task["name"], name, n_weights(est), float(np.median(times)), err, err / pca_mse])
    return rows


def upsampling_table(task, seeds):
    shape = task["image_shape"]
    reference = checkerboard(task["X_target"], shape)
    rows = []
    for name, cls in (("nearest + conv", DenoisingAutoencoder), ("transposed conv", _TransposedDenoiser)):
        errors, times, checker = [], [], []
        for seed in seeds:
            est = task["make"]("conv", seed=seed)
            est = cls(**est.get_params())
            est, seconds = fit_timed(est, task["X_train"])
            recon = est.inverse_transform(est.transform(task["X_input"]))
            errors.append(mse(recon, task["X_target"]))
            times.append(seconds)
            checker.append(checkerboard(recon, shape) / reference)
        rows.append([name, n_weights(est), float(np.median(times)), float(np.median(errors)), float(np.median(checker))])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    seeds = range(1 if args.quick else args.seeds)
    print(machine())
    print(f"median over {len(seeds)} seed(s)\n")
    rows = []
    for task in (digits_task(args.quick), patches_task(args.quick)):
        rows.extend(architectures_table(task, seeds))
    for task in (digits28_task(args.quick), patches32_task(args.quick)):
        rows.extend(architectures_table(task, seeds, earlier_plan=True))
    print_table(rows, ["task", "model", "weights", "fit s", "test MSE", "MSE / PCA"])
    print("Decoder up-sampling, noisy digits (conv denoiser):")
    print_table(
        upsampling_table(digits_task(args.quick), seeds),
        ["up-sampling", "weights", "fit s", "test MSE", "checkerboard / clean"],
    )


if __name__ == "__main__":
    main()
