"""`Variable`: a `torch.nn.Parameter` that also speaks Keras (`name`, `path`, `assign`, `numpy`).

Being a Parameter is the point: `model.parameters()`, `state_dict()`, `.to(device)` and every
torch optimizer see lamina weights with no bridge. Operations on a Variable return plain tensors
(Parameter disables tensor-subclass propagation), so the hot path pays nothing for the subclass.
"""

import copy

import torch


class Variable(torch.nn.Parameter):
    def __new__(cls, data=None, requires_grad=True, name=None, path=None):
        self = super().__new__(cls, data, requires_grad)
        self._keras_name = name
        self._keras_path = path or name
        # The variable's own flag; a frozen layer turns requires_grad off without losing it.
        self._keras_trainable = requires_grad
        self.regularizer = None
        self.constraint = None
        return self

    @property
    def name(self):
        return self._keras_name

    @property
    def path(self):
        return self._keras_path

    @property
    def trainable(self):
        return self._keras_trainable

    @trainable.setter
    def trainable(self, value):
        self._keras_trainable = bool(value)
        self.requires_grad_(bool(value))

    @property
    def value(self):
        """The tensor itself, as in Keras's torch backend (so `v.value.grad` is the gradient)."""
        return self

    def numpy(self, force=False):
        return self.detach().cpu().numpy(force=force)

    def assign(self, value):
        with torch.no_grad():
            self.copy_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    def assign_add(self, value):
        with torch.no_grad():
            self.add_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    def assign_sub(self, value):
        with torch.no_grad():
            self.sub_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad, self._keras_name, self._keras_path)
        result._keras_trainable = self._keras_trainable
        result.regularizer = copy.deepcopy(self.regularizer, memo)
        result.constraint = copy.deepcopy(self.constraint, memo)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_variable, (self.data, self.requires_grad, self._keras_name,
                                    self._keras_path, self._keras_trainable))

    def __repr__(self):
        return (f"<Variable path={self._keras_path}, shape={tuple(self.shape)}, "
                f"dtype={str(self.dtype).replace('torch.', '')}>")


def _rebuild_variable(data, requires_grad, name, path, trainable):
    variable = Variable(data, requires_grad, name, path)
    variable._keras_trainable = trainable
    return variable
