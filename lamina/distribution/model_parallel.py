"""ModelParallel's seam: the model's variables sharded by PyTorch FSDP2 (`fully_shard`).

FSDP is data parallelism whose parameters, gradients and optimizer state are split between the
processes: each process reads its own part of every global batch (as under DataParallel), and
before a layer runs its parameters are all-gathered, then freed again; the gradients are
reduce-scattered so that each process keeps the gradient of its own part, and the optimizer
updates only that part. So everything DataParallel's seam does with data, metrics and
predictions holds here unchanged; this seam only replaces how the model is wrapped:

- `shard_model` (once, at the first fit / train_on_batch): process 0's weights are sent to every
  process; each layer that has a variable whose layout (from the `LayoutMap`, matched on the
  variable's path) splits a dimension is sharded by `fully_shard`, those variables along that
  dimension; then the model itself, which takes every remaining trainable variable (split along
  its first dimension, FSDP's default). Non-trainable variables (BatchNormalization's moving
  statistics) are left whole on every process: FSDP writes nothing a forward pass assigns back
  into a parameter, so they are kept in sync as under DataParallel.
- FSDP turns each layer's class into `FSDP<Layer>`; lamina gives each its own class back, so the
  model's config, summary and saved files are those of a single-process model.
- The new parameters become `ShardedVariable`s (see gathering.py) and replace the old Variables
  in the layers' weight lists, and the optimizer is built again on them, so its slots are
  DTensors sharded as the variables are.
- The gradient is weighted by each process's share of the global batch (a custom
  reduce-scatter), as under DataParallel, so an uneven last batch trains as in one process.
"""

import contextlib
import warnings

import torch
import torch.distributed as dist

from lamina.distribution import collectives
from lamina.distribution.process_group import is_main_process  # noqa: F401 (saving)
from lamina.distribution.seam import DataParallelSeam, _count, _metric_state, \
    _restore_metric_state

_SHARDED = "_model_parallel_sharded"


def is_sharded(model):
    """True once ModelParallel has sharded `model` (in this process)."""
    return bool(model.__dict__.get(_SHARDED, False))


@contextlib.contextmanager
def gathered(model):
    """While inside, the whole values of the sharded model's weights and optimizer state are
    known on every process, so process 0 alone can write them (saving uses this). Every process
    must enter it; outside ModelParallel it costs nothing. Yields True when the model is
    sharded."""
    if not is_sharded(model):
        yield False
        return
    from lamina.distribution import gathering

    with gathering.gathered(model):
        yield True


class ModelParallelSeam(DataParallelSeam):
    def prepare_training(self, model):
        if not is_sharded(model):
            shard_model(model, self.distribution, self)
            return
        from torch.distributed.tensor import DTensor

        unsharded = [getattr(p, "path", None) or tuple(p.shape) for p in model.parameters()
                     if p.requires_grad and not isinstance(p, DTensor)]
        if unsharded:
            raise RuntimeError(
                f"The variables {unsharded} became trainable after ModelParallel sharded the "
                "model, so their gradients would not be combined between processes. Make them "
                "trainable before the first fit() under ModelParallel (use the layer's "
                "`trainable` flag, not the variable's), or train this model with DataParallel.")

    def train_step(self, model, batch, info):
        """`model.train_step` on this process's part of a global batch; FSDP's hooks in the
        model's call gather the parameters and reduce-scatter the gradients."""
        from lamina.trainers import data_adapters

        padding = info is not None and info.padding
        count = 0 if padding else _count(batch[0])
        if info is not None and info.total is not None:
            self.share = count / info.total
        else:
            self.share = float(count / collectives.all_reduce_count(count))
        saved = _metric_state(model) if padding else None
        with self.active():
            logs = model.train_step(data_adapters.pack_x_y_sample_weight(*batch))
        if saved is not None:
            _restore_metric_state(model, saved)
        return logs

    def sync_states(self, model):
        """Process 0's non-trainable variables and buffers everywhere (the sharded ones are
        one value already)."""
        from torch.distributed.tensor import DTensor

        states = [p for p in model.parameters() if not isinstance(p, DTensor)
                  and not getattr(p, "trainable", p.requires_grad) and not p.requires_grad]
        states += [b for b in model.buffers() if not isinstance(b, DTensor)]
        if states:
            collectives.broadcast_(states, src=0)


def shard_model(model, distribution, seam):
    """Shard `model` in place with `fully_shard` as `distribution.layout_map` says."""
    from torch.distributed.fsdp import fully_shard

    from lamina.distribution import gathering

    mesh, shard_size = _fsdp_mesh(distribution)
    # Every process starts from process 0's weights (FSDP keeps each process's part as it is).
    collectives.broadcast_(list(model.parameters()) + list(model.buffers()), src=0)

    owners = {}  # id(parameter) -> (module, attribute)
    for module in model.modules():
        for key, parameter in module._parameters.items():
            if parameter is not None:
                owners.setdefault(id(parameter), (module, key, parameter))
    kept_whole = {p for p in model.parameters()
                  if not getattr(p, "_keras_trainable", p.requires_grad)}
    placements, split_modules = _placements(model, distribution, owners, kept_whole, shard_size)

    def placement(parameter):
        return placements.get(id(parameter))  # None: FSDP's default, the first dimension

    options = {"mesh": mesh, "reshard_after_forward": True, "shard_placement_fn": placement,
               "ignored_params": kept_whole}
    order = [m for m in reversed(list(model.modules())) if m in split_modules]  # inner first
    for module in order:
        fully_shard(module, **options)
    fully_shard(model, **options)

    comm = _WeightedReduceScatter(seam)
    for module in order + [model]:
        module.set_custom_reduce_scatter(comm)
        module.set_force_sum_reduction_for_comms(True)
        module.set_gradient_divide_factor(1.0)  # the comm weights each process's part itself
        module.__class__ = module.__class__.__mro__[type(module)._orig_cls_mro_index]

    replaced = {}
    for old_id, (module, key, old) in owners.items():
        new = module._parameters.get(key)
        if new is not None and new is not old:
            replaced[old_id] = gathering.make_sharded(new, old)
    for layer in model._flatten_layers():
        tracked = layer._tracked_variables
        tracked[:] = [replaced.get(id(v), v) for v in tracked]
    model.__dict__[_SHARDED] = True
    _rebuild_optimizer(model)


