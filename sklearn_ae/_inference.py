"""Row-independent inference: a row's output never depends on the other rows.

scikit-learn's common checks (``check_methods_sample_order_invariance``,
``check_methods_subset_invariance``) and our own promise ask that a row's
codes and score be the same whatever rows it is batched with and wherever it
stands in the batch. A dense layer computed as one matrix product over the
batch (``addmm``) does not guarantee that: a BLAS library picks its kernel by
the batch's shape and CPU, and some kernels round a row by its position --
matrix-vector paths for layers of a few units, edge kernels for the last rows
of a block, different ones on Intel, AMD and ARM CPUs. Measured: on an AMD
EPYC CPU, 44 of 168 permuted or prefix calls of models with 1- and 2-unit
codes differed beyond scikit-learn's tolerance.

The guarantee here is built, not measured:

- every call of the inference loop (``_BaseAutoencoder._infer``) runs the
  network on batches of one shape (``inference_batch_size`` rows; a call
  with fewer rows is padded), so every layer sees one shape of matrix
  product whatever rows the user passes;
- a *narrow* layer, one with at most :data:`NARROW_WIDTH` inputs or outputs
  (codes, a VAE's heads, the first layer of data with few features, a
  decoder's first layer), is computed by :func:`row_linear` as a batch of
  per-row products of one shape, ``(1, in) @ (in, out)`` (``baddbmm`` with
  the weight broadcast over the batch). Each row is its own product: the
  kernel that computes it is the same for every row and sees no other row,
  so no library, CPU or GPU can round a row by its position. This is the
  case where position-dependent kernels were observed, and it costs little:
  such layers are a small share of a network's work (measured on the
  784-256-64-16 benchmark model: within the noise of ``transform``);
- a wide layer keeps the blocked matrix product (``addmm``), whose
  blocked kernels (MKL, OpenBLAS, oneDNN, cuBLAS) compute each output as
  one dot product whose order is fixed by the shape, which is the same for
  every batch (first point). Computing wide layers row by row as well costs
  3-5x on them (measured), which is why they are not.

Elementwise maths are row-wise by nature where every element takes the
same path. That holds for exact operations (ReLU, top-k, adding, scaling)
but not for transcendental ones in float32: torch's CPU loops compute most
elements with vectorized (SLEEF) ``exp``/``tanh`` and the elements of a
loop's tail, after the last full vector (and at the ends of the chunks
threads split a large tensor into), with the scalar C library's, and the
two differ by an ulp. Which elements fall in a tail depends on the batch's
size and the row's position. So the view computes the logistic and tanh
activations in float64 (:class:`Float64Activation`) and rounds them to
float32: the two paths then differ by an ulp of float64, which rounding to
float32 absorbs except in the rare case where the two land on either side
of a float32 rounding boundary (about one element in 10^8-10^9, then by one
float32 ulp, within scikit-learn's tolerance for most values); the
deterministic models' scores sum their per-feature errors in float64 for
the same reason.
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy

import torch
from torch import nn

from ._modules import IN_PLACE_ACTIVATIONS, _TiedLinear

#: Layers with at most this many inputs or outputs are computed row by row.
NARROW_WIDTH = 16


def is_narrow(weight):
    """Whether a layer of this ``(out, in)`` weight is computed row by row."""
    return min(weight.shape) <= NARROW_WIDTH


def row_linear(x, weight, bias, out=None):
    """``x @ weight.T + bias`` with each row computed as its own product.

    ``x`` is ``(n, in)``, ``weight`` ``(out, in)``, ``bias`` ``(out,)``; the
    result, ``(n, out)``, is written into ``out`` when given. The weight is
    broadcast over the rows (no copy), so each row is a ``(1, in) @ (in,
    out)`` product of the same shape, whose rounding cannot depend on the
    other rows nor on the row's position.
    """
    n = x.shape[0]
    width = weight.shape[0]
    mat = weight.t().unsqueeze(0).expand(n, -1, -1)
    if out is not None:
        out = out.view(n, 1, width)
    if bias is None:
        result = torch.bmm(x.unsqueeze(1), mat, out=out)
    else:
        result = torch.baddbmm(bias.view(1, 1, width).expand(n, 1, width), x.unsqueeze(1), mat,
                               out=out)
    return result.view(n, width)


class RowLinear(nn.Module):
    """A narrow dense layer, row by row (see :func:`row_linear`).

    Holds the tensors it is given (a layer's own parameters, or a tied
    layer's transposed weight), so it always computes with their current
    values; made per inference call by :func:`row_independent_view`.
    """

    def __init__(self, weight, bias):
        super().__init__()
        self.weight = weight
        self.bias = bias

    def forward(self, x):
        return row_linear(x, self.weight, self.bias)


class Float64Activation(nn.Module):
    """A transcendental activation computed in float64, rounded back.

    See the module's docstring: the vectorized and scalar paths of torch's
    float32 ``tanh`` and ``sigmoid`` differ by an ulp, and which one an
    element takes depends on its position.
    """

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x.double()).to(x.dtype)


#: Activations computed in float64 by the inference view.
_FLOAT64_ACTIVATIONS = {nn.Tanh: torch.tanh, nn.Sigmoid: torch.sigmoid}
_ACTIVATION_NAMES = ("hidden_activation", "code_activation", "output_activation")


def _linear_parts(layer):
    """Weight ``(out, in)`` and bias of a dense layer, or None."""
    if type(layer) is nn.Linear:
        return layer.weight, layer.bias
    if type(layer) is _TiedLinear:
        return layer._source[0].weight.t(), layer.bias
    return None


def row_independent(layer):
    """``layer``, or a :class:`RowLinear` computing it if it is narrow."""
    parts = _linear_parts(layer)
    if parts is None or not is_narrow(parts[0]):
        return layer
    return RowLinear(*parts)


def _replaced(replace, key, layer):
    return replace[key] if key in replace else row_independent(layer)


def row_independent_view(module, replace=None, in_place=False):
    """A shallow copy of ``module`` for inference, row-independent.

    Every narrow dense layer among its direct children (and in its
    ``ModuleList`` children) is computed by :class:`RowLinear`, and the
    logistic and tanh activations by :class:`Float64Activation`; the copy
    shares every other layer and every parameter with ``module``.
    ``replace`` maps ``(child name, index)`` (index None for a direct child)
    to a layer put in that place instead (e.g. a folded layer). With
    ``in_place`` the hidden activations run in place (``_activate_in_place``
    of ``_MLPStack``): only for a view no graph is recorded through.
    """
    replace = replace or {}
    view = copy.copy(module)
    view._modules = dict(module._modules)
    for name, child in module._modules.items():
        if isinstance(child, nn.ModuleList):
            view._modules[name] = nn.ModuleList(
                [_replaced(replace, (name, i), layer) for i, layer in enumerate(child)]
            )
        else:
            view._modules[name] = _replaced(replace, (name, None), child)
    for name in _ACTIVATION_NAMES:
        fn = _FLOAT64_ACTIVATIONS.get(type(module._modules.get(name)))
        if fn is not None:
            view._modules[name] = Float64Activation(fn)
    hidden = type(view._modules.get("hidden_activation"))
    if in_place and hidden in IN_PLACE_ACTIVATIONS:
        view._activate_in_place = IN_PLACE_ACTIVATIONS[hidden]
    return view
