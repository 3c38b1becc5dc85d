"""`lamina.export` (Keras's `keras.export`): `ExportArchive`, several inference endpoints
written as `torch.export` programs (Keras writes a TensorFlow SavedModel)."""

from lamina.export.export_archive import ExportArchive as ExportArchive
