"""`lamina.wrappers` (Keras's `keras.wrappers`): lamina models as scikit-learn estimators.

Needs scikit-learn (`pip install scikit-learn`), which is imported with this package.
"""

from lamina.wrappers.sklearn_estimators import SKLearnClassifier as SKLearnClassifier
from lamina.wrappers.sklearn_estimators import SKLearnRegressor as SKLearnRegressor
from lamina.wrappers.sklearn_estimators import SKLearnTransformer as SKLearnTransformer
