"""Keras 2 location of the plotting helpers (`keras.utils.vis_utils.plot_model`)."""

from lamina.utils.plotting import model_to_dot as model_to_dot
from lamina.utils.plotting import plot_model as plot_model
