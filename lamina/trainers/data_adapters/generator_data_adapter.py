"""Python generators and iterators: each item is one batch, `x`, `(x,)`, `(x, y)` or `(x, y, sw)`.

An iterator can be read only once, so this adapter is not re-readable: a finite generator
serves one pass (the first epoch, or `steps` batches per epoch until it runs out); a generator
that loops forever needs `steps_per_epoch`, as in Keras.
"""

from lamina.trainers.data_adapters.data_adapter import DataAdapter


class GeneratorDataAdapter(DataAdapter):
    reiterable = False

    def __init__(self, iterator, steps=None, device=None, class_weight=None):
        super().__init__(steps=steps, device=device, class_weight=class_weight)
        self.iterator = iterator

    def _one_pass(self):
        # A plain loop, not `yield from`: closing this pass must not close the user's iterator.
        for batch in self.iterator:
            yield batch
