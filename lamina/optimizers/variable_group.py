"""Variables that one multi-tensor kernel can update together.

`torch._foreach_*` kernels are fastest when every tensor in the list shares a device and dtype,
so an optimizer step runs once per `VariableGroup`. A model on one device in one dtype has a
single group holding every variable. Groups are built once per set of variables that received
gradients and reused on every later step.
"""

import collections

import torch


class VariableGroup:
    def __init__(self, indices, grad_positions, variables):
        self.indices = indices  # positions in the optimizer's built variable list
        self.grad_positions = grad_positions  # positions in the step's gradient list
        self.variables = [variables[i] for i in indices]
        self.device = self.variables[0].device
        self.dtype = self.variables[0].dtype
        self.decayed = []  # variables that get weight decay, filled by the optimizer
        self.constrained = []  # (variable, constraint) pairs applied after each step
        self._taken = {}

    def take(self, per_variable):
        """The entries of a per-variable list (e.g. one slot per variable) for this group."""
        if torch.compiler.is_compiling():  # (free in a graph; a cache would add guards)
            return [per_variable[i] for i in self.indices]
        entry = self._taken.get(id(per_variable))
        if entry is None or entry[0] is not per_variable:
            entry = (per_variable, [per_variable[i] for i in self.indices])
            self._taken[id(per_variable)] = entry
        return entry[1]

    def gradients(self, grads):
        """This group's gradients out of the step's full gradient list."""
        if len(self.grad_positions) == len(grads):
            return grads
        return [grads[p] for p in self.grad_positions]

    def cast(self, scalar):
        """A 0-d tensor (learning rate, step) moved to this group's device and dtype."""
        return scalar.to(device=self.device, dtype=self.dtype)

    def moved(self):
        """True if the model was moved to another device (or dtype) after the group was made."""
        first = self.variables[0]
        return first.device != self.device or first.dtype != self.dtype


def make_groups(indices, variables):
    """Split `indices` (into `variables`) into groups of one device and dtype each."""
    by_kind = collections.defaultdict(lambda: ([], []))
    for position, index in enumerate(indices):
        variable = variables[index]
        group_indices, group_positions = by_kind[(variable.device, variable.dtype)]
        group_indices.append(index)
        group_positions.append(position)
    return [
        VariableGroup(group_indices, group_positions, variables)
        for group_indices, group_positions in by_kind.values()
    ]
