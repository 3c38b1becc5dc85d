"""Pictures of models and of training: `plot_model`, `model_to_dot`, `plot_history`.

matplotlib (and pydot) are optional (`pip install lamina[plot]`) and imported only when a
picture is drawn.
"""

from lamina.utils.plotting.history_plot import plot_history as plot_history
from lamina.utils.plotting.model_plot import model_to_dot as model_to_dot
from lamina.utils.plotting.model_plot import plot_model as plot_model
