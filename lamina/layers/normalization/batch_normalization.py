"""BatchNormalization: normalize each channel with the batch's statistics (training) or with
moving averages of them (inference), then scale by `gamma` and shift by `beta`.

Keras and torch differ in two ways that matter for numbers (KERAS-REFERENCE 4.2):
- Keras's momentum is the weight of the *old* value: `moving = moving * 0.99 + batch * 0.01`
  (torch's `momentum=0.01`);
- Keras updates the moving variance with the *biased* batch variance, torch with the unbiased
  one. The fused path below scales torch's running variance by n/(n-1) around the update so the
  result is Keras's, and keeps torch's single fused kernel for forward and backward.

`synchronized=True` (Keras: TensorFlow only) makes a training step in a multi-process job use
the statistics of the whole global batch (lamina.distribution.batch_statistics); in a single
process it changes nothing.
"""

import torch
import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.normalization import axes as axes_lib
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object
from lamina.utils.arguments import check_positive_number, check_rate, warn_deprecated

# Keras adds its fuzz factor to the masked count before dividing (masked batch statistics).
_MASK_EPSILON = 1e-7


@keras_export("layers.BatchNormalization")
class BatchNormalization(Layer):
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 synchronized=False, **kwargs):
        _drop_tf_keras_options(kwargs)
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]  # tf.keras configs store the axis as a one-element list
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                f"BatchNormalization() expects `axis` to be one integer (the channel axis). "
                f"Received: axis={axis!r}. To normalize over several axes use "
                "LayerNormalization."
            )
        if renorm:
            raise NotImplementedError(
                "BatchNormalization(renorm=True) is not supported by lamina yet."
            )
        self.axis = axis
        self.momentum = check_rate(momentum, "momentum", "BatchNormalization()")
        self.epsilon = check_positive_number(epsilon, "epsilon", "BatchNormalization()")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        # In a multi-process job (DataParallel, ModelParallel) a training step's statistics are
        # then those of the whole global batch (Keras does this on TensorFlow only).
        self.synchronized = bool(synchronized)
        self.supports_masking = True
        self.gamma = None
        self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        channel_axis = axes_lib.positive_axes(self.axis, ndim, self)[0]
        shape = (axes_lib.known_dim(input_shape, channel_axis, self),)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape, name="gamma", initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape, name="beta", initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape, name="moving_variance", initializer=self.moving_variance_initializer,
            trainable=False,
        )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: shape[0]})
        self._channel_axis = channel_axis
        self._reduction_axes = [i for i in range(ndim) if i != channel_axis]
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ValueError(
                f'Layer "{self.name}" (BatchNormalization) expects a mask with one dimension less '
                f"than its inputs. Received: mask.shape={tuple(mask.shape)}, "
                f"inputs.shape={tuple(inputs.shape)}"
            )
        x = axes_lib.at_least_float32(inputs)
        # Keras: a frozen BatchNormalization layer always runs in inference mode.
        if not (training and self.trainable):
            outputs = self._fused(x, self.moving_mean.to(x.dtype), self.moving_variance.to(x.dtype),
                                  training=False)
        elif self.synchronized and _in_job():
            mean, variance = self._synchronized_moments(x, mask)
            self._update_moving_statistics(mean, variance)
            outputs = self._normalize(x, mean, variance)
        elif mask is None and x.ndim >= 2 and x.numel() > x.shape[self._channel_axis]:
            outputs = self._fused_training(x)
        else:
            mean, variance = self._moments(x, mask)
            self._update_moving_statistics(mean, variance)
            outputs = self._normalize(x, mean, variance)
        return outputs.to(inputs.dtype) if outputs.dtype != inputs.dtype else outputs

    # ------------------------------------------------------------------ fused torch kernels
    def _fused(self, x, mean, variance, training, momentum=0.0):
        weight = None if self.gamma is None else self.gamma.to(x.dtype)
        bias = None if self.beta is None else self.beta.to(x.dtype)
        axis = self._channel_axis
        if axis == x.ndim - 1 and x.ndim != 2:
            # channels-last: (..., C) -> (M, C) is a free view and reduces over the same elements.
            flat = F.batch_norm(x.reshape(-1, x.shape[-1]), mean, variance, weight, bias,
                                training, momentum, self.epsilon)
            return flat.reshape(x.shape)
        moved = x if axis == 1 else x.movedim(axis, 1)
        outputs = F.batch_norm(moved, mean, variance, weight, bias, training, momentum,
                               self.epsilon)
        return outputs if axis == 1 else outputs.movedim(1, axis)

    def _fused_training(self, x):
        count = x.numel() // x.shape[self._channel_axis]
        unbiased_to_biased = (count - 1) / count
        # torch blends the *unbiased* batch variance into running_var; pre-scale the stored
        # value by n/(n-1) and scale the blend back, which leaves Keras's biased update.
        with torch.no_grad():
            # Fresh tensors for torch to update: autograd keeps them for the backward pass, so
            # the layer's own variables must not be the ones modified in place.
            running_mean = self.moving_mean.to(x.dtype, copy=True)
            running_variance = self.moving_variance.to(x.dtype) / unbiased_to_biased
        outputs = self._fused(x, running_mean, running_variance, training=True,
                              momentum=1.0 - self.momentum)
        with torch.no_grad():
            self.moving_mean.copy_(running_mean)
            self.moving_variance.copy_(running_variance * unbiased_to_biased)
        return outputs

    # ------------------------------------------------------------------ explicit path (masks)
    def _moments(self, x, mask):
        axes = self._reduction_axes
        if mask is None:
            variance, mean = torch.var_mean(x, dim=axes, correction=0)
            return mean, variance
        weights = mask.unsqueeze(-1).expand(x.shape).to(torch.bool)
        count = weights.to(x.dtype).sum(dim=axes, keepdim=True) + _MASK_EPSILON
        mean = torch.where(weights, x, 0).sum(dim=axes, keepdim=True) / count
        squared = torch.where(weights, x - mean, 0).square()
        variance = squared.sum(dim=axes, keepdim=True) / count
        return mean.reshape(-1), variance.reshape(-1)

    def _synchronized_moments(self, x, mask):
        from lamina.distribution import batch_statistics

        weights = None
        if mask is not None:
            weights = mask.unsqueeze(-1).expand(x.shape)
        return batch_statistics.global_moments(x, self._reduction_axes, weights)

    def _update_moving_statistics(self, mean, variance):
        with torch.no_grad():
            blend = 1.0 - self.momentum
            self.moving_mean.copy_(self.moving_mean * self.momentum + mean.detach() * blend)
            self.moving_variance.copy_(
                self.moving_variance * self.momentum + variance.detach() * blend
            )

    def _normalize(self, x, mean, variance):
        shape = [1] * x.ndim
        shape[self._channel_axis] = -1
        inverse = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inverse = inverse * self.gamma.to(x.dtype)
        shift = -mean * inverse
        if self.beta is not None:
            shift = shift + self.beta.to(x.dtype)
        return x * inverse.reshape(shape) + shift.reshape(shape)

    def compute_output_shape(self, input_shape):
        axes_lib.positive_axes(self.axis, len(input_shape), self)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "moving_mean_initializer": serialize_keras_object(self.moving_mean_initializer),
            "moving_variance_initializer": serialize_keras_object(
                self.moving_variance_initializer
            ),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


def _drop_tf_keras_options(kwargs):
    """tf.keras (Keras 2) saved a few BatchNormalization options that Keras 3 dropped."""
    kwargs.pop("fused", None)  # torch picks its own kernels
    if "mode" in kwargs:  # Keras 1: mode=0 is feature-wise normalization, today's only kind
        mode = kwargs.pop("mode")
        if mode != 0:
            raise ValueError(
                f"BatchNormalization(mode={mode!r}) is Keras 1's sample-wise (1) or per-batch "
                "(2) normalization, which Keras 2 removed. Use mode=0 (the default behaviour: "
                "drop the argument), or LayerNormalization for sample-wise normalization.")
        warn_deprecated("mode=0", "BatchNormalization() without `mode` (mode 0 is what it does)",
                        "BatchNormalization()")
    for option in ("virtual_batch_size", "adjustment"):
        if kwargs.pop(option, None) is not None:
            raise NotImplementedError(
                f"BatchNormalization({option}=...) from tf.keras is not supported by lamina "
                "(nor by Keras 3)."
            )


def _in_job():
    """True in a multi-process job (torch.distributed initialized with two or more processes)."""
    distributed = torch.distributed
    return distributed.is_available() and distributed.is_initialized() and \
        distributed.get_world_size() > 1