def _fsdp_mesh(distribution):
    """The torch mesh FSDP shards over (a 2D mesh: replicate over the batch axis, shard over the
    other: HSDP) and the number of parts a variable is split into."""
    mesh = distribution.device_mesh
    names = list(mesh.axis_names)
    named = sorted({axis for layout in distribution.layout_map.values()
                    for axis in layout.axes if axis is not None})
    if len(names) > 2:
        raise ValueError(
            f"ModelParallel on FSDP supports a 1D or 2D device mesh; this one has axes {names}. "
            "Use one axis to split variables along (e.g. 'model') and at most one batch axis.")
    if len(named) > 1:
        raise ValueError(
            f"ModelParallel on FSDP splits variables along one mesh axis, but the LayoutMap names "
            f"{named}. Use the same axis name in every layout.")
    if named:
        shard_axis = named[0]
    elif len(names) == 1:
        shard_axis = names[0]
    else:
        shard_axis = next(name for name in names if name != distribution.batch_dim_name)
    torch_mesh = mesh.backend_mesh
    if len(names) == 1:
        return torch_mesh, mesh.shape[0]
    other = next(name for name in names if name != shard_axis)
    sizes = dict(zip(names, mesh.shape))
    if sizes[other] == 1 or sizes[shard_axis] == 1:
        # One of the axes is trivial: shard over every process (a flat mesh).
        from torch.distributed.device_mesh import init_device_mesh

        flat = init_device_mesh(torch_mesh.device_type, (dist.get_world_size(),),
                                mesh_dim_names=(shard_axis,))
        return flat, dist.get_world_size()
    return torch_mesh[(other, shard_axis)], sizes[shard_axis]


def _placements(model, distribution, owners, kept_whole, shard_size):
    """`Shard(dim)` for each variable whose layout splits dimension `dim`, and the modules that
    hold such variables."""
    from torch.distributed.tensor import Shard

    placements, modules = {}, []
    for layer in model._flatten_layers():
        for variable in layer._tracked_variables:
            path = getattr(variable, "path", None)
            layout = distribution.layout_map[path] if path else None
            if layout is None or id(variable) not in owners:
                continue
            if len(layout.axes) != variable.ndim:
                raise ValueError(
                    f"The LayoutMap gives variable '{path}' (shape {tuple(variable.shape)}) the "
                    f"layout {layout.axes}, which has {len(layout.axes)} entries; give one per "
                    f"dimension ({variable.ndim}).")
            dims = [i for i, axis in enumerate(layout.axes) if axis is not None]
            if not dims:
                continue
            if len(dims) > 1:
                raise ValueError(
                    f"The LayoutMap splits variable '{path}' along dimensions {dims}; FSDP splits "
                    "a variable along one dimension. Keep one mesh axis name in its layout.")
            if variable in kept_whole:
                warnings.warn(
                    f"The LayoutMap splits the non-trainable variable '{path}'; under ModelParallel "
                    "non-trainable variables stay whole on every process.", stacklevel=4)
                continue
            dim = dims[0]
            if dim > 0 and variable.shape[dim] % shard_size:
                raise ValueError(
                    f"Variable '{path}' has {variable.shape[dim]} entries along dimension {dim}, "
                    f"which do not divide into {shard_size} equal parts (FSDP splits a dimension "
                    "other than the first only evenly). Change the layer's size or the layout.")
            placements[id(variable)] = Shard(dim)
            module = owners[id(variable)][0]
            if module is not model and module not in modules:
                modules.append(module)
    return placements, modules


def _rebuild_optimizer(model):
    """Build the optimizer again on the sharded variables (its slots are then sharded as they
    are), keeping the values of any state it had (e.g. loaded from a file)."""
    optimizer = model.optimizer
    old_slots = list(optimizer._slots) if optimizer.built else []
    if optimizer.built:
        optimizer.built = False
        optimizer._slots = []
    model.__dict__["_trainable_params"] = None  # the trainer's cached lists of variables
    model._prepare_optimizer()
    if old_slots:
        from lamina.variables import assign_full

        for (_, old, _), (_, new, _) in zip(old_slots, optimizer._slots):
            assign_full(new, old.detach().cpu())


class _WeightedReduceScatter:
    """FSDP's gradient reduce-scatter with each process's gradient weighted by its share of the
    step's samples (FSDP's default averages), so the result is the global batch's gradient."""

    def __init__(self, seam):
        self.seam = seam

    def allocate(self, size, *, dtype, device):
        return torch.empty(*size, dtype=dtype, device=device)

    def __call__(self, output_tensor, input_tensor, group, op, async_op=False):
        input_tensor.mul_(self.seam.share)
        return dist.reduce_scatter_tensor(output_tensor, input_tensor, op=dist.ReduceOp.SUM,
                                          group=group, async_op=async_op)
