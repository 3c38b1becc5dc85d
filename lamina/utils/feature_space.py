"""FeatureSpace: declare how each column of a table is preprocessed and encoded, adapt the
whole table at once, and get one feature vector (or a dict of encoded features) per row.

It is a Layer made of lamina's preprocessing layers (Normalization, Discretization,
StringLookup, IntegerLookup, Hashing, Rescaling, HashedCrossing, CategoryEncoding), so it
moves, saves and loads like any layer. Keras runs its FeatureSpace on TensorFlow; here
everything runs on torch, with text kept as numpy arrays of `str`.

Encoding (as Keras): each feature becomes a `(batch, 1)` column and goes through its
preprocessor; crosses hash the *preprocessed* values of their features; features and crosses
with `output_mode="one_hot"` are then multi-hot encoded over their preprocessor's number of
indices. The outputs come in sorted feature names, then sorted cross names: concatenated
along the last axis (`output_mode="concat"`) or as a dict.

Symbolic use: called on a dict of `lamina.Input`s (`get_inputs()`), the space is a single
node of the graph, so a functional model that starts from the raw columns carries it whole
(and saves it in its `.keras` file).
"""

import numpy as np
import torch

from lamina import config, layers
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_layer, serialize_layer
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.utils import naming, tf_tensors
from lamina.utils.strings import is_string_data

# Where Keras 3 files say the helper classes live (so Keras reads lamina's configs, and back).
_KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"
_FEATURE_KINDS = ("float", "float_rescaled", "float_normalized", "float_discretized",
                  "integer_categorical", "string_categorical", "integer_hashed", "string_hashed")
_ADAPT_BATCH_SIZE = 32  # unbatched data is adapted in batches of 32, as Keras does


class Cross:
    """A feature cross: the preprocessed values of `feature_names` hashed together into
    `crossing_dim` bins, one-hot encoded (`output_mode="one_hot"`) or left as bin ids ("int")."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Invalid value for argument `output_mode` of a feature cross. Expected one of "
                f"'int', 'one_hot'. Received: output_mode={output_mode!r}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config_dict):
        return cls(**config_dict)


class Feature:
    """One column: the dtype of its raw values ("float32", "int32" or "string"), the layer
    that preprocesses it, and how its output is encoded ("float", "int" or "one_hot")."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError(
                "Invalid value for argument `output_mode` of a feature. Expected one of 'int', "
                f"'one_hot', 'float'. Received: output_mode={output_mode!r}"
            )
        if isinstance(preprocessor, dict):
            preprocessor = _deserialize_preprocessor(preprocessor)
        if not isinstance(preprocessor, Layer):
            raise TypeError(
                "A feature's `preprocessor` must be a lamina layer (e.g. "
                f"layers.TextVectorization()). Received: {preprocessor!r}"
            )
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": _serialize_preprocessor(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config_dict):
        return cls(**config_dict)


