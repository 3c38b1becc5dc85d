"""The bottom of the house: where names become objects and objects become configs.

`object_registry` (built-in and user objects by name), `serialization` (objects <-> Keras config
dicts) and `safe_mode`. Nothing here reads or writes files, so every layer, loss or optimizer may
import it; the file formats live above, in `lamina.saving`.
"""
