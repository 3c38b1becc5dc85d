"""The part every data source shares: epochs, `steps`, cycling, peeking, running out of data.

A subclass says how to make one *pass* over its data (`_one_pass()`: an iterator of raw batches)
and whether the data can be read again (`reiterable`). This class turns passes into epochs:

- without `steps`, an epoch is one whole pass;
- with `steps`, an epoch is the next `steps` batches. The position carries over to the next
  epoch, and when re-readable data runs out mid-epoch a new pass starts (reshuffled), so every
  batch is used in turn. (Keras 3 ends such an epoch early with a warning instead.)
- a generator or iterator is read once. When it has nothing left, `batches()` warns that the
  input ran out of data, sets `ran_out_of_data` and stops: the trainer should stop training.

In a data-parallel job the trainer calls `distribute(rank, num_processes)`: from then on each
pass yields only this process's part of every step (see `sharding.py`), and `step_info` tells
the trainer about the batch just yielded (a padding batch, the step's global size).
"""

import warnings

import torch

from lamina.trainers.data_adapters import batch_conversion, sharding
from lamina.trainers.data_adapters.class_weights import ClassWeights

_STEPS_PAST_THE_DATA = (
    "The input ran out of data after {batches} batches, before the {steps} steps asked for: "
    "the data was used once, and the results cover it. Pass `steps=None` to go through the "
    "data once without this warning.")

RAN_OUT_OF_DATA = (
    "The input ran out of data, so training stops here. A generator or iterator can be read "
    "only once: make it loop forever and pass `steps_per_epoch` (or `steps`), or give lamina "
    "data it can read again each epoch (arrays, a PyDataset, a torch Dataset or DataLoader)."
)

_END_OF_PASS = object()
_NOTHING_LEFT = object()


