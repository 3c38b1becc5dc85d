"""`keras.distribution` on torch.distributed: data parallelism (DistributedDataParallel), model
parallelism (`ModelParallel`, on FSDP2's `fully_shard`) and the Keras names for meshes and
layouts. Start a script with `torchrun --nproc_per_node=N train.py`
and it trains data-parallel unchanged; see docs/distributed.md.

Besides Keras's names, `process_id()`, `num_processes()` and `is_main_process()` tell a script
where it runs (e.g. to print or write files only once).
"""

from lamina.distribution.device_mesh import DeviceMesh as DeviceMesh
from lamina.distribution.device_mesh import TensorLayout as TensorLayout
from lamina.distribution.devices import get_device_count as get_device_count
from lamina.distribution.devices import list_devices as list_devices
from lamina.distribution.distribution_lib import DataParallel as DataParallel
from lamina.distribution.distribution_lib import Distribution as Distribution
from lamina.distribution.distribution_lib import ModelParallel as ModelParallel
from lamina.distribution.distribution_lib import distribute_tensor as distribute_tensor
from lamina.distribution.distribution_lib import distribution as distribution
from lamina.distribution.distribution_lib import set_distribution as set_distribution
from lamina.distribution.layout_map import LayoutMap as LayoutMap
from lamina.distribution.process_group import initialize as initialize
from lamina.distribution.process_group import is_main_process as is_main_process
from lamina.distribution.process_group import num_processes as num_processes
from lamina.distribution.process_group import process_id as process_id
