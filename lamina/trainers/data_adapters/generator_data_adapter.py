"""Python generators and iterators: each item is one batch, `x`, `(x,)`, `(x, y)` or `(x, y, sw)`.

An iterator can be read only once, so this adapter is not re-readable: a finite generator
serves one pass (the first epoch, or `steps` batches per epoch until it runs out); a generator
that loops forever needs `steps_per_epoch`, as in Keras.

In a data-parallel job every process reads the whole stream and keeps every `processes`-th batch
(process `r` the r-th of each group), so the generator must yield the same batches in every
process (same code, same seed). Shard the data yourself and pass
`DataParallel(auto_shard_dataset=False)` to have each process read only its own.
"""

from lamina.trainers.data_adapters import sharding
from lamina.trainers.data_adapters.data_adapter import DataAdapter


class GeneratorDataAdapter(DataAdapter):
    reiterable = False

    def __init__(self, iterator, steps=None, device=None, class_weight=None):
        super().__init__(steps=steps, device=device, class_weight=class_weight)
        self.iterator = iterator

    def _one_pass(self):
        if self.shard is not None:
            yield from sharding.round_robin(self.iterator, self.shard)
            return
        # A plain loop, not `yield from`: closing this pass must not close the user's iterator.
        for batch in self.iterator:
            yield batch
