"""PyTorch building blocks: the maths behind the estimators.

Every module exposes ``encode(x)`` (codes), ``decode_logits(z)`` (the
decoder's pre-activation output) and ``decode(z)`` (the reconstruction), and
its ``forward(x, generator=None)`` returns a dict with at least ``"logits"``
and ``"code"`` so that one objective function can read what it needs; a
module that draws at random in training draws from ``generator``.

:func:`build_module` constructs any of them without touching torch's global
random generator and initialises every weight from a generator the fit owns.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import torch
from torch import nn
from torch.nn import functional as F

_ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}

ACTIVATION_NAMES = tuple(_ACTIVATIONS)


def make_activation(name):
    """Return a fresh ``nn.Module`` for the activation called ``name``."""
    return _ACTIVATIONS[name]()


#: Layers ``build_module`` initialises as torch's default does.
_INIT_AS_LINEAR = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
)


def build_module(factory, generator):
    """Call ``factory()`` and initialise its weights from ``generator``.

    The module is constructed on the meta device, so torch's process-wide
    random generator is never drawn from, then given uninitialised CPU
    storage and initialised here: linear and convolution layers as torch
    initialises them by default (``kaiming_uniform_(a=sqrt(5))`` weights,
    uniform biases in ``+-1/sqrt(fan_in)``), in the order the layers were registered, and any
    module's own extra parameters by its ``reset_own_parameters``. Two fits
    in two threads therefore never interleave their draws.

    Parameters
    ----------
    factory : callable
        Returns an ``nn.Module``.
    generator : torch.Generator
        A CPU generator.

    Returns
    -------
    nn.Module, on the CPU
    """
    with torch.device("meta"):
        module = factory()
    module.to_empty(device="cpu")
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, _INIT_AS_LINEAR):
                nn.init.kaiming_uniform_(sub.weight, a=math.sqrt(5), generator=generator)
                if sub.bias is not None:
                    fan_in = sub.weight[0].numel()
                    bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
                    nn.init.uniform_(sub.bias, -bound, bound, generator=generator)
            elif hasattr(sub, "reset_own_parameters"):
                sub.reset_own_parameters()
    return module


def set_input_map(module, mean, scale):
    """Give ``module``'s encoder the fixed input map ``(x - mean) / scale``.

    For estimators whose reconstruction is bounded (``loss="bce"``, a
    logistic or tanh output) the rows stay in the data's units, which the
    decoder's target must keep; the encoder reads them standardised all the
    same, as every other estimator's does (a network learns faster from
    centred inputs of unit scale: LeCun et al., "Efficient BackProp", 1998).
    The map is a pair of buffers, saved with the weights, and elementwise,
    so a row's codes still depend on that row only.
    """
    module.register_buffer("input_shift", torch.as_tensor(mean, dtype=torch.float32).clone())
    module.register_buffer("input_inv_scale", torch.tensor(1.0 / float(scale)))
    return module


def set_output_bias(module, mean):
    """Start a bounded reconstruction at the training rows' mean.

    A fresh decoder's logits are near 0: a logistic output reconstructs
    every feature as 0.5 and a tanh one as 0, while a standardised
    (``"mse"``) model starts at the mean, its zero. Setting the last
    layer's bias to the output activation's inverse at each feature's mean
    (per channel for a convolution) starts both alike, so the first epochs
    learn the structure rather than the background (Karpathy, "A Recipe for
    Training Neural Networks", 2019: "init well"). Means are clipped to
    ``[1e-3, 1 - 1e-3]`` (logistic) or ``[-1 + 1e-3, 1 - 1e-3]`` (tanh).
    """
    activation = type(module.output_activation)
    if activation not in (nn.Sigmoid, nn.Tanh):
        return module
    mean = torch.as_tensor(mean, dtype=torch.float64)
    if hasattr(module, "output_conv"):  # one bias per channel
        mean = mean.reshape(module.image_shape[0], -1).mean(dim=1)
        bias = module.output_conv.bias
    else:
        bias = module.decoder_layers[-1].bias
    eps = 1e-3
    if activation is nn.Sigmoid:
        value = torch.logit(mean.clamp(eps, 1 - eps))
    else:
        value = torch.atanh(mean.clamp(-1 + eps, 1 - eps))
    with torch.no_grad():
        bias.copy_(value.to(bias.dtype))
    return module


class _InputMap:
    """``_map_input(x)``: the encoder's input map of :func:`set_input_map`, if set."""

    def _map_input(self, x):
        shift = self._buffers.get("input_shift")
        if shift is None:
            return x
        return (x - shift) * self._buffers["input_inv_scale"]


def _topk_mask(z, k):
    """Keep the ``k`` largest entries of each row of ``z``; zero the rest.

    Exactly ``k`` entries per row survive, ties included.
    """
    if k >= z.shape[1]:
        return z
    keep = torch.zeros_like(z, dtype=torch.bool)
    keep.scatter_(1, torch.topk(z, k, dim=1).indices, True)
    return z.masked_fill(~keep, 0.0)


#: In-place forms of the activation modules that have one.
IN_PLACE_ACTIVATIONS = {
    nn.ReLU: torch.Tensor.relu_,
    nn.Tanh: torch.Tensor.tanh_,
    nn.Sigmoid: torch.Tensor.sigmoid_,
}


class _TiedLinear(nn.Module):
    """A decoder layer that reuses an encoder layer's weights transposed.

    Computes ``y @ W + c`` where ``W`` is the encoder layer's weight
    (``out x in``), so that it maps back from ``out`` to ``in`` features. Only
    the bias ``c`` is a parameter of its own.
    """

    def __init__(self, encoder_layer):
        super().__init__()
        # A list hides the shared layer from ``parameters()`` and
        # ``state_dict()`` of this module: the weight belongs to the encoder.
        self._source = [encoder_layer]
        self.bias = nn.Parameter(torch.zeros(encoder_layer.in_features))

    def reset_own_parameters(self):
        nn.init.zeros_(self.bias)

    def forward(self, y):
        return F.linear(y, self._source[0].weight.t(), self.bias)


class _MLPStack(_InputMap, nn.Module):
    """What every MLP module here shares: hidden layers and the decoder.

    Subclasses set ``hidden_activation``, ``output_activation`` and
    ``decoder_layers`` (the last layer outputs logits).
    """

    #: An in-place form of ``hidden_activation`` (e.g. ``torch.relu_``), set
    #: only on the inference views (``_inference.row_independent_view``): each layer's output
    #: is a tensor of the view's own there (fresh, or a folded layer's
    #: per-call buffer) and no graph is kept, so it is activated where it
    #: lies instead of into a new tensor (bitwise the same values).
    _activate_in_place = None

    def _hidden(self, layers, x):
        activate = self._activate_in_place or self.hidden_activation
        for layer in layers:
            x = activate(layer(x))
        return x

    def _through(self, layers, x):
        """``x`` through every layer of ``layers`` (a ModuleList) but the last,
        each followed by the hidden activation, then through the last.

        The layers are read by iterating, not slicing: a ModuleList slice
        builds a new ModuleList, on every call.
        """
        *hidden, last = layers
        return last(self._hidden(hidden, x))

    def decode_logits(self, z):
        return self._through(self.decoder_layers, z)

    def decode(self, z):
        return self.output_activation(self.decode_logits(z))


class _DeterministicCode:
    """``encode`` and ``forward`` of a module with one deterministic code.

    Subclasses provide ``encode_pre`` (the code layer's pre-activation),
    ``decode_logits``, and the attributes ``code_activation``, ``topk`` and
    ``train_topk``.
    """

    def encode(self, x):
        z = self.code_activation(self.encode_pre(x))
        if self.topk is not None:
            k = self.train_topk if self.training and self.train_topk else self.topk
            z = _topk_mask(z, k)
        return z

    def forward(self, x, generator=None):
        code = self.encode(x)
        return {"code": code, "logits": self.decode_logits(code)}


class MLPAutoencoderModule(_DeterministicCode, _MLPStack):
    """A fully connected autoencoder whose decoder mirrors its encoder.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths, from the input towards the code. The decoder
        uses them in reverse.
    n_components : int
        Width of the code.
    activation : str
        Hidden activation, one of ``ACTIVATION_NAMES``.
    code_activation : str
        Activation applied to the code (``"identity"`` gives linear codes as
        in PCA; ``"logistic"`` gives codes in (0, 1)).
    output_activation : str
        Activation turning the decoder's logits into the reconstruction.
    tied_weights : bool
        If True each decoder layer uses the transposed weight of its mirror
        encoder layer and keeps only its own bias.
    topk : int or None
        If set, only the ``topk`` largest code units of each sample are kept.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_components,
        *,
        activation="relu",
        code_activation="identity",
        output_activation="identity",
        tied_weights=False,
        topk=None,
    ):
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes, n_components]
        self.encoder_layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])
        )
        if tied_weights:
            decoder = [_TiedLinear(layer) for layer in reversed(self.encoder_layers)]
        else:
            decoder = [
                nn.Linear(b, a) for a, b in zip(reversed(sizes[:-1]), reversed(sizes[1:]))
            ]
        self.decoder_layers = nn.ModuleList(decoder)
        self.hidden_activation = make_activation(activation)
        self.code_activation = make_activation(code_activation)
        self.output_activation = make_activation(output_activation)
        self.topk = topk
        # Units kept per sample in training, when a schedule sets it (a
        # k-sparse code annealed from dense); inference always keeps topk.
        self.train_topk = None

    def encode_pre(self, x):
        """Pre-activation of the code layer."""
        return self._through(self.encoder_layers, self._map_input(x))


class LayerStage(_DeterministicCode, _InputMap, nn.Module):
    """Stage ``k`` of layer-wise pretraining: a shallow autoencoder in a deep one.

    Encoder layer ``k`` of ``module`` (an :class:`MLPAutoencoderModule`) and
    its mirror decoder layer, shared with ``module`` (training the stage
    trains them in place): it encodes the codes of layer ``k - 1`` (the data
    for ``k = 0``) and reconstructs them. Its parameters are those two
    layers only, so an optimizer over them leaves every other layer as it
    is. Its code is layer ``k``'s activation: the hidden activation, or the
    code activation (and top-k) for the last layer.

    Parameters
    ----------
    module : MLPAutoencoderModule
    k : int
        Index of the encoder layer, from 0 (the input's) to
        ``len(module.encoder_layers) - 1`` (the code layer).
    """

    def __init__(self, module, k):
        super().__init__()
        n_layers = len(module.encoder_layers)
        last = k == n_layers - 1
        self.encoder_layers = nn.ModuleList([module.encoder_layers[k]])
        self.decoder_layers = nn.ModuleList([module.decoder_layers[n_layers - 1 - k]])
        self.code_activation = module.code_activation if last else module.hidden_activation
        self.topk = module.topk if last else None
        self.train_topk = None
        if k == 0 and module._buffers.get("input_shift") is not None:
            for name in ("input_shift", "input_inv_scale"):
                self.register_buffer(name, module._buffers[name])  # shared

    def encode_pre(self, x):
        return self.encoder_layers[0](self._map_input(x))

    def decode_logits(self, z):
        return self.decoder_layers[0](z)


def stage_inputs(module, k, x):
    """The codes of layer ``k - 1`` of ``module`` for rows ``x`` (``x`` for k = 0)."""
    if k == 0:
        return x
    x = module._map_input(x)
    for layer in module.encoder_layers[:k]:
        x = module.hidden_activation(layer(x))
    return x


class _GaussianLatent:
    """The variational part of a module: a diagonal Gaussian ``q(z|x)``.

    Subclasses provide ``_features(x)`` (the encoder's last hidden layer),
    ``mean_head``, ``logvar_head``, ``log_noise`` and ``decode_logits``.
    """

    # Log-variances are clamped so that float32 ``exp`` never overflows
    # (it does above ~88) nor underflows to a zero variance.
    LOGVAR_MIN, LOGVAR_MAX = -30.0, 20.0
    # The shared observation variance stays within [6e-6, 1.6e5] times the
    # squared scale of the (standardised) data, so the likelihood cannot
    # become unbounded on data the decoder reproduces exactly.
    LOG_NOISE_MIN, LOG_NOISE_MAX = -12.0, 12.0

    def _init_observation_noise(self, observation_noise):
        if observation_noise:
            self.log_noise = nn.Parameter(torch.zeros(()))
        else:
            self.register_parameter("log_noise", None)

    def reset_own_parameters(self):
        if self.log_noise is not None:
            nn.init.zeros_(self.log_noise)

    @property
    def log_noise_var(self):
        """Clamped log-variance of the Gaussian observation noise, or None."""
        if self.log_noise is None:
            return None
        return self.log_noise.clamp(self.LOG_NOISE_MIN, self.LOG_NOISE_MAX)

    def posterior(self, x):
        """Mean and clamped log-variance of ``q(z|x)``."""
        h = self._features(x)
        logvar = self.logvar_head(h).clamp(self.LOGVAR_MIN, self.LOGVAR_MAX)
        return self.mean_head(h), logvar

    def encode(self, x):
        return self.posterior(x)[0]

    @staticmethod
    def reparameterize(mean, logvar, eps=None, generator=None):
        """``mean + std * eps``; ``eps`` is drawn from ``generator`` if None."""
        if eps is None:
            eps = torch.randn(
                mean.shape, generator=generator, dtype=mean.dtype, device=mean.device
            )
        return mean + torch.exp(0.5 * logvar) * eps

    def forward(self, x, generator=None):
        mean, logvar = self.posterior(x)
        if self.training:
            z = self.reparameterize(mean, logvar, generator=generator)
        else:
            z = mean
        return {
            "code": z,
            "mean": mean,
            "logvar": logvar,
            "logits": self.decode_logits(z),
        }


class GaussianLatentModule(_GaussianLatent, _MLPStack):
    """Encoder to a diagonal Gaussian posterior, and an MLP decoder.

    The encoder maps ``x`` to the mean and log-variance of ``q(z|x)``; during
    training ``forward`` draws ``z`` with the reparameterisation trick, in
    evaluation mode it uses the mean, so inference is deterministic.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths; the decoder uses them in reverse.
    n_components : int
        Number of latent units.
    activation : str
        Hidden activation, one of ``ACTIVATION_NAMES``.
    output_activation : str
        Turns the decoder's logits into the mean of ``p(x|z)``.
    observation_noise : bool
        If True, the module learns one shared log-variance of a Gaussian
        ``p(x|z)``, exposed (clamped) as ``log_noise_var``.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_components,
        *,
        activation="relu",
        output_activation="identity",
        observation_noise=True,
    ):
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes]
        self.encoder_layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.mean_head = nn.Linear(sizes[-1], n_components)
        self.logvar_head = nn.Linear(sizes[-1], n_components)
        dec_sizes = [n_components, *reversed(hidden_layer_sizes), n_features]
        self.decoder_layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dec_sizes[:-1], dec_sizes[1:])
        )
        self.hidden_activation = make_activation(activation)
        self.output_activation = make_activation(output_activation)
        self._init_observation_noise(observation_noise)

    def _features(self, x):
        return self._hidden(self.encoder_layers, self._map_input(x))



