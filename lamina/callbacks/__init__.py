"""`lamina.callbacks`: hooks into fit / evaluate / predict."""

from lamina.callbacks.callback import Callback as Callback
from lamina.callbacks.callback_list import CallbackList as CallbackList
from lamina.callbacks.history import History as History
from lamina.callbacks.progbar_logger import ProgbarLogger as ProgbarLogger
