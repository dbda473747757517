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

- every call of the inference loop (:func:`infer`) runs the
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
deterministic models' scores sum their per-feature errors in float64,
where exp or log enter them (``loss="bce"``, logistic or tanh outputs), for
the same reason.
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy

import numpy as np
import torch
from scipy.sparse import issparse
from torch import nn

from ._config import get_config
from ._data import HostToDevice, one_ahead
from ._graph import precision_context
from ._modules import IN_PLACE_ACTIVATIONS, _TiedLinear
from ._scaling import dense_rows, iter_rows
from ._threads import forward_work, thread_budget

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


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_float32_range(X, name="X"):
    """Refuse finite float64 values that would become inf as float32."""
    if X.dtype == np.float64 and X.size:
        # max and min, not abs: no temporary copy of a large X.
        peak = max(float(X.max()), -float(X.min()))
        if peak > _FLOAT32_MAX:
            raise ValueError(
                f"Input {name} contains values too large for float32 (largest "
                f"magnitude {peak:.3g} > {_FLOAT32_MAX:.3g}); the network trains "
                "in float32. Rescale the data first, e.g. with StandardScaler."
            )


def _as_float32(t, buffer=None):
    """A host tensor as float32: itself, or cast into ``buffer`` when given.

    Inference casts one chunk at a time into one buffer per call: a fresh
    multi-megabyte tensor per chunk would be fresh pages, faulted in each
    time.
    """
    if t.dtype == torch.float32:
        return t
    return t.to(torch.float32) if buffer is None else buffer[: t.shape[0]].copy_(t)


def _checked_float32(t, name="X", buffer=None):
    """A host tensor of data as float32, refusing NaN, infinity and overflow.

    The finiteness check of inference, one chunk at a time: a float32 sum
    (one cheap pass; multi-threaded, unlike NumPy's) is finite exactly when
    every value is, except that a sum of large finite values may overflow,
    so only a non-finite sum is looked at value by value.
    """
    t32 = _as_float32(t, buffer)
    suspect = t32.numel() and not bool(torch.isfinite(t32.sum()))
    if suspect and not bool(torch.isfinite(t32).all()):
        _raise_nonfinite(bool(torch.isnan(t).any()), bool(torch.isfinite(t).all()), name)
        _check_float32_range(t.numpy(), name)
    return t32


def _raise_nonfinite(has_nan, all_finite, name="X"):
    """The errors for NaN and infinity in the input, the same at fit and inference."""
    if has_nan:
        raise ValueError(
            f"Input {name} contains NaN. Impute or drop missing values first, "
            "e.g. with sklearn.impute.SimpleImputer."
        )
    if not all_finite:
        raise ValueError(f"Input {name} contains infinity or a value too large for dtype.")


def _check_all_finite(X):
    """Refuse NaN and infinity in X (a chunk of rows at a time), as inference does.

    A float64 sum per chunk is finite exactly when every value is, unless
    finite values overflow it; only then are the values looked at one by one.
    """
    for chunk in [X.data] if issparse(X) else iter_rows(X):
        with np.errstate(over="ignore", invalid="ignore"):
            suspect = chunk.size and not np.isfinite(chunk.sum(dtype=np.float64))
        if suspect:
            _raise_nonfinite(bool(np.isnan(chunk).any()), bool(np.isfinite(chunk).all()))