class TFDIdentity(Layer):
    """The preprocessor of `FeatureSpace.float()`: values pass unchanged (as floats).
    (Named as Keras's class, so configs read the same in both.)"""

    def call(self, inputs):
        return inputs if inputs.is_floating_point() else inputs.to(self._torch_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@keras_export("utils.FeatureSpace")
class FeatureSpace(Layer):
    """One-stop preprocessing and encoding of structured (tabular) data.

    Args:
        features: dict mapping each feature (column) name to its kind: a string naming it
            with default settings (`"float"`, `"float_rescaled"`, `"float_normalized"`,
            `"float_discretized"`, `"integer_categorical"`, `"string_categorical"`,
            `"integer_hashed"`, `"string_hashed"`) or a `FeatureSpace.<kind>(...)` object.
        output_mode: "concat" (one float vector per row) or "dict" (a dict of the encoded
            features and crosses, by name).
        crosses: features to cross, as tuples of names (`[("color", "size")]`) or
            `FeatureSpace.cross(...)` objects.
        crossing_dim: number of hash bins of crosses given as tuples (default 32).
        hashing_dim: number of bins of `"integer_hashed"` / `"string_hashed"` features given
            by name (default 32).
        num_discretization_bins: number of bins of `"float_discretized"` features given by
            name (default 32).

    Feature kinds (each takes `name=`, which names its preprocessing layer):
        `float()`, `float_rescaled(scale=1.0, offset=0.0)`, `float_normalized()`,
        `float_discretized(num_bins, bin_boundaries=None, output_mode="one_hot")`,
        `integer_categorical(max_tokens=None, num_oov_indices=1, output_mode="one_hot")`,
        `string_categorical(max_tokens=None, num_oov_indices=1, output_mode="one_hot")`,
        `integer_hashed(num_bins, output_mode="one_hot")`,
        `string_hashed(num_bins, output_mode="one_hot")`, and
        `feature(dtype, preprocessor, output_mode)` for any preprocessing layer.

    Example:
        >>> space = FeatureSpace({"age": "float_normalized", "city": "string_categorical"})
        >>> space.adapt({"age": [30.0, 40.0, 50.0], "city": ["lima", "oslo", "lima"]})
        >>> space({"age": [35.0], "city": ["oslo"]})   # [[-0.61, 0., 0., 1.]] (a batch of 1)
        >>> space({"age": 35.0, "city": "oslo"})       # [-0.61, 0., 0., 1.] (one row)

        With a dataset of `(features, label)` batches and a functional model:
        >>> space.adapt(train_ds.map(lambda x, y: x))
        >>> train_ds = train_ds.map(lambda x, y: (space(x), y))
        >>> encoded = space.get_encoded_features()
        >>> outputs = layers.Dense(1, activation="sigmoid")(encoded)
        >>> training_model = Model(encoded, outputs)                # fit on train_ds
        >>> inference_model = Model(space.get_inputs(), outputs)   # raw columns in
    """

    # ------------------------------------------------------------------ feature kinds
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or naming.unique_name("float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or naming.unique_name("float_rescaled")
        layer = layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or naming.unique_name("float_normalized")
        return Feature("float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or naming.unique_name("float_discretized")
        if bin_boundaries is not None:
            # Discretization takes one or the other; fixed boundaries decide the bins.
            if num_bins is not None and num_bins != len(bin_boundaries) + 1:
                raise ValueError(
                    f"float_discretized(): {len(bin_boundaries)} `bin_boundaries` make "
                    f"{len(bin_boundaries) + 1} bins, but num_bins={num_bins}. Pass "
                    "num_bins=None (or the matching count) with fixed boundaries."
                )
            num_bins = None
        layer = layers.Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                      name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        name = name or naming.unique_name("integer_categorical")
        layer = layers.IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                     num_oov_indices=num_oov_indices)
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        name = name or naming.unique_name("string_categorical")
        layer = layers.StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                    num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or naming.unique_name("string_hashed")
        return Feature("string", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or naming.unique_name("integer_hashed")
        return Feature("int32", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    # ------------------------------------------------------------------ construction
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features or not isinstance(features, dict):
            raise ValueError(
                "The `features` argument must be a non-empty dict mapping feature names to "
                f"feature kinds, e.g. {{'age': 'float_normalized'}}. Received: {features!r}"
            )
        if output_mode not in ("dict", "concat"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of 'dict', 'concat'. "
                f"Received: output_mode={output_mode!r}"
            )
        self.output_mode = output_mode
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {name: self._standardize_feature(name, value)
                         for name, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or []]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self._preprocessors = _named_modules(
            {name: feature.preprocessor for name, feature in self.features.items()})
        self._crossers = _named_modules(
            {cross.name: layers.HashedCrossing(cross.crossing_dim, name=cross.name)
             for cross in self.crosses})
        self.inputs = {name: layers.Input(shape=(1,), dtype=feature.dtype, name=name)
                       for name, feature in self.features.items()}
        self._reset_encoding()
        self._is_adapted = False
        self.built = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _deserialize_spec(feature, Feature)
        if not isinstance(feature, str) or feature not in _FEATURE_KINDS:
            raise ValueError(
                f"Invalid feature type for feature '{name}': {feature!r}. Use one of "
                f"{', '.join(repr(k) for k in _FEATURE_KINDS)}, or an object made by "
                "FeatureSpace.<kind>(...) or FeatureSpace.feature(dtype, preprocessor, "
                "output_mode)."
            )
        if feature == "float_discretized":
            return self.float_discretized(num_bins=self.num_discretization_bins, name=name)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=name)
        return getattr(self, feature)(name=name)

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = _deserialize_spec(cross, Cross)
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError(
                    "When specifying `crosses`, the argument `crossing_dim` (the number of "
                    f"hash bins of a cross) must be set as well. Received: crossing_dim="
                    f"{self.crossing_dim!r}"
                )
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [name for name in cross.feature_names if name not in self.features]
        if unknown:
            raise ValueError(
                f"All features referenced in the `crosses` argument must be present in the "
                f"`features` dict. Cross {cross.feature_names} names unknown features "
                f"{unknown}; the features are {list(self.features)}."
            )
        return cross

    @property
    def preprocessors(self):
        """The preprocessing layer of each feature, by feature name."""
        return dict(zip(self.features, self._preprocessors.values()))

    @property
    def crossers(self):
        """The HashedCrossing layer of each cross, by cross name ("a_X_b")."""
        return dict(zip(self.crosses_by_name, self._crossers.values()))

    # ------------------------------------------------------------------ adapt
    def _list_adaptable_preprocessors(self):
        """The features whose preprocessor learns from data (and was not given its state)."""
        names = []
        for name, layer in self.preprocessors.items():
            if isinstance(layer, layers.Normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, layers.Discretization) and layer.num_bins is None:
                continue  # fixed bin boundaries
            if _has_fixed_vocabulary(layer):
                continue
            if hasattr(layer, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Learn each preprocessor's state (vocabularies, means and variances, bins) from
        `dataset`, read once: a dict of arrays or lists (one per feature), a pandas
        DataFrame, or a dataset yielding dicts of batched (or single-row) arrays: a
        `BatchedDataset` (`ds.map(lambda x, y: x)`), a `PyDataset`, a DataLoader, a list.
        """
        names = self._list_adaptable_preprocessors()
        columns = _collect_columns(dataset, names)
        for name in names:
            self.preprocessors[name].adapt(iter(columns[name]))
        self._is_adapted = True
        self._finish_building()

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can "
                    "start using it: its features "
                    f"{self._list_adaptable_preprocessors()} learn their vocabulary or "
                    "statistics from data."
                )
            self._is_adapted = True

    def _finish_building(self):
        """Create the one-hot encoders and the concatenation (once the state is known)."""
        self._reset_encoding()
        self._check_if_adapted()
        encoders = {}
        for name, spec, kt_spec in self._preprocessed_specs():
            if spec.output_mode == "one_hot":
                if not kt_spec.dtype.startswith("int"):
                    raise ValueError(
                        f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor "
                        f"should return an integer dtype. Instead it returns {kt_spec.dtype}."
                    )
                encoders[name] = layers.CategoryEncoding(
                    num_tokens=self._cardinality(name), output_mode="multi_hot")
            elif self.output_mode == "concat" and (kt_spec.dtype.startswith("int")
                                                   or kt_spec.dtype == "string"):
                raise ValueError(
                    f"Cannot concatenate features because feature '{name}' has not been "
                    f"encoded (it has dtype {kt_spec.dtype}). Consider using "
                    "`output_mode='dict'`, or `output_mode='one_hot'` for that feature."
                )
        self._one_hot_encoders = _named_modules(encoders)
        self._encoder_names = list(encoders)
        if self.output_mode == "concat":
            self.concat = layers.Concatenate(axis=-1)
        self.built = True

    def _reset_encoding(self):
        self._one_hot_encoders = torch.nn.ModuleDict()
        self._encoder_names = []
        self.concat = None
        self.encoded_features = None
        self.built = False

    @property
    def one_hot_encoders(self):
        return dict(zip(self._encoder_names, self._one_hot_encoders.values()))

    def _cardinality(self, name):
        layer = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(layer, (layers.IntegerLookup, layers.StringLookup)):
            return layer.vocabulary_size()
        if isinstance(layer, layers.CategoryEncoding):
            return layer.num_tokens
        if isinstance(layer, layers.Discretization):
            return layer.num_bins or len(layer.bin_boundaries) + 1
        if isinstance(layer, (layers.HashedCrossing, layers.Hashing)):
            return layer.num_bins
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
            "and the dimensionality of its output space is not known, thus it cannot be "
            "one-hot encoded. Try using `output_mode='int'`."
        )

    def _output_names(self):
        return sorted(self.features) + sorted(self.crosses_by_name)

    def _specs(self):
        return {**self.features, **self.crosses_by_name}

    # ------------------------------------------------------------------ calling
    def get_inputs(self):
        """The dict of `lamina.Input`s (one per feature, shape (1,)) a model starts from."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The symbolic encoded features of `get_inputs()` (a tensor, or a dict in "dict"
        mode), to build a functional model on."""
        self._check_if_built()
        if self.encoded_features is None:
            self.encoded_features = self(self.inputs)
        return self.encoded_features

    def _check_if_built(self):
        if not self.built:
            self._finish_building()

    def _call_pipeline(self, data, *args, **kwargs):
        # The space takes a dict of columns of mixed kinds (text stays numpy), so it runs its
        # own short pipeline rather than Layer's tensor conversion and autocast.
        kwargs.pop("training", None)
        if args or kwargs:
            raise TypeError(
                "A FeatureSpace is called on one dict of features: space(data). Received extra "
                f"arguments {args or ''}{sorted(kwargs) or ''}."
            )
        self._check_if_built()
        data = self._checked_features(data)
        if any(isinstance(x, KerasTensor) for x in data.values()):
            return self._symbolic_call((data,), {})
        if tf_tensors.contains_tf_tensor(data):  # inside `tf.data.Dataset.map`, as on keras.io
            return tf_tensors.call_layer(self, (data,), {})
        return self._encode(data)

    def _checked_features(self, data):
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict of features, e.g. "
                f"space({{'age': ages, ...}}). Received: data of type {type(data).__name__}."
            )
        missing = [name for name in self.features if name not in data]
        if missing:
            raise ValueError(
                f"The data given to the FeatureSpace lacks the features {missing}. It expects a "
                f"dict with the keys {list(self.features)} (extra keys are ignored); received "
                f"the keys {list(data)}."
            )
        return {name: data[name] for name in self.features}

    def _encode(self, data):
        columns, rebatched = {}, False
        for name, value in data.items():
            column = _as_column(value, self.features[name].dtype)
            if column.ndim == 0:
                column, rebatched = column.reshape(1, 1), True
            elif column.ndim == 1:
                column = column[:, None]
            columns[name] = column
        # Text lookups and hashing run on the host: their ids join the others on one device
        # (the space's weights', else the numeric inputs', else the CPU).
        device = _target_device(self, columns.values())
        preprocessed = {name: _on_device(self.preprocessors[name](x), device)
                        for name, x in columns.items()}
        for cross in self.crosses:
            preprocessed[cross.name] = self.crossers[cross.name](
                [preprocessed[name] for name in cross.feature_names])
        encoders = self.one_hot_encoders
        outputs = {name: encoders[name](preprocessed[name]) if name in encoders
                   else preprocessed[name] for name in self._output_names()}
        if self.output_mode == "concat":
            merged = self.concat([_as_float(x, self._torch_dtype) for x in outputs.values()])
            return merged.squeeze(0) if rebatched else merged
        if rebatched:
            outputs = {name: x.squeeze(0) if x.ndim == 2 and x.shape[0] == 1 else x
                       for name, x in outputs.items()}
        return outputs

    # ------------------------------------------------------------------ symbolic shapes
    def _preprocessed_specs(self):
        """(name, feature or cross, symbolic preprocessed output) in output order."""
        specs = {}
        for name, feature in self.features.items():
            column = KerasTensor((None, 1), feature.dtype)
            specs[name] = _output_spec(self.preprocessors[name], column)
        for cross in self.crosses:
            specs[cross.name] = KerasTensor((None, 1), "int64")
        return [(name, self._specs()[name], specs[name]) for name in self._output_names()]

    def compute_output_spec(self, data):
        batch = next(iter(data.values())).shape[0] if data else None
        outputs = {}
        for name, spec, kt_spec in self._preprocessed_specs():
            if spec.output_mode == "one_hot":
                outputs[name] = KerasTensor((batch, self._cardinality(name)), self.compute_dtype)
            else:
                outputs[name] = KerasTensor((batch,) + tuple(kt_spec.shape[1:]), kt_spec.dtype)
        if self.output_mode == "dict":
            return outputs
        widths = [x.shape[-1] for x in outputs.values()]
        total = None if None in widths else sum(widths)
        return KerasTensor((batch, total), self.compute_dtype)

    # ------------------------------------------------------------------ saving
    def get_config(self):
        return {
            "name": self.name,
            "features": {name: _serialize_spec(feature)
                         for name, feature in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_serialize_spec(cross) for cross in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config_dict):
        return cls(**config_dict)

    def get_build_config(self):
        return {name: layer.get_build_config() or {}
                for name, layer in self.preprocessors.items()}

    def build_from_config(self, build_config):
        """Build the preprocessors (their weights then load from the file); the space counts
        as adapted, its encoders are made on first use (vocabularies may load after this)."""
        for name, layer_build_config in (build_config or {}).items():
            layer = self.preprocessors.get(name)
            if layer is not None and not layer.built:
                layer.build_from_config(layer_build_config)
        self._is_adapted = True

    def save(self, filepath):
        """Save the FeatureSpace alone to a `.keras` file; `lamina.models.load_model` reads
        it back."""
        from lamina.saving import keras_archive

        if not str(filepath).endswith(".keras"):
            raise ValueError(
                f"FeatureSpace.save() writes a .keras file; the path must end in '.keras'. "
                f"Received: filepath={filepath!r}"
            )
        keras_archive.save_model(self, filepath)


# ---------------------------------------------------------------------- helpers


def _named_modules(named_layers):
    """A ModuleDict of `named_layers` (torch tracks them: weights, devices, saving). Feature
    names may hold characters torch refuses in module names ('.'), so keys are made safe and
    the public dicts (`preprocessors`, ...) pair the real names with the values in order."""
    modules = torch.nn.ModuleDict()
    for index, (name, layer) in enumerate(named_layers.items()):
        key = str(name).replace(".", "_") or f"feature_{index}"
        if key in modules:
            key = f"{key}_{index}"
        modules[key] = layer
    return modules


def _serialize_spec(spec):
    return {"module": _KERAS_MODULE, "class_name": type(spec).__name__,
            "config": spec.get_config(), "registered_name": type(spec).__name__}


def _deserialize_spec(config_dict, cls):
    if config_dict.get("class_name") != cls.__name__:
        raise ValueError(
            f"Expected the config of a FeatureSpace {cls.__name__}; received one of class "
            f"{config_dict.get('class_name')!r}."
        )
    return cls.from_config(config_dict["config"])


def _serialize_preprocessor(layer):
    config_dict = serialize_layer(layer)
    if isinstance(layer, TFDIdentity):
        config_dict.update(module=_KERAS_MODULE, registered_name="TFDIdentity")
    return config_dict


def _deserialize_preprocessor(config_dict):
    if config_dict.get("class_name") == "TFDIdentity":
        layer = TFDIdentity.from_config(config_dict.get("config", {}))
        if config_dict.get("build_config"):
            layer.build_from_config(config_dict["build_config"])
        return layer
    return deserialize_layer(config_dict)


def _has_fixed_vocabulary(layer):
    """A lookup (or TextVectorization, through its lookup) given its vocabulary."""
    lookup = getattr(layer, "_lookup_layer", layer)
    return bool(getattr(lookup, "_has_input_vocabulary", False))


def _output_spec(layer, column):
    """The symbolic output of a preprocessor for a (batch, 1) column."""
    spec = layer.compute_output_spec(column)
    if isinstance(layer, layers.Discretization) and layer.output_mode == "int":
        spec = KerasTensor(spec.shape, "int32")  # bin ids (the layer's own dtype is float)
    return spec


def _as_column(value, dtype):
    """One feature's values: text as a numpy array of str, numbers as a tensor."""
    floatx = config.to_torch_dtype(config.floatx())
    if isinstance(value, torch.Tensor):
        return value.to(floatx) if dtype == "float32" else value
    array = np.asarray(value)
    if is_string_data(array) or (dtype == "string" and array.dtype.kind in "OUS"):
        return array.astype(object)
    if not array.flags.writeable:  # (a pandas column, a tf batch: torch warns on read-only)
        array = array.copy()
    return torch.as_tensor(array, dtype=floatx if dtype == "float32" else None)


def _target_device(space, columns):
    weight = next(iter(space.parameters()), None)
    if weight is not None:
        return weight.device
    return next((x.device for x in columns if isinstance(x, torch.Tensor)), torch.device("cpu"))


def _on_device(x, device):
    return x.to(device) if isinstance(x, torch.Tensor) else x


def _as_float(x, dtype):
    return x if x.is_floating_point() else x.to(dtype)


def _collect_columns(dataset, names):
    """{name: list of (batch, 1) numpy batches} of the features `names`, read in one pass."""
    columns = {name: [] for name in names}
    if not names:
        return columns
    pending = {name: [] for name in names}  # single rows, grouped into batches of 32
    for element in _elements(dataset):
        if isinstance(element, (tuple, list)) and element and isinstance(element[0], dict):
            element = element[0]  # (features, labels): the features
        if not isinstance(element, dict):
            raise ValueError(
                "FeatureSpace.adapt() reads dicts of features (name -> values), but the data "
                f"yielded an element of type {type(element).__name__}. For (features, label) "
                "datasets, pass `ds.map(lambda x, y: x)`."
            )
        missing = [name for name in names if name not in element]
        if missing:
            raise ValueError(
                f"FeatureSpace.adapt(): the data lacks the features {missing} (it has the keys "
                f"{list(element)}). Give every feature that learns from data: {names}."
            )
        for name in names:
            value = _to_numpy(element[name])
            if value.ndim == 0:
                pending[name].append(value)
                if len(pending[name]) == _ADAPT_BATCH_SIZE:
                    columns[name].append(np.stack(pending[name])[:, None])
                    pending[name] = []
            else:
                columns[name].append(value[:, None] if value.ndim == 1 else value)
    for name, rows in pending.items():
        if rows:
            columns[name].append(np.stack(rows)[:, None])
    empty = [name for name in names if not columns[name]]
    if empty:
        raise ValueError(f"FeatureSpace.adapt() received no data for the features {empty}.")
    return columns


def _elements(dataset):
    """The dicts (or batches) of `dataset`: a dict of columns or a DataFrame is cut into
    batches of 32 rows (as Keras batches its tensor slices); iterables are read as they are."""
    if hasattr(dataset, "columns") and hasattr(dataset, "to_numpy") and not isinstance(
            dataset, dict):  # a pandas DataFrame
        dataset = {str(column): dataset[column].to_numpy() for column in dataset.columns}
    if isinstance(dataset, dict):
        arrays = {name: _to_numpy(value) for name, value in dataset.items()}
        lengths = {len(value) if value.ndim else 1 for value in arrays.values()}
        if len(lengths) != 1:
            raise ValueError(
                "FeatureSpace.adapt(): the arrays of the dict must have the same length. "
                f"Received lengths { {k: len(v) if v.ndim else 1 for k, v in arrays.items()} }."
            )
        total = lengths.pop()
        arrays = {k: v if v.ndim else v.reshape(1) for k, v in arrays.items()}
        return ({k: v[i:i + _ADAPT_BATCH_SIZE] for k, v in arrays.items()}
                for i in range(0, total, _ADAPT_BATCH_SIZE))
    if isinstance(dataset, (str, bytes)) or not hasattr(dataset, "__iter__"):
        raise ValueError(
            "FeatureSpace.adapt() takes a dict of arrays or lists, a pandas DataFrame, or a "
            "dataset yielding dicts of features (BatchedDataset, PyDataset, DataLoader, list). "
            f"Received: {type(dataset).__name__}."
        )
    return iter(dataset)


def _to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    array = np.asarray(value)
    return array.astype(object) if array.dtype.kind in "US" else array