class DataAdapter:
    reiterable = True  # can the data be read again from its start?
    # evaluate / predict: `steps` beyond the data end at its end (as in Keras), rather than
    # reading samples twice; fit's `steps_per_epoch` goes on with a new pass (module doc).
    one_pass_per_epoch = False
    is_array_data = False

    def __init__(self, steps=None, device=None, class_weight=None):
        self.steps = _check_steps(steps)
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self._class_weights = ClassWeights(class_weight) if class_weight is not None else None
        self._batches_per_pass = None  # subclasses set it when they know it
        self._pass = None  # the iterator of the pass in progress
        self._pulled_from_pass = 0
        self._yielded_from_pass = 0
        self._passes_started = 0
        self._peeked = None
        self._epoch_begun = False  # a peek already called on_epoch_begin for the coming epoch
        self.ran_out_of_data = False
        self.shard = None  # this process's place in a data-parallel job (see `distribute`)
        self.step_info = None  # in a job: the StepInfo of the batch `batches()` last yielded
        self._raw_info = self._peeked_info = None

    # ---------------------------------------------------------------- what subclasses provide
    def _one_pass(self):
        raise NotImplementedError

    def _convert(self, raw_batch):
        """Raw batch -> `(x, y, sample_weight)` tensors on the device, class weights applied."""
        batch = batch_conversion.batch_to_host(raw_batch, self._pin_memory)
        x, y, sample_weight = batch_conversion.batch_to_device(batch, self.device)
        if self._class_weights is not None:  # looked up on the device: no extra copy
            sample_weight = self._class_weights.sample_weights(y, sample_weight)
        return x, y, sample_weight

    def _distribute(self):
        """Subclasses: prepare to read only `self.shard`'s part (e.g. the number of batches);
        their passes then yield `(raw_batch, StepInfo)` pairs."""

    def on_epoch_begin(self):
        """Called by `batches()` before the first batch of every epoch."""

    def on_epoch_end(self):
        """The trainer calls this after every epoch (also after evaluate / predict)."""

    # ---------------------------------------------------------------- what the trainer uses
    def distribute(self, rank, num_processes):
        """Read only process `rank`'s part of each step from now on (data parallelism)."""
        self.reset()
        self.shard = sharding.Shard(int(rank), int(num_processes))
        self._distribute()

    @property
    def num_batches(self):
        """Batches per epoch: `steps` if given, else batches per pass; None while unknown."""
        return self.steps if self.steps is not None else self._batches_per_pass

    def peek(self):
        """The first batch of the coming epoch, without using it up (to build the model)."""
        if self._peeked is None:
            if self.steps is None and self._yielded_from_pass and self.reiterable:
                self._drop_pass()
            if not self._epoch_begun:  # (a PyDataset may set up its epoch there: before reads)
                self.on_epoch_begin()
                self._epoch_begun = True
            raw = self._next_raw()
            if raw is _END_OF_PASS or raw is _NOTHING_LEFT:
                raise ValueError(
                    "The data source produced no batches. Check that it is not empty (or, for a "
                    "generator, that it was not already used up)."
                )
            self._peeked = self._convert(raw)
            self._peeked_info = self._raw_info
        return self._peeked

    def batches(self):
        """Yield one epoch of `(x, y, sample_weight)` batches, already on the device."""
        if self.steps is None and self._yielded_from_pass and self.reiterable:
            self._drop_pass()  # the last epoch stopped early; an epoch without steps is a pass
        if not self._epoch_begun:
            self.on_epoch_begin()
        self._epoch_begun = False
        produced = 0
        while self.steps is None or produced < self.steps:
            if self._peeked is not None:
                batch, self._peeked = self._peeked, None
                self.step_info = self._peeked_info
            else:
                raw = self._next_raw()
                if raw is _NOTHING_LEFT:
                    self.ran_out_of_data = True
                    warnings.warn(RAN_OUT_OF_DATA, UserWarning, stacklevel=2)
                    return
                if raw is _END_OF_PASS:
                    if self.steps is None:
                        return
                    if self.one_pass_per_epoch:  # evaluate / predict: each sample once
                        warnings.warn(_STEPS_PAST_THE_DATA.format(
                            steps=self.steps, batches=produced), UserWarning, stacklevel=2)
                        return
                    continue  # start the next pass
                batch = self._convert(raw)
                self.step_info = self._raw_info
            self._yielded_from_pass += 1
            produced += 1
            yield batch

    def reset(self):
        """Start re-readable data from its beginning next time (a generator just goes on)."""
        if self.reiterable:
            self._drop_pass()
            self._peeked = None
            self._epoch_begun = False

    def close(self):
        """Stop any workers of a pass in progress. Call it when fit / evaluate / predict ends."""
        self._drop_pass()
        self._peeked = None
        self._epoch_begun = False

    # ---------------------------------------------------------------- passes
    @property
    def _pin_memory(self):
        return self.device.type == "cuda"

    def _next_raw(self):
        if self._pass is None:
            if self._passes_started and not self.reiterable:
                return _NOTHING_LEFT
            self._pass = iter(self._one_pass())
            self._passes_started += 1
            self._pulled_from_pass = self._yielded_from_pass = 0
        try:
            raw = next(self._pass)
        except StopIteration:
            self._finish_pass()
            return _END_OF_PASS
        self._pulled_from_pass += 1
        if self.shard is not None:
            raw, self._raw_info = raw
        return raw

    def _finish_pass(self):
        if self._pulled_from_pass == 0 and self.reiterable:
            raise ValueError(
                f"The data given to {type(self).__name__} produced no batches in a whole pass. "
                "Pass a non-empty dataset."
            )
        if self._pulled_from_pass == 0 and self._passes_started == 1:
            raise ValueError("The generator or iterator produced no batches: it is empty.")
        if self._batches_per_pass is None and self._pulled_from_pass:
            self._batches_per_pass = self._pulled_from_pass
        self._pass = None

    def _drop_pass(self):
        """Abandon the pass in progress, letting its workers shut down (our generators only)."""
        if self._pass is not None and self.reiterable:
            close = getattr(self._pass, "close", None)
            if close is not None:
                close()
            self._pass = None


def _check_steps(steps):
    if steps is None:
        return None
    if isinstance(steps, bool) or not hasattr(steps, "__index__") or int(steps) < 1:
        raise ValueError(
            "`steps_per_epoch` / `steps` must be a positive integer (or None to go through the "
            f"data once). Received: {steps!r}."
        )
    return int(steps)