class _FoldedLinear(torch.nn.Module):
    """A linear layer over given tensors, that also checks its input is finite.

    The check costs a sum over one output unit instead of a pass over the
    input: a unit none of whose weights is 0 (the ``sentinel``) outputs a
    non-finite value for every row holding a NaN or an infinity (or when
    it overflows); ``nonfinite`` then tells :func:`infer` to look at the input.
    Without such a unit (None: some weight of every unit is exactly 0), all
    the outputs are summed; ``sentinel=False`` watches nothing (a folded
    last layer). One instance per call: the flag is the call's.

    Its output, the widest activation of an encoder (or the reconstruction),
    is written into one buffer per call, reused by every batch (all have
    the same shape): a fresh multi-megabyte tensor per batch would be fresh
    pages, faulted in each time. The batch's output is consumed before the
    next batch starts, so nothing else reads the buffer. (The sentinel's
    sum is read at once for the same reason: keeping a small tensor alive
    per batch measured slower, it keeps the allocator from reusing freed
    buffers.) A narrow layer is computed row by row like every narrow layer
    of inference (:func:`row_linear`), a wide one by ``addmm``, the kernel
    ``linear`` runs.
    """

    def __init__(self, weight, bias, sentinel):
        super().__init__()
        self.weight = weight
        self.bias = bias
        self.sentinel = sentinel
        self.nonfinite = False
        self._out = None

    def forward(self, x):
        if self._out is None or self._out.shape[0] != x.shape[0]:
            self._out = x.new_empty((x.shape[0], self.weight.shape[0]))
        if is_narrow(self.weight):  # row by row (see _inference.py)
            out = row_linear(x, self.weight, self.bias, out=self._out)
        else:
            out = torch.addmm(self.bias, x, self.weight.t(), out=self._out)
        if self.sentinel is False:  # a last layer: nothing to watch
            return out
        watched = out if self.sentinel is None else out[:, self.sentinel]
        if not bool(torch.isfinite(watched.sum())):
            self.nonfinite = True
        return out


def _check_finite_output(out, method=None):
    """Refuse outputs that overflowed float32 inside the network."""
    if not np.isfinite(out).all():
        raise ValueError(
            f"{method or 'The network'} produced non-finite values: the input is too far from the "
            "training data for the float32 network (it overflowed). Rescale X to "
            "the range the model was fitted on."
        )
    return out