def conv_stage_sizes(spatial, n_stages):
    """Spatial size after each encoder stage (each halves, rounding up).

    ``spatial`` is ``(length,)`` or ``(height, width)``; returns a list of
    ``n_stages + 1`` tuples, the input's size first.
    """
    sizes = [tuple(spatial)]
    for _ in range(n_stages):
        sizes.append(tuple(-(-s // 2) for s in sizes[-1]))
    return sizes


class _ConvStack(_InputMap, nn.Module):
    """A convolutional encoder trunk and its mirrored decoder.

    Rows arrive flat, in channel-first order (``channels x height x width``,
    or ``channels x length`` for 1-D signals), and are viewed as images.
    Each encoder stage is a 3x3 (or 3) convolution of stride 2 with padding
    1 and the hidden activation: it halves the maps, rounding up, so odd
    sizes (5x7, 28x28) lose no pixel; the last maps are flattened
    (``_features``). The decoder maps a code with a dense layer and the
    activation to the last stage's maps; each stage then up-samples by 2
    (nearest neighbour), crops to the size its mirror encoder stage had,
    convolves and applies the activation; a last 3x3 convolution at full
    size outputs the image's channels (logits).

    Measured on noisy digits (``benchmarks/bench_conv.py``): a strided
    convolution denoised better than a convolution followed by max pooling
    at the same weights, and nearest up-sampling followed by a convolution
    better than a stride-2 transposed convolution (test MSE 0.0199 against
    0.0210), which was twice as fast on the CPU. Neither left excess
    checkerboard energy on 8x8 digits; nearest up-sampling cannot make the
    pattern that the uneven overlap of a transposed convolution's kernels
    makes on larger images (Odena et al., 2016), so it is the safe default.
    """

    def _build_conv(self, image_shape, channels, activation, n_components):
        in_channels, *spatial = image_shape
        conv = nn.Conv1d if len(spatial) == 1 else nn.Conv2d
        self.image_shape = tuple(image_shape)
        self.stage_sizes = conv_stage_sizes(spatial, len(channels))
        plan = [in_channels, *channels]
        self.encoder_convs = nn.ModuleList(
            conv(a, b, 3, stride=2, padding=1) for a, b in zip(plan[:-1], plan[1:])
        )
        self.n_flat = plan[-1] * math.prod(self.stage_sizes[-1])
        self.hidden_activation = make_activation(activation)
        self._channels = tuple(channels)
        self._build_heads(n_components)
        self.decoder_input = nn.Linear(n_components, self.n_flat)
        # Stage i maps channels[i] to channels[i - 1] (the first keeps
        # channels[0]); the output convolution maps to the image's channels.
        outputs = [channels[0], *channels[:-1]][::-1]
        self.decoder_convs = nn.ModuleList(
            conv(a, b, 3, padding=1) for a, b in zip(channels[::-1], outputs)
        )
        self.output_conv = conv(channels[0], in_channels, 3, padding=1)

    def _features(self, x):
        h = self._map_input(x).reshape(x.shape[0], *self.image_shape)
        for layer in self.encoder_convs:
            h = self.hidden_activation(layer(h))
        return h.flatten(1)

    def decode_logits(self, z):
        h = self.hidden_activation(self.decoder_input(z))
        h = h.reshape(z.shape[0], self._channels[-1], *self.stage_sizes[-1])
        for layer, size in zip(self.decoder_convs, self.stage_sizes[-2::-1]):
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = h[(..., *(slice(0, s) for s in size))]
            h = self.hidden_activation(layer(h))
        return self.output_conv(h).flatten(1)

    def decode(self, z):
        return self.output_activation(self.decode_logits(z))


class ConvAutoencoderModule(_DeterministicCode, _ConvStack):
    """A convolutional autoencoder: conv stages, a dense code, a mirror.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)``, or ``(channels, length)`` for 1-D
        signals; rows are flat in that (channel-first) order.
    channels : tuple of int
        Channels of the encoder's stages (at least one), from the input
        towards the code; each stage halves the spatial size.
    n_components : int
        Width of the code.
    activation, code_activation, output_activation : str
        As in :class:`MLPAutoencoderModule`.
    topk : int or None
        If set, only the ``topk`` largest code units of each sample are kept.
    """

    def __init__(
        self,
        image_shape,
        channels,
        n_components,
        *,
        activation="relu",
        code_activation="identity",
        output_activation="identity",
        topk=None,
    ):
        super().__init__()
        self._build_conv(image_shape, channels, activation, n_components)
        self.code_activation = make_activation(code_activation)
        self.output_activation = make_activation(output_activation)
        self.topk = topk
        self.train_topk = None

    def _build_heads(self, n_components):
        self.code_layer = nn.Linear(self.n_flat, n_components)

    def encode_pre(self, x):
        """Pre-activation of the code layer."""
        return self.code_layer(self._features(x))


class ConvGaussianLatentModule(_GaussianLatent, _ConvStack):
    """A convolutional encoder to a diagonal Gaussian posterior, and a mirror.

    Parameters
    ----------
    image_shape, channels : tuple of int
        As in :class:`ConvAutoencoderModule`.
    n_components : int
        Number of latent units.
    activation, output_activation : str
        As in :class:`GaussianLatentModule`.
    observation_noise : bool
        As in :class:`GaussianLatentModule`.
    """

    def __init__(
        self,
        image_shape,
        channels,
        n_components,
        *,
        activation="relu",
        output_activation="identity",
        observation_noise=True,
    ):
        super().__init__()
        self._build_conv(image_shape, channels, activation, n_components)
        self.output_activation = make_activation(output_activation)
        self._init_observation_noise(observation_noise)

    def _build_heads(self, n_components):
        self.mean_head = nn.Linear(self.n_flat, n_components)
        self.logvar_head = nn.Linear(self.n_flat, n_components)
