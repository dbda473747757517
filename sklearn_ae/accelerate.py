"""Training through Hugging Face Accelerate (multi-GPU, mixed precision).

skorch's :class:`~skorch.hf.AccelerateMixin` drives a net's training with an
``accelerate.Accelerator``: it prepares the module, the optimizer and the
batch iterator (a ``DataLoader``) for the accelerator's devices and
processes. :class:`AccelerateAutoencoderNet` is that mixin over this
package's net; an estimator trains with it when its net class is set, the
build stage's hook:

.. code-block:: python

    from functools import partial

    from accelerate import Accelerator
    from sklearn_ae import Autoencoder
    from sklearn_ae.accelerate import AccelerateAutoencoderNet

    class AcceleratedAutoencoder(Autoencoder):
        net_class = partial(AccelerateAutoencoderNet, accelerator=Accelerator())

Set the estimator's ``device`` to the accelerator's
(``str(accelerator.device)``), where it keeps the training rows. Define
such a class in a module of your own (so that pickles of it load where
that module is importable), and launch the script with
``accelerate launch`` for several processes. Training then takes skorch's
autograd step under the accelerator (``accelerator.backward``, autocast),
never this package's autograd-free step. Requires the ``accelerate``
package (``pip install accelerate``); the test suite runs a one-process CPU
accelerator and checks it trains, bitwise, the model of the autograd path.
"""

# SPDX-License-Identifier: BSD-3-Clause

from skorch.hf import AccelerateMixin

from ._net import AutoencoderNet

__all__ = ["AccelerateAutoencoderNet"]


class AccelerateAutoencoderNet(AccelerateMixin, AutoencoderNet):
    """:class:`~sklearn_ae._net.AutoencoderNet` trained through an ``Accelerator``.

    Parameters
    ----------
    *args, **kwargs
        Those of the autoencoders' net (the estimator's build stage passes
        them), plus ``accelerator`` (an ``accelerate.Accelerator``) and
        ``unwrap_after_train`` as for :class:`skorch.hf.AccelerateMixin`.
    """

    iterator_as_dataloader = True
    skorch_steps = True

    def __init__(self, *args, device=None, **kwargs):
        # The accelerator places the module and the batches (skorch
        # refuses a device of its own then); the estimator's ``device``
        # should name the accelerator's, where its data are kept.
        super().__init__(*args, device=None, **kwargs)

    def _training_device(self):
        return self.accelerator.device

    def initialize(self):
        # AccelerateMixin.initialize does not call the next initialize in
        # line: add this net's own training state after it.
        super().initialize()
        return self._initialize_training()