def infer(
    fn, X, *, module, scaling, device, batch_size, out_width, from_data=True, to_data=False,
    method=None, fold=None, fold_cache=None,
):
    """Run ``fn(batch, module=view)`` on X in batches under inference mode.

    The one batching loop of inference, on a bare ``module`` (no fitted
    estimator needed): ``scaling`` maps the data's units to the module's
    (``DataScaling``), ``device`` is where the module lives, ``batch_size``
    the rows of every batch, ``out_width`` the output's width (None: one
    value a row), ``method`` the name an error quotes, ``fold_cache`` a
    dict that keeps the folded layers between calls.

    Every batch ``fn`` sees has exactly ``batch_size`` rows: a last,
    partial batch is
    completed with the rows before it (the batch overlaps the previous
    one; only its new rows' outputs are kept), a call with fewer rows
    is padded with zero rows, whose outputs are dropped. With one shape
    for every batch, and narrow layers computed row by row in the view
    ``fn`` gets (:func:`inference_view`), a row's output does not depend
    on the other rows of the call nor on its position in a batch (see
    this module's docstring for why this holds on any CPU or GPU).

    Each chunk of X (``from_data``) is checked (NaN, infinity, float32
    range), and mapped to model space: in
    float32 with torch when the scaling allows it
    (``DataScaling.float32_safe``), else in float64 on the host. With
    ``fold`` the map is instead folded into the view of the module (see
    :func:`inference_view`; ``"encoder"``: its first layer, for an encoder,
    which then reads rows in data units; ``"decoder"``: its last, for a
    decoder that writes them; ``"both"``). Outputs in data units (``to_data``) are otherwise mapped
    back the same way. The check runs as each chunk is cast, or with a
    folded first layer from a watched unit, read once after the last
    batch (the chunks are then looked at to name the bad value). Only
    one batch of tensors is alive at a time; results are written
    straight into the output, of X's float dtype.
    """
    if module.training:  # eval() walks every submodule: only when needed
        module.eval()
    in32 = scaling.float32_safe
    n = X.shape[0]
    work = forward_work(module, batch_size)
    out = np.empty((n, out_width) if out_width is not None else (n,), dtype=X.dtype)
    # The view reads the data's units (no mapping of the input) when
    # its first layer is folded, writes them when its last is.
    view, folded_in, folded_out = inference_view(
        module, scaling, fold if in32 else None, fold_cache
    )
    if in32 and not scaling.identity:
        # x_model = x / s - m / s and x = s * x_model + m.
        shift = torch.as_tensor(scaling.mean, dtype=torch.float32, device=device)
        model_shift = torch.as_tensor(
            -scaling.mean / scaling.scale, dtype=torch.float32, device=device
        )
    # Where NaN, infinity and overflow of the input are caught: by the
    # folded first layer, by a per-row score (every feature enters each
    # row's score, so a bad value makes it non-finite), else by a pass
    # over each chunk as it is cast.
    check_after = folded_in or out_width is None
    padded = None
    cast = None
    if from_data and X.dtype != np.float32:
        cast = torch.empty((min(n, batch_size), X.shape[1]), dtype=torch.float32)
    # Host rows reach a CUDA device through pinned buffers on a copy stream,
    # the next batch's copy under way while this one computes (on the CPU
    # the rows are used where they lie).
    h2d = HostToDevice(device)

    def load(start):
        """Batch ``start``'s host rows, checked and cast, its copy begun."""
        stop = min(start + batch_size, n)
        # The last batch overlaps the previous one: a full batch
        # without a padded copy, of which rows start:stop are kept.
        chunk = np.ascontiguousarray(dense_rows(X[max(0, stop - batch_size) : stop]))
        t = torch.from_numpy(chunk)
        host = t
        if from_data:
            host = _as_float32(t, cast) if check_after else _checked_float32(t, buffer=cast)
            if not (folded_in or scaling.identity or in32):
                host = torch.from_numpy(scaling.to_model(chunk))
        return start, stop, t, h2d.start(host)

    with torch.inference_mode(), thread_budget(work), precision_context(
        get_config()["precision"], torch.device(device).type
    ):
        batches = (load(start) for start in range(0, n, batch_size))
        for start, stop, t, pending in one_ahead(batches) if h2d.overlaps else batches:
            rows = t.shape[0]
            new_rows = slice(rows - (stop - start), rows)
            xb = pending.get()
            if not from_data:
                xb = xb.to(torch.float32)
            elif in32 and not (folded_in or scaling.identity):
                xb = xb.mul(1.0 / scaling.scale).add_(model_shift)
            if rows < batch_size:
                if padded is None:
                    padded = xb.new_zeros((batch_size, X.shape[1]))
                padded[:rows] = xb
                xb = padded
            result = fn(xb, module=view)[new_rows]
            if to_data and in32 and not (scaling.identity or folded_out):
                # in place: a decoder's output is a fresh tensor of its own
                result = result.mul_(scaling.scale).add_(shift)
            result = result.cpu().numpy()
            if from_data and not folded_in and check_after:
                if not np.isfinite(result).all():
                    _checked_float32(t)  # raises if the input is to blame
            if to_data and not in32:
                result = scaling.to_data(result)
            out[start:stop] = result
        if folded_in and view.encoder_layers[0].nonfinite:
            for chunk in iter_rows(X):  # raises if the input is to blame
                _checked_float32(torch.from_numpy(np.ascontiguousarray(chunk)))
    return _check_finite_output(out, method)

def inference_view(module, scaling, fold=None, fold_cache=None):
    """The module as inference runs it, and whether it reads/writes data units.

    Returns ``(view, folded_in, folded_out)``; ``view.folded`` is
    ``fold``, or None where nothing was folded. The view is a per-call
    shallow copy of the module, sharing its parameters, in which every
    narrow dense layer is computed row by row (see ``_inference.py``:
    a row's output cannot depend on the other rows) and the hidden
    activations run in place where exact (ReLU; logistic and tanh are
    :class:`Float64Activation`s; no graph is recorded at inference).

    With ``fold`` the scaling is also folded into the view:
    ``W (x - m) / s + b = (W / s) x + (b - W m / s)`` into the first
    encoder layer (``fold="encoder"``; the view then reads rows in data
    units, ``folded_in``), its inverse into the last decoder layer,
    ``s (V h + c) + m`` (``"decoder"``; it writes them, ``folded_out``),
    or both (``"both"``), so that inference skips standardising (the
    folds computed in float64, stored in float32; a tied decoder layer
    keeps reading the original weight). The folded weights are kept on
    ``fold_cache`` with copies of the weights they were made from, and remade
    whenever those differ (after any training step). Nothing is folded
    without a scaling, or when a layer to fold is not linear
    (convolutions). The data are standardised only for an identity
    output activation, so the decoder's logits are its output.
    """
    if fold not in (None, "encoder", "decoder", "both"):
        raise ValueError(
            f"fold must be None, 'encoder', 'decoder' or 'both', got {fold!r}."
        )
    folds = _cached_folds(module, scaling, fold, fold_cache) if fold is not None else None
    replace = {}
    if folds is not None:
        first_folded, last_folded = folds
        if first_folded is not None:
            replace["encoder_layers", 0] = _FoldedLinear(*first_folded)
        if last_folded is not None:
            last = len(module.decoder_layers) - 1
            replace["decoder_layers", last] = _FoldedLinear(*last_folded, sentinel=False)
    view = row_independent_view(module, replace, in_place=True)
    view.folded = fold if folds is not None else None  # what the view folds
    folded_in = folds is not None and folds[0] is not None
    folded_out = folds is not None and folds[1] is not None
    return view, folded_in, folded_out

def _cached_folds(module, scaling, fold, cache=None):
    """The folded layers ``fold`` asks for (see :func:`fold_scaling`), or None.

    None when there is no scaling to fold or a layer to fold is not a
    dense one. Kept in ``cache`` with copies of their sources, remade when
    those changed.
    """
    if scaling.identity:
        return None
    sources = []
    if fold in ("encoder", "both"):
        first = next(iter(getattr(module, "encoder_layers", ())), None)
        if type(first) is not torch.nn.Linear:
            return None
        sources += [first.weight, first.bias]
    if fold in ("decoder", "both"):
        last = next(reversed(getattr(module, "decoder_layers", ())), None)
        if type(last) is _TiedLinear:
            sources += [last._source[0].weight.t(), last.bias]
        elif type(last) is torch.nn.Linear:
            sources += [last.weight, last.bias]
        else:
            return None
    cache = {} if cache is None else cache
    cached = cache.get(fold)
    if not (
        cached is not None
        and all(torch.equal(kept, now) for kept, now in zip(cached[0], sources))
    ):
        cached = ([t.detach().clone() for t in sources], fold_scaling(scaling, fold, *sources))
        cache[fold] = cached
    return cached[1]

def fold_scaling(scaling, fold, *sources):
    """The folded first and/or last layers' weights, biases (and sentinel).

    ``sources`` are the weight and bias of the first layer, of the last
    one, or of both, as ``fold`` says; the fold not asked for is None.
    """
    first = last = None
    with torch.no_grad():
        mean = torch.as_tensor(scaling.mean, dtype=torch.float64, device=sources[0].device)
        if fold in ("encoder", "both"):
            weight, bias, *sources = sources
            weight = weight.double()
            folded_weight = (weight / scaling.scale).float()
            folded_bias = (bias.double() - weight @ mean / scaling.scale).float()
            dense = torch.nonzero((folded_weight != 0).all(dim=1))
            sentinel = int(dense[0, 0]) if len(dense) else None
            first = (folded_weight, folded_bias, sentinel)
        if fold in ("decoder", "both"):
            last_weight, last_bias = sources
            last = (
                (last_weight.double() * scaling.scale).float().contiguous(),
                (last_bias.double() * scaling.scale + mean).float(),
            )
    return first, last
